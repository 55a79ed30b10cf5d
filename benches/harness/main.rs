//! nwp500 benchmark harness: measures the library and its baselines side by side, in one run,
//! on one machine, and prints markdown tables for BENCHMARKS.md.
//!
//! ```text
//! cargo bench --bench harness -- <throughput|replay|recovery|footprint|scale|chaos|handover|all> [--quick] [--only <case>] [--seed <n>] [--minutes <n>]
//! ```
//!
//! Brokers (mosquitto, the simulator) run on ephemeral 127.0.0.1 ports; nothing else is
//! contacted. Logs go to stderr (`RUST_LOG`), tables to stdout.

mod arrivals;
mod bare;
mod brokers;
mod chaos;
mod chaos_plan;
mod chaos_trail;
mod child;
mod cli;
mod client;
mod decoding;
mod error;
mod faults;
mod fleet;
mod footprint;
mod handover;
mod kick_loop;
mod link;
mod machine;
mod monitor_proc;
mod outcomes;
mod payload;
mod procstat;
mod profiles;
mod publisher;
mod recovery;
mod recovery_scenario;
mod replay;
mod report;
mod scale;
mod select;
mod stack;
mod stats;
mod threads;
mod throughput;

use clap::Parser;

use cli::{Options, Section};
use error::BenchResult;
use report::Table;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(child::CHILD_ARG) {
        std::process::exit(child::main(&args[2..]));
    }
    let opts = Options::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();

    let mut command = format!("cargo bench --bench harness -- {}", opts.section.name());
    if opts.quick {
        command.push_str(" --quick");
    }
    if let Some(only) = &opts.only {
        command.push_str(&format!(" --only {only}"));
    }
    if let Some(seed) = opts.seed {
        command.push_str(&format!(" --seed {seed}"));
    }
    if let Some(minutes) = opts.minutes {
        command.push_str(&format!(" --minutes {minutes}"));
    }
    println!("{}", machine::header(&command));

    let system = actix::System::new();
    let failed = system.block_on(async {
        let mut failed = 0;
        for section in opts.section.expand() {
            eprintln!("== {}", section.name());
            match run_section(section, &opts).await {
                Ok(tables) => {
                    for table in tables.iter().filter(|t| !t.is_empty()) {
                        println!("{}", table.to_markdown());
                    }
                    println!(
                        "_Load average after {}: {}_\n",
                        section.name(),
                        machine::load_average()
                    );
                }
                Err(e) => {
                    failed += 1;
                    println!("### {}: not measured\n\nError: {e}\n", section.name());
                }
            }
        }
        failed
    });
    if failed > 0 {
        std::process::exit(1);
    }
}

async fn run_section(section: Section, opts: &Options) -> BenchResult<Vec<Table>> {
    match section {
        Section::Replay => replay::run(opts).await,
        Section::Throughput => throughput::run(opts).await,
        Section::Recovery => recovery::run(opts).await,
        Section::Footprint => footprint::run(opts).await,
        Section::Scale => scale::run(opts).await,
        Section::Chaos => chaos::run(opts).await,
        Section::Handover => handover::run(opts).await,
        Section::All => Ok(Vec::new()),
    }
}
