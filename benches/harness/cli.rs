//! Command line: which section to run, `--quick`, and `--only <case>` to run single rows.

use clap::{Parser, ValueEnum};

/// A benchmark section (one table, or a few, in BENCHMARKS.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Section {
    /// 1. Dispatch throughput through a real broker, against a bare rumqttc client.
    Throughput,
    /// 2. Subscription replay: CONNACK to the last SUBACK, against one SUBSCRIBE at a time.
    Replay,
    /// 3. Recovery latency after outages, with the simulator.
    Recovery,
    /// 4. Footprint: memory, CPU per message, idle wake-ups, memory over reconnect cycles.
    Footprint,
    /// 5. Scale: 1 000 devices on a pool of connections, AWS IoT's quotas enforced.
    Scale,
    /// 6. Chaos: a seeded soak of random faults, and a kick loop.
    Chaos,
    /// 7. Planned handover before the server's lifetime cut, against the cut as an outage.
    Handover,
    /// Every section in order.
    All,
}

impl Section {
    /// The sections `self` stands for, in run order.
    pub fn expand(self) -> Vec<Section> {
        match self {
            Section::All => vec![
                Section::Throughput,
                Section::Replay,
                Section::Recovery,
                Section::Footprint,
                Section::Scale,
                Section::Chaos,
                Section::Handover,
            ],
            one => vec![one],
        }
    }

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Section::Throughput => "throughput",
            Section::Replay => "replay",
            Section::Recovery => "recovery",
            Section::Footprint => "footprint",
            Section::Scale => "scale",
            Section::Chaos => "chaos",
            Section::Handover => "handover",
            Section::All => "all",
        }
    }
}

/// `cargo bench --bench harness -- <section> [--quick] [--only <case>] [--seed <n>] [--minutes <n>]`.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "harness",
    about = "nwp500 benchmarks against baselines, printed as markdown tables"
)]
pub struct Options {
    /// What to run.
    #[arg(value_enum, default_value = "all")]
    pub section: Section,
    /// Fewer repetitions and shorter windows (the whole `all` run stays within minutes).
    #[arg(long)]
    pub quick: bool,
    /// Run only the case with this id (each table row names its id), or the cases under
    /// this id prefix of whole segments (`embedded` selects `embedded/1` and
    /// `embedded/100`; `embedded/1` selects only `embedded/1`).
    #[arg(long)]
    pub only: Option<String>,
    /// Seed of the chaos soak's fault schedule (default 13): the same seed draws the same
    /// faults at the same times.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Length of the chaos soak in minutes (default 10; 3 with `--quick`).
    #[arg(long)]
    pub minutes: Option<u64>,
    /// Appended by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    pub bench: bool,
}

impl Options {
    /// Whether the case `id` (e.g. `mosquitto/1000`) is selected.
    pub fn wants(&self, id: &str) -> bool {
        self.only
            .as_deref()
            .is_none_or(|only| crate::select::selects(only, id))
    }

    /// `quick` if `--quick`, else `full`.
    pub fn pick<T>(&self, quick: T, full: T) -> T {
        if self.quick {
            quick
        } else {
            full
        }
    }
}
