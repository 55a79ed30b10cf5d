//! `ha_bridge`: every Navien NWP500 of a NaviLink account in Home Assistant, through
//! the user's own MQTT broker and Home Assistant's MQTT discovery. Without an account it
//! bridges an embedded simulated cloud.
//!
//! ```text
//! cargo run --example ha_bridge -- --broker mqtt://127.0.0.1:1883      # embedded simulator
//! NAVIEN_EMAIL=… NAVIEN_PASSWORD=… cargo run --release --example ha_bridge -- \
//!     --broker mqtt://homeassistant.local:1883
//! ```
//!
//! `--help` lists every option with its default, the topic layout and the exit codes.

mod args;
mod bridge;
mod broker;
#[path = "../common/cloud_args.rs"]
mod cloud_args;
mod commands;
mod devices;
mod discovery;
mod energy;
#[path = "../common/error_chain.rs"]
mod error_chain;
#[path = "../common/link_args.rs"]
mod link_args;
mod sender;
mod session;
#[path = "../common/signals.rs"]
mod signals;
mod state;
#[cfg(test)]
#[path = "../common/test_reports.rs"]
mod test_reports;
mod topics;

use std::io::IsTerminal;
use std::process::ExitCode;

use tracing_subscriber::EnvFilter;

use args::{Parsed, EXIT_USAGE};

fn main() -> ExitCode {
    let args = match args::parse(std::env::args_os()) {
        Parsed::Run(args) => *args,
        Parsed::Info(text) => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Parsed::Usage(text) => {
            eprint!("{text}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(session::run(args));
    runtime.shutdown_background();
    ExitCode::from(code)
}

/// Logs to stderr; `RUST_LOG` wins, else `info` (a daemon's journal wants to see
/// connections, outages and commands) without the embedded simulator's web server.
fn init_logging() {
    let mut filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    // Whatever RUST_LOG says, third-party crates never log topics or signed URLs.
    for cap in nwp500::DEPENDENCY_LOG_CAPS {
        if let Ok(directive) = cap.parse() {
            filter = filter.add_directive(directive);
        }
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
