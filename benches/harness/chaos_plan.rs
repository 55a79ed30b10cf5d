//! The chaos soak's fault schedule, drawn from a seed: which fault, when, for how long and,
//! for kicks, whom. The same seed gives the same schedule, so a bad run can be replayed.

use std::time::Duration;

use nwp500_sim::RestOutage;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

use crate::faults::Fault;

/// Time between the starts of two faults, drawn uniformly (a flaky link: one fault every
/// 8–25 s).
const GAP: (Duration, Duration) = (Duration::from_secs(8), Duration::from_secs(25));

/// How long a fault that is a state lasts, drawn uniformly.
const LENGTH: (Duration, Duration) = (Duration::from_millis(500), Duration::from_secs(6));

/// The link serves at least this long between the end of one fault and the next.
const MIN_HEALTHY: Duration = Duration::from_secs(3);

/// How long the simulator refuses connections after a broker restart (its configuration).
pub const RESTART_DOWNTIME: Duration = Duration::from_secs(2);

/// How soon after CONNACK the kick-after-CONNACK fault closes a connection.
const KICK_AFTER: Duration = Duration::from_millis(500);

/// Every fault the simulator can make, with its variants.
fn kinds() -> Vec<Fault> {
    vec![
        Fault::Drop,
        Fault::Kick,
        Fault::Refuse,
        Fault::Blackhole,
        Fault::BrokerRestart,
        Fault::UpgradeStatus(502),
        Fault::UpgradeStatus(503),
        Fault::UpgradeStatus(504),
        Fault::HandshakeClose,
        Fault::ConnackRefusal(3),
        Fault::ConnackRefusal(4),
        Fault::ConnackRefusal(5),
        Fault::RestOutage(RestOutage::Status(503)),
        Fault::RestOutage(RestOutage::Refuse),
        Fault::RestOutage(RestOutage::Blackhole),
        Fault::CredentialsExpired,
        Fault::WithholdSuback,
        Fault::KickAfterConnack(KICK_AFTER),
    ]
}

/// One fault of the schedule.
#[derive(Debug, Clone)]
pub struct Planned {
    /// Its start, from the start of the soak.
    pub at: Duration,
    /// What it is.
    pub fault: Fault,
    /// From its start to the instant the endpoint is healthy again (zero for a drop or a
    /// kick).
    pub length: Duration,
    /// The clients (indices) a kick closes; every client for the other faults.
    pub targets: Vec<usize>,
}

fn uniform(rng: &mut StdRng, (lo, hi): (Duration, Duration)) -> Duration {
    lo + (hi - lo).mul_f64(rng.random::<f64>())
}

/// The schedule of a soak of length `soak` with `clients` clients: faults start until the
/// last 30 s, which are left for the last recovery.
pub fn schedule(seed: u64, soak: Duration, clients: usize) -> Vec<Planned> {
    let mut rng = StdRng::seed_from_u64(seed);
    let kinds = kinds();
    let mut plan = Vec::new();
    let mut at = uniform(&mut rng, GAP);
    while at + Duration::from_secs(30) < soak {
        let fault = *kinds.choose(&mut rng).unwrap_or(&Fault::Drop);
        let length = match fault {
            Fault::Drop | Fault::Kick => Duration::ZERO,
            Fault::BrokerRestart => RESTART_DOWNTIME,
            _ => uniform(&mut rng, LENGTH),
        };
        let targets = if fault == Fault::Kick {
            let all: Vec<usize> = (0..clients).collect();
            let n = rng.random_range(1..=clients);
            all.choose_multiple(&mut rng, n).copied().collect()
        } else {
            (0..clients).collect()
        };
        plan.push(Planned {
            at,
            fault,
            length,
            targets,
        });
        at += uniform(&mut rng, GAP).max(length + MIN_HEALTHY);
    }
    plan
}
