//! One run of the bridge: check the options, start the simulator when there is no
//! account, connect to the local broker and the cloud, bridge until stopped, stop
//! cleanly.

use crate::error_chain::Chain;
use std::time::Duration;

use nwp500::client::Client;
use tokio::sync::mpsc;
use tracing::{error, info};

use crate::args::{Args, EXIT_USAGE};
use crate::bridge::{Bridge, Inputs, Stop};
use crate::broker::Broker;
use crate::cloud_args::{start_simulator, Endpoint};

/// Exit code: the client or the simulator could not start.
const EXIT_FAILURE: u8 = 1;
/// Exit code: the account was refused.
const EXIT_RECONNECTION_FAILED: u8 = 2;
/// Bound on the cloud disconnect at the end.
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Energy answers waiting for the main loop.
const ENERGY_BUFFER: usize = 64;

/// Runs the bridge; returns the process exit code.
pub async fn run(args: Args) -> u8 {
    let cloud = args.cloud.cloud_endpoint();
    // Options are checked before anything starts (the simulator's URLs, known only
    // once it runs, cannot make them invalid).
    let probe = cloud.clone().unwrap_or_else(Endpoint::local_placeholder);
    if let Err(error) = args.client_config(&probe) {
        eprintln!("error: {error}\n\nFor more information, try '--help'.");
        return EXIT_USAGE;
    }
    let broker_options = match args.broker_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("error: {message}\n\nFor more information, try '--help'.");
            return EXIT_USAGE;
        }
    };
    // Keeps the embedded simulator alive until the end of the run.
    let (_simulator, endpoint) = match cloud {
        Some(endpoint) => (None, endpoint),
        None => match start_simulator(args.link.simulator_lifetime()) {
            Ok((sim, endpoint)) => (Some(sim), endpoint),
            Err(error) => {
                eprintln!("error: cannot start the embedded simulator: {error}");
                return EXIT_FAILURE;
            }
        },
    };
    let config = match args.client_config(&endpoint) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {error}\n\nFor more information, try '--help'.");
            return EXIT_USAGE;
        }
    };
    info!(
        simulated = endpoint.simulated,
        api_url = %endpoint.api_url,
        broker = %format!("{}:{}", broker_options.host, broker_options.port),
        "starting the bridge"
    );

    let topics = args.topics();
    // The local broker first: Home Assistant hears about the bridge even while the
    // cloud is still signing in.
    let (broker, broker_events) = Broker::start(&broker_options, &topics.bridge_availability());
    let client = match Client::start(config).await {
        Ok(client) => client,
        Err(error) => {
            error!(error = %Chain(&error), "cannot start the client");
            broker.close().await;
            return if error.is_invalid_credentials() {
                EXIT_RECONNECTION_FAILED
            } else {
                EXIT_FAILURE
            };
        }
    };
    // The first receiver holds every event since the start (from `connecting`).
    let events = client.events();
    let (energy_sink, energy) = mpsc::channel(ENERGY_BUFFER);
    let mut bridge = Bridge::new(client, broker, topics, energy_sink, args.energy_interval);
    let stop: Stop = bridge
        .run(Inputs {
            events,
            broker: broker_events,
            energy,
        })
        .await;
    bridge.finish(DISCONNECT_TIMEOUT).await;
    info!(?stop, "bridge stopped");
    stop.exit_code()
}
