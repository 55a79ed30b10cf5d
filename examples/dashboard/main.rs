//! `dashboard`: an actix-web application that embeds the nwp500 actors and serves the
//! page an owner keeps open: the live state of each water heater, its history charts
//! (tank temperatures, setpoint, power, tank charge), what the connection went through
//! (outages as bands on the charts and as a list) and controls (setpoint, mode, vacation),
//! updated by server-sent events; the same data as JSON.
//!
//! ```text
//! cargo run --example dashboard                     # embedded simulator, http://127.0.0.1:8080
//! NAVIEN_EMAIL=… NAVIEN_PASSWORD=… cargo run --example dashboard -- --bind 0.0.0.0:8080
//! ```
//!
//! The point of the example is embedding: `Client::start` runs inside the web
//! application's actix System, so the client's actors and the dashboard's own state
//! actor ([`hub::Hub`]) live on the same arbiter as the server's main task, and the
//! request handlers talk to the hub by message.

mod args;
mod card;
#[path = "../common/cloud_args.rs"]
mod cloud_args;
mod control_routes;
mod controls;
#[path = "../common/error_chain.rs"]
mod error_chain;
mod history;
mod hub;
mod limits;
mod requests;
mod routes;
mod state;
mod story;
#[cfg(test)]
#[path = "../common/test_reports.rs"]
mod test_reports;

use std::process::ExitCode;

use actix::Actor;
use actix_web::{web, App, HttpServer};
use clap::Parser;
use nwp500::client::{Client, ClientError};
use tracing::{info, warn};
use tracing_subscriber::EnvFilter;

use args::{ArgError, Args};
use hub::Hub;
use state::DashboardState;

/// Why the dashboard could not run.
#[derive(Debug, thiserror::Error)]
enum DashboardError {
    #[error(transparent)]
    Args(#[from] ArgError),
    #[error("cannot start the embedded simulator: {0}")]
    Simulator(#[from] nwp500_sim::SimError),
    #[error("cannot start the client: {0}")]
    Client(#[from] ClientError),
    #[error("web server: {0}")]
    Server(#[from] std::io::Error),
}

#[actix_web::main]
async fn main() -> ExitCode {
    let mut args = Args::parse();
    // An empty value (typically `NAVIEN_EMAIL=` in the environment) counts as not given.
    args.cloud.drop_empty_values();
    init_logging();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", error_chain::Chain(&error));
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), DashboardError> {
    let cloud = args.cloud_endpoint()?;
    // Options are checked before anything starts (the simulator's URLs, known only once
    // it runs, cannot make them invalid).
    args.client_config(
        cloud
            .as_ref()
            .unwrap_or(&cloud_args::Endpoint::local_placeholder()),
    )?;
    // Without an account, a simulated cloud on 127.0.0.1; it stops when dropped, at the end.
    let (_simulator, endpoint) = match cloud {
        Some(endpoint) => (None, endpoint),
        None => {
            let (simulator, endpoint) = cloud_args::start_simulator(None)?;
            (Some(simulator), endpoint)
        }
    };
    let config = args.client_config(&endpoint)?;

    // Inside this System: the client's actors start on the current arbiter.
    let client = Client::start(config).await?;
    let state = DashboardState::new(
        &client.devices(),
        client.unit(),
        args.history_hours,
        usize::try_from(args.history_points).unwrap_or(usize::MAX),
    );
    let hub = Hub::new(state, client.events()).start();

    let app_client = client.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(hub.clone()))
            .app_data(web::Data::new(app_client.clone()))
            .configure(routes::configure)
            .configure(control_routes::configure)
    })
    // Open event streams never end by themselves: do not wait long for them on exit.
    .shutdown_timeout(1)
    .bind(args.bind)?;
    let Some(address) = server.addrs().first().copied() else {
        return Err(std::io::Error::other("bound to no address").into());
    };
    // The first line on stdout, for people and for scripts (with --bind …:0).
    println!("dashboard listening on http://{address}");
    info!(
        %address,
        devices = client.devices().len(),
        simulated = endpoint.simulated,
        "dashboard started"
    );

    // Runs until SIGINT/SIGTERM.
    server.run().await?;
    if let Err(error) = client.disconnect().await {
        warn!(%error, "disconnect");
    }
    Ok(())
}

/// Logs to stderr; `RUST_LOG` wins.
fn init_logging() {
    let mut filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn,dashboard=info"));
    // Whatever RUST_LOG says, third-party crates never log topics or signed URLs.
    for cap in nwp500::DEPENDENCY_LOG_CAPS {
        if let Ok(directive) = cap.parse() {
            filter = filter.add_directive(directive);
        }
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
