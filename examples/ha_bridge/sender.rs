//! Sends the commands that came from Home Assistant to the cloud, one at a time and in
//! arrival order, on a task of its own: a send waits for the broker's acknowledgement
//! (or a feature report), and the bridge's main loop must not wait with it.

use nwp500::client::{Client, ClientError};
use nwp500::protocol::{redact_mac, Command};
use nwp500::PublishOutcome;
use tokio::sync::mpsc;
use tracing::{info, warn};

/// Commands for one device, sent in order; a refusal or failure drops the rest.
#[derive(Debug)]
pub struct Job {
    /// The device, as the client lists it.
    pub mac: String,
    /// What asked for it (`temperature`, `mode`, `power`, `energy`), for the logs.
    pub what: &'static str,
    /// The commands.
    pub commands: Vec<Command>,
}

/// Starts the sender; jobs sent to the returned channel are sent in order until the
/// channel closes.
pub fn start(client: Client) -> mpsc::UnboundedSender<Job> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
    tokio::spawn(async move {
        while let Some(job) = rx.recv().await {
            send(&client, job).await;
        }
    });
    tx
}

async fn send(client: &Client, job: Job) {
    let device = redact_mac(&job.mac);
    for command in job.commands {
        let code = command.code().map(|c| c.raw());
        match client.send(&job.mac, command).await {
            Ok(PublishOutcome::Acknowledged) => {
                info!(%device, what = job.what, ?code, "command sent");
            }
            Ok(PublishOutcome::Queued { queue_len }) => {
                info!(%device, what = job.what, ?code, queue_len,
                      "cloud link down: command queued, sent once it is back");
            }
            Ok(outcome) => {
                info!(%device, what = job.what, ?code, ?outcome, "command will be sent again");
            }
            Err(ClientError::Command(error)) => {
                warn!(%device, what = job.what, %error, "command refused; nothing sent");
                return;
            }
            Err(error) => {
                warn!(%device, what = job.what, %error, "command failed");
                return;
            }
        }
    }
}
