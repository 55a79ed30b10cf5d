//! The embedded simulated cloud used when no account is given.

use nwp500_sim::{SimConfig, SimError, Simulator};

use crate::args::Endpoint;

/// Starts a simulated NaviLink cloud with one water heater on 127.0.0.1 and returns it
/// with the endpoint (URLs and demo account) to reach it. Dropping it stops it.
pub fn start() -> Result<(Simulator, Endpoint), SimError> {
    let sim = Simulator::start(SimConfig::default())?;
    let account = &sim.config().account;
    let endpoint = Endpoint {
        api_url: sim.rest_url().to_owned(),
        mqtt_url: sim.mqtt_ws_url().to_owned(),
        email: account.email.clone(),
        password: account.password.clone(),
        simulated: true,
    };
    Ok((sim, endpoint))
}
