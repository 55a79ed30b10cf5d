//! `monitor`: a live view of Navien NWP500 water heaters through the NaviLink cloud,
//! or, without credentials, of an embedded simulated cloud.
//!
//! ```text
//! cargo run --example monitor                       # embedded simulator, live view
//! cargo run --example monitor -- --duration 20 --json
//! NAVIEN_EMAIL=… NAVIEN_PASSWORD=… cargo run --example monitor -- --celsius
//! ```
//!
//! `--help` lists every option with its default, the stdin commands and the exit codes.

mod args;
#[path = "../common/cloud_args.rs"]
mod cloud_args;
#[path = "../common/error_chain.rs"]
mod error_chain;
mod frame;
mod input;
#[path = "../common/link_args.rs"]
mod link_args;
mod output;
mod session;
#[path = "../common/signals.rs"]
mod signals;
mod stdin;
mod summary;
#[cfg(test)]
#[path = "../common/test_reports.rs"]
mod test_reports;
mod text;
mod view;

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
    init_logging(args.json);
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
    // The stdin reader thread may sit in a blocking read; it must not delay the exit.
    runtime.shutdown_background();
    ExitCode::from(code)
}

/// Logs to stderr; `RUST_LOG` wins, else `warn` (keeps the human view clean) or `info`
/// in JSON mode.
fn init_logging(json: bool) {
    let default = if json { "info" } else { "warn" };
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
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
