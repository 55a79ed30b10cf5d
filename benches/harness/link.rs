//! nwp500's Connection actor on its own (no supervisor), for the replay benchmark and the
//! Connection-level throughput row: started against a local broker, events discarded,
//! incoming publishes handed to a recipient of the caller's choice.

use std::time::Duration;

use actix::{Actor, Addr, Context, Handler, Recipient};
use nwp500::connection::{
    Close, Connect, Connection, ConnectionEvent, ConnectionSettings, IncomingPublish, Subscribe,
};

use crate::error::{within, BenchError, BenchResult};

/// Swallows the Connection actor's events (the benchmarks watch acknowledgements directly).
pub struct Discard;

impl Actor for Discard {
    type Context = Context<Self>;
}

impl Handler<ConnectionEvent> for Discard {
    type Result = ();
    fn handle(&mut self, _: ConnectionEvent, _: &mut Context<Self>) {}
}

impl Handler<IncomingPublish> for Discard {
    type Result = ();
    fn handle(&mut self, _: IncomingPublish, _: &mut Context<Self>) {}
}

/// A started Connection actor.
pub struct Link {
    /// The actor.
    pub addr: Addr<Connection>,
    generation: u64,
}

impl Link {
    /// Starts a Connection actor for `url` (must run inside an actix system). Incoming
    /// publishes go to `incoming`, or nowhere.
    pub fn start(
        url: &str,
        client_id: &str,
        incoming: Option<Recipient<IncomingPublish>>,
    ) -> BenchResult<Self> {
        let settings = ConnectionSettings::new(url, client_id).map_err(BenchError::client)?;
        let discard = Discard.start();
        let incoming = incoming.unwrap_or_else(|| discard.clone().recipient());
        let connection =
            Connection::new(settings, discard.recipient(), incoming).map_err(BenchError::client)?;
        Ok(Self {
            addr: connection.start_supervised(),
            generation: 0,
        })
    }

    /// Opens the next generation; resolves on CONNACK.
    pub async fn connect(&mut self) -> BenchResult<()> {
        self.generation += 1;
        connect_generation(&self.addr, self.generation).await
    }

    /// Subscribes to `filters` in one request (the actor packs 8 per SUBSCRIBE and pipelines
    /// the packets); fails unless every filter was granted.
    pub async fn subscribe(&self, filters: Vec<String>) -> BenchResult<()> {
        let outcomes = within(
            Duration::from_secs(60),
            "nwp500 SUBACKs",
            self.addr.send(Subscribe { filters }),
        )
        .await?
        .map_err(BenchError::client)?
        .map_err(BenchError::client)?;
        match outcomes.iter().find(|o| o.result.is_err()) {
            Some(refused) => Err(BenchError::client(format!(
                "subscription refused: {:?}",
                refused.result
            ))),
            None => Ok(()),
        }
    }

    /// Closes the current generation (DISCONNECT).
    pub async fn close(&self) {
        let _ = within(
            Duration::from_secs(5),
            "nwp500 close",
            self.addr.send(Close {
                generation: self.generation,
            }),
        )
        .await;
    }
}

/// Opens `generation` of `connection` without credentials; resolves on CONNACK (at most 10 s).
pub async fn connect_generation(connection: &Addr<Connection>, generation: u64) -> BenchResult<()> {
    let connect = connection.send(Connect {
        generation,
        credentials: None,
    });
    within(Duration::from_secs(10), "nwp500 CONNACK", connect)
        .await?
        .map_err(BenchError::client)?
        .map_err(BenchError::client)?;
    Ok(())
}
