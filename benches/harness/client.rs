//! The full nwp500 client (`Client::start`) for the benchmarks: every actor, the event bus, the
//! periodic requests and the Reconnector, with typed status handlers counting arrivals.

use std::time::{Duration, Instant};

use nwp500::client::Client;
use nwp500::config::ClientConfigBuilder;
use nwp500::events::Event;
use nwp500::subscriptions::{AddHandler, HandlerSink, StatusUpdate};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, mpsc};

use crate::error::{BenchError, BenchResult};
use crate::stack::device_ref;

/// Client id of the benchmarked clients.
pub const BENCH_CLIENT_ID: &str = "navien-client-bench0001";

/// Capacity of the benchmarks' handler channels: large enough that a burst never drops.
pub const HANDLER_CAPACITY: usize = 1 << 16;

/// Starts a client from `builder` and waits (at most `limit`) until its first connection is
/// subscribed (`Resubscribed` with nothing refused).
pub async fn start_and_wait(builder: ClientConfigBuilder, limit: Duration) -> BenchResult<Client> {
    let config = builder.build().map_err(BenchError::client)?;
    let client = Client::start(config).await.map_err(BenchError::client)?;
    let mut events = client.events();
    let ready = wait_for(&mut events, limit, |e| {
        matches!(e, Event::Resubscribed { failed: 0, .. })
    })
    .await;
    if ready.is_err() {
        let _ = client.disconnect().await;
    }
    ready?;
    Ok(client)
}

/// Waits for the first event matching `pred`; returns when it happened.
pub async fn wait_for(
    events: &mut broadcast::Receiver<nwp500::events::TimestampedEvent>,
    within: Duration,
    pred: impl Fn(&Event) -> bool,
) -> BenchResult<Instant> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Err(_) => return Err(BenchError::timeout("client event", within)),
            Ok(Ok(e)) if pred(&e.event) => return Ok(Instant::now()),
            Ok(Ok(_)) | Ok(Err(RecvError::Lagged(_))) => {}
            Ok(Err(RecvError::Closed)) => {
                return Err(BenchError::client("client event bus closed"))
            }
        }
    }
}

/// Registers one typed status handler per device `first..first + devices` (simulator
/// numbering), all feeding one channel, and calls `on_status` for every update (on a task of
/// the current runtime).
pub async fn count_statuses(
    client: &Client,
    first: usize,
    devices: usize,
    on_status: impl Fn(&StatusUpdate) + Send + 'static,
) -> BenchResult<()> {
    let (tx, mut rx) = mpsc::channel::<StatusUpdate>(HANDLER_CAPACITY);
    for d in first..first + devices {
        client
            .actors()
            .subscriptions
            .send(AddHandler::status(
                device_ref(d)?,
                HandlerSink::Channel(tx.clone()),
            ))
            .await
            .map_err(BenchError::client)?
            .map_err(BenchError::client)?;
    }
    tokio::spawn(async move {
        while let Some(update) = rx.recv().await {
            on_status(&update);
        }
    });
    Ok(())
}
