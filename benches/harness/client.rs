//! The full nwp500 client (`Client::start`) for the benchmarks: every actor, the event bus, the
//! periodic requests and the Reconnector, with typed status handlers counting arrivals.

use std::time::{Duration, Instant};

use nwp500::client::Client;
use nwp500::config::ClientConfigBuilder;
use nwp500::subscriptions::{AddHandler, HandlerSink, StatusUpdate};
use tokio::sync::mpsc;

use crate::error::{BenchError, BenchResult};
use crate::stack::device_ref;

/// Client id of the benchmarked clients.
pub const BENCH_CLIENT_ID: &str = "navien-client-bench0001";

/// Capacity of the benchmarks' handler channels: large enough that a burst never drops.
pub const HANDLER_CAPACITY: usize = 1 << 16;

/// Where a client's actors run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// On the caller's actix arbiter (the embedding mode).
    Here,
    /// On a thread with its own actix System, as `Client::start` does when called outside
    /// an actix system; `disconnect()` stops that System and everything on it.
    OwnThread,
}

/// Starts a client from `builder` and waits (at most `limit`) until its first connection is
/// restored (connected, every filter subscribed, queue flushed: `is_connected()`). The event
/// bus is not used for this: with hundreds of devices the burst of status and feature events
/// right after the first connection can overrun a receiver that is not read yet.
pub async fn start_and_wait(
    builder: ClientConfigBuilder,
    placement: Placement,
    limit: Duration,
) -> BenchResult<Client> {
    let config = builder.build().map_err(BenchError::client)?;
    let client = match placement {
        Placement::Here => Client::start(config).await.map_err(BenchError::client)?,
        Placement::OwnThread => start_outside_actix(config).await?,
    };
    let deadline = Instant::now() + limit;
    while !client.is_connected().await {
        if Instant::now() > deadline {
            let _ = client.disconnect().await;
            return Err(BenchError::timeout("client connected and restored", limit));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(client)
}

/// Calls `Client::start` from a plain thread (no actix arbiter), so the client gets its own
/// thread and System.
async fn start_outside_actix(config: nwp500::config::ClientConfig) -> BenchResult<Client> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("bench-client-start".into())
        .spawn(move || {
            let started = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(BenchError::Io)
                .and_then(|rt| {
                    rt.block_on(Client::start(config))
                        .map_err(BenchError::client)
                });
            let _ = tx.send(started);
        })?;
    rx.await
        .map_err(|_| BenchError::client("client start thread ended"))?
}

/// Asks devices `first..first + devices` for a status now, [`REQUESTS_IN_FLIGHT`] at a
/// time (each call returns at its PUBACK). Used right after registering handlers: the
/// client's own first polls go out as soon as it is connected, and their answers may
/// arrive before a handler registered afterwards.
pub async fn request_statuses(client: &Client, first: usize, devices: usize) -> BenchResult<()> {
    use futures::stream::{self, StreamExt, TryStreamExt};
    stream::iter(first..first + devices)
        .map(|d| {
            let mac = crate::payload::device_mac(d);
            async move { client.request_status(&mac).await }
        })
        .buffer_unordered(REQUESTS_IN_FLIGHT)
        .map_err(BenchError::client)
        .try_for_each(|_| async { Ok(()) })
        .await
}

/// Status requests of [`request_statuses`] awaiting their PUBACK at once (as many as the
/// client's own poller allows itself).
const REQUESTS_IN_FLIGHT: usize = nwp500::periodic::DEFAULT_MAX_POLLS_IN_FLIGHT;

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
            .add_handler
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
