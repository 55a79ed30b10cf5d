//! nwp500's dispatch stack without the supervisor: the Connection actor feeding the
//! Subscriptions actor (registry + dispatcher), wired as the client wires them. Used for the
//! replay benchmark (the registry replayed by `Replay`) and the Subscriptions throughput row.

use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Addr, AsyncContext, Context};
use nwp500::bus::EventBus;
use nwp500::clock::TokioClock;
use nwp500::connection::{Close, Connection, ConnectionSettings};
use nwp500::protocol::{ClientId, DeviceRef, MacAddress};
use nwp500::subscriptions::{
    AddFilterHandler, AddHandler, HandlerSink, RawMessage, Replay, ReplayReport, StatusUpdate,
    SubscriptionSettings, Subscriptions,
};
use tokio::sync::mpsc;

use crate::error::{within, BenchError, BenchResult};
use crate::link::Discard;
use crate::payload::CLIENT_ID;

/// Connection + Subscriptions actors for one broker URL.
pub struct Stack {
    connection: Addr<Connection>,
    subscriptions: Addr<Subscriptions>,
    generation: u64,
}

/// The device reference of simulated device `index`.
pub fn device_ref(index: usize) -> BenchResult<DeviceRef> {
    let spec = nwp500_sim::DeviceSpec::numbered(index);
    let mac = MacAddress::new(spec.mac).map_err(BenchError::client)?;
    Ok(DeviceRef::nwp500(mac, spec.additional_value))
}

impl Stack {
    /// Starts both actors (inside an actix system); nothing is connected yet.
    pub fn start(url: &str) -> BenchResult<Self> {
        let client_id = ClientId::new(CLIENT_ID).map_err(BenchError::client)?;
        let subscriptions_ctx = Context::<Subscriptions>::new();
        let settings = ConnectionSettings::new(url, CLIENT_ID).map_err(BenchError::client)?;
        let connection = Connection::new(
            settings,
            Discard.start().recipient(),
            subscriptions_ctx.address().recipient(),
        )
        .map_err(BenchError::client)?
        .start_supervised();
        let bus = EventBus::new(1024, Arc::new(TokioClock));
        let subscriptions = subscriptions_ctx.run(Subscriptions::new(
            SubscriptionSettings::new(client_id),
            connection.clone().recipient(),
            connection.clone().recipient(),
            bus,
        ));
        Ok(Self {
            connection,
            subscriptions,
            generation: 0,
        })
    }

    /// Registers a typed status handler for device `index` (recorded only while offline).
    pub async fn add_status_handler(
        &self,
        index: usize,
        sink: mpsc::Sender<StatusUpdate>,
    ) -> BenchResult<()> {
        let add = AddHandler::status(device_ref(index)?, HandlerSink::Channel(sink));
        self.subscriptions
            .send(add)
            .await
            .map_err(BenchError::client)?
            .map_err(BenchError::client)?;
        Ok(())
    }

    /// Registers a raw handler on `filter` (recorded only while offline).
    pub async fn add_filter(
        &self,
        filter: String,
        sink: mpsc::Sender<RawMessage>,
    ) -> BenchResult<()> {
        self.subscriptions
            .send(AddFilterHandler {
                filter,
                handler: HandlerSink::Channel(sink),
            })
            .await
            .map_err(BenchError::client)?
            .map_err(BenchError::client)?;
        Ok(())
    }

    /// Opens the next transport generation; resolves on CONNACK.
    pub async fn connect(&mut self) -> BenchResult<()> {
        self.generation += 1;
        crate::link::connect_generation(&self.connection, self.generation).await
    }

    /// Replays the whole registry (as the supervisor does after a CONNACK without a
    /// session); fails unless every filter was acknowledged.
    pub async fn replay(&self) -> BenchResult<ReplayReport> {
        let report = within(
            Duration::from_secs(60),
            "nwp500 replay",
            self.subscriptions.send(Replay),
        )
        .await?
        .map_err(BenchError::client)?
        .map_err(BenchError::client)?;
        if report.failed > 0 {
            return Err(BenchError::client(format!(
                "replay: {} filters refused",
                report.failed
            )));
        }
        Ok(report)
    }

    /// Closes the current generation.
    pub async fn close(&self) {
        let _ = within(
            Duration::from_secs(5),
            "nwp500 close",
            self.connection.send(Close {
                generation: self.generation,
            }),
        )
        .await;
    }
}
