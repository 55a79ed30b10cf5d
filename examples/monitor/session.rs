//! One monitoring session: start the client (and the simulator), show every event,
//! take commands from stdin, stop cleanly.

use crate::error_chain::Chain;
use std::io::IsTerminal;
use std::time::Duration;

use nwp500::client::{Client, ClientError};
use nwp500::events::{Event, TimestampedEvent};
use nwp500::protocol::Command;
use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;

use crate::args::{Args, Endpoint, EXIT_USAGE};
use crate::input::{parse_line, Input, COMMANDS};
use crate::output::{Output, Style};
use crate::{cloud_args, signals, stdin, text};

/// Exit code: stopped on request (signal, `quit`, `--duration`).
const EXIT_OK: u8 = 0;
/// Exit code: the client could not start, or stdout went away.
const EXIT_FAILURE: u8 = 1;
/// Exit code: reconnection failed (invalid credentials or the attempt limit).
const EXIT_RECONNECTION_FAILED: u8 = 2;

/// Bound on `disconnect()`.
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait for the `disconnected` event after `disconnect()` returned.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);

/// Why the main loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// Signal, `quit` or the end of `--duration`.
    Requested,
    /// `reconnection_failed`.
    ReconnectionFailed,
    /// The event stream closed without a disconnect.
    ClientGone,
    /// stdout cannot be written.
    OutputGone,
}

impl Stop {
    fn exit_code(self) -> u8 {
        match self {
            Stop::Requested => EXIT_OK,
            Stop::ReconnectionFailed => EXIT_RECONNECTION_FAILED,
            Stop::ClientGone | Stop::OutputGone => EXIT_FAILURE,
        }
    }
}

/// Runs the monitor; returns the process exit code.
pub async fn run(args: Args) -> u8 {
    let cloud = args.cloud_endpoint();
    // Options are checked before anything starts (the simulator's URLs, known only
    // once it runs, cannot make them invalid).
    let probe = cloud.clone().unwrap_or_else(Endpoint::local_placeholder);
    if let Err(error) = args.client_config(&probe) {
        eprintln!("error: {error}\n\nFor more information, try '--help'.");
        return EXIT_USAGE;
    }
    let style = if args.json {
        Style::Json
    } else if std::io::stdout().is_terminal() {
        Style::Screen
    } else {
        Style::Lines
    };
    let mut output = Output::new(std::io::stdout(), style, title(cloud.as_ref()), args.unit());
    if output.banner().is_err() {
        return EXIT_FAILURE;
    }
    // Keeps the embedded simulator alive until the end of the session.
    let (_simulator, endpoint) = match cloud {
        Some(endpoint) => (None, endpoint),
        None => match cloud_args::start_simulator(args.link.simulator_lifetime()) {
            Ok((sim, endpoint)) => (Some(sim), endpoint),
            Err(error) => {
                eprintln!("error: cannot start the embedded simulator: {error}");
                return EXIT_FAILURE;
            }
        },
    };
    if output.subtitle(subtitle(&endpoint)).is_err() {
        return EXIT_FAILURE;
    }
    let config = match args.client_config(&endpoint) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {error}\n\nFor more information, try '--help'.");
            return EXIT_USAGE;
        }
    };

    let client = match Client::start(config).await {
        Ok(client) => client,
        Err(error) => return start_failed(&error),
    };
    // The first receiver holds every event since the start (from `connecting`).
    let events = client.events();
    // The client lists only the devices that pass the --device filter.
    let devices: Vec<(String, String)> = client
        .devices()
        .iter()
        .map(|d| (d.mac.clone(), d.name.clone()))
        .collect();
    let target = devices.first().map(|(mac, _)| mac.clone());
    if output.set_devices(devices).is_err() {
        return finish(&client, &mut output, events, Stop::OutputGone).await;
    }
    if !client.devices_known() {
        let _ = output.note(
            "waiting for the cloud: the device list is not known yet (retrying under the reconnect policy)",
        );
    } else if target.is_none() {
        let _ =
            output.note("no device to monitor: the account lists none (or none matches --device)");
    }

    let mut session = Session {
        client: client.clone(),
        target,
        unit: args.unit(),
        notes: mpsc::unbounded_channel(),
    };
    let deadline = args.duration.map(|d| Instant::now() + d);
    let (events, stop) = session.main_loop(&mut output, events, deadline).await;
    finish(&client, &mut output, events, stop).await
}

/// State of the main loop.
struct Session {
    client: Client,
    /// Where stdin commands go.
    target: Option<String>,
    unit: nwp500::UnitSystem,
    /// Messages from command tasks back to the loop (refusals).
    notes: (
        mpsc::UnboundedSender<String>,
        mpsc::UnboundedReceiver<String>,
    ),
}

impl Session {
    /// The device list arrived after a start during an outage: show the devices and
    /// take commands for the first one.
    fn devices_discovered(&mut self, output: &mut Output<std::io::Stdout>) -> std::io::Result<()> {
        let devices: Vec<(String, String)> = self
            .client
            .devices()
            .iter()
            .map(|d| (d.mac.clone(), d.name.clone()))
            .collect();
        if self.target.is_none() {
            self.target = devices.first().map(|(mac, _)| mac.clone());
        }
        if devices.is_empty() {
            output
                .note("no device to monitor: the account lists none (or none matches --device)")?;
        }
        output.set_devices(devices)
    }

    async fn main_loop(
        &mut self,
        output: &mut Output<std::io::Stdout>,
        mut events: broadcast::Receiver<TimestampedEvent>,
        deadline: Option<Instant>,
    ) -> (broadcast::Receiver<TimestampedEvent>, Stop) {
        let mut lines = stdin::lines();
        let mut stdin_open = true;
        let shutdown = signals::shutdown();
        tokio::pin!(shutdown);
        let until_deadline = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(until_deadline);

        let stop = loop {
            tokio::select! {
                received = events.recv() => match received {
                    Ok(event) => {
                        if output.event(&event).is_err() {
                            break Stop::OutputGone;
                        }
                        match &event.event {
                            Event::ReconnectionFailed { .. } => break Stop::ReconnectionFailed,
                            Event::DevicesDiscovered { .. }
                                if self.devices_discovered(output).is_err() =>
                            {
                                break Stop::OutputGone;
                            }
                            _ => {}
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "output too slow: events skipped");
                    }
                    Err(broadcast::error::RecvError::Closed) => break Stop::ClientGone,
                },
                line = lines.recv(), if stdin_open => match line {
                    None => {
                        tracing::info!("stdin closed; commands are disabled, monitoring goes on");
                        stdin_open = false;
                    }
                    Some(line) => match parse_line(&line, self.unit) {
                        Ok(None) => {}
                        Ok(Some(Input::Quit)) => break Stop::Requested,
                        Ok(Some(Input::Help)) => {
                            let _ = output.note(&format!("commands: {COMMANDS}"));
                        }
                        Ok(Some(Input::Send(command))) => self.send(output, command),
                        Err(message) => {
                            let _ = output.note(&format!(
                                "ignored input line: {message} (commands: {COMMANDS})"
                            ));
                        }
                    },
                },
                Some(note) = self.notes.1.recv() => {
                    let _ = output.note(&note);
                }
                signal = &mut shutdown => {
                    tracing::info!(signal, "stopping");
                    break Stop::Requested;
                }
                () = &mut until_deadline => {
                    tracing::info!("--duration elapsed; stopping");
                    break Stop::Requested;
                }
            }
        };
        (events, stop)
    }

    /// Sends `command` to the target device without holding up the loop (a publish
    /// may wait for its acknowledgement); refusals come back as notes.
    fn send(&self, output: &mut Output<std::io::Stdout>, command: Command) {
        let Some(mac) = self.target.clone() else {
            let _ = output.note("no device to send the command to");
            return;
        };
        let name = output.device_name(&mac);
        let client = self.client.clone();
        let notes = self.notes.0.clone();
        tokio::spawn(async move {
            let what = command
                .code()
                .and_then(|c| u32::try_from(c.raw()).ok())
                .map_or_else(|| "command".to_owned(), text::command);
            if let Err(error) = client.send(&mac, command).await {
                let _ = notes.send(format!("{what} for {name} failed: {error}"));
            }
        });
    }
}

/// Disconnects, shows the remaining events up to `disconnected`, returns the exit code.
async fn finish(
    client: &Client,
    output: &mut Output<std::io::Stdout>,
    mut events: broadcast::Receiver<TimestampedEvent>,
    stop: Stop,
) -> u8 {
    match tokio::time::timeout(DISCONNECT_TIMEOUT, client.disconnect()).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::warn!(%error, "disconnect reported an error"),
        Err(_) => tracing::warn!("disconnect did not finish in time"),
    }
    let drain = async {
        loop {
            match events.recv().await {
                Ok(event) => {
                    if output.event(&event).is_err() {
                        return;
                    }
                    if event.event == Event::Disconnected {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    };
    if tokio::time::timeout(DRAIN_TIMEOUT, drain).await.is_err() {
        tracing::warn!("no disconnected event after disconnect");
    }
    stop.exit_code()
}

/// Reports a failed start; invalid credentials count as a failed reconnection.
fn start_failed(error: &ClientError) -> u8 {
    eprintln!("error: cannot start the client: {}", Chain(error));
    if error.is_invalid_credentials() {
        eprintln!("the account e-mail or password was refused");
        EXIT_RECONNECTION_FAILED
    } else {
        EXIT_FAILURE
    }
}

/// The first line: what is monitored (`None`: the embedded simulator).
fn title(cloud: Option<&Endpoint>) -> String {
    match cloud {
        None => "nwp500 monitor · embedded simulator nwp500-sim (no credentials given)".to_owned(),
        Some(endpoint) => {
            let host = url::Url::parse(&endpoint.api_url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_else(|| endpoint.api_url.clone());
            format!("nwp500 monitor · NaviLink cloud at {host}")
        }
    }
}

/// The second line: endpoints and account (the e-mail redacted, no password).
fn subtitle(endpoint: &Endpoint) -> String {
    // Without a query: a URL given with one could carry a signature.
    let mqtt = url::Url::parse(&endpoint.mqtt_url)
        .map(|mut u| {
            u.set_query(None);
            u.to_string()
        })
        .unwrap_or_default();
    if endpoint.simulated {
        format!(
            "simulated cloud: REST {} · MQTT {mqtt} · demo account {}",
            endpoint.api_url, endpoint.email
        )
    } else {
        format!(
            "REST {} · MQTT {mqtt} · account {}",
            endpoint.api_url,
            redact_email(&endpoint.email)
        )
    }
}

/// `u…@example.com`.
fn redact_email(email: &str) -> String {
    let (local, domain) = email.split_once('@').unwrap_or((email, ""));
    let first: String = local.chars().take(1).collect();
    if domain.is_empty() {
        format!("{first}…")
    } else {
        format!("{first}…@{domain}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_say_what_is_monitored_without_secrets() {
        assert!(title(None).contains("embedded simulator"));
        let mut endpoint = Endpoint {
            api_url: "https://nlus.naviensmartcontrol.com/api/v2.1".into(),
            mqtt_url: "wss://example-ats.iot.us-east-1.amazonaws.com/mqtt?X-Amz-Signature=abc"
                .into(),
            email: "user@example.com".into(),
            password: "secret-pw".into(),
            simulated: false,
        };
        assert_eq!(
            title(Some(&endpoint)),
            "nwp500 monitor · NaviLink cloud at nlus.naviensmartcontrol.com"
        );
        assert_eq!(
            subtitle(&endpoint),
            "REST https://nlus.naviensmartcontrol.com/api/v2.1 · \
             MQTT wss://example-ats.iot.us-east-1.amazonaws.com/mqtt · account u…@example.com"
        );
        endpoint.simulated = true;
        let sim = subtitle(&endpoint);
        assert!(!sim.contains("Signature"), "{sim}");
        assert!(sim.starts_with("simulated cloud: REST"), "{sim}");
        assert!(!sim.contains("secret-pw"), "{sim}");
    }

    #[test]
    fn exit_codes() {
        assert_eq!(Stop::Requested.exit_code(), 0);
        assert_eq!(Stop::ReconnectionFailed.exit_code(), 2);
        assert_eq!(Stop::ClientGone.exit_code(), 1);
    }
}
