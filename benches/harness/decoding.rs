//! The Connection-level dispatch path without the Subscriptions actor: an actor that decodes
//! every incoming publish once with `nwp500::protocol::classify` and hands status answers to a
//! handler task through a channel. It separates the cost of the transport and decoding from the
//! cost of the full dispatcher.

use std::hint::black_box;
use std::sync::Arc;

use actix::{Actor, Context, Handler};
use nwp500::connection::IncomingPublish;
use nwp500::protocol::{classify, Incoming, Status};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

use crate::arrivals::Arrivals;

/// Decodes incoming publishes and forwards status answers to a handler task.
pub struct DecodeToHandler {
    handler: UnboundedSender<Box<Status>>,
    rejected: u64,
}

impl DecodeToHandler {
    /// The actor (not started) and its handler task, which records each status in `arrivals`.
    pub fn new(arrivals: Arc<Arrivals>) -> Self {
        let (tx, mut rx) = unbounded_channel::<Box<Status>>();
        tokio::spawn(async move {
            while let Some(status) = rx.recv().await {
                black_box(&status);
                arrivals.record();
            }
        });
        Self {
            handler: tx,
            rejected: 0,
        }
    }
}

impl Actor for DecodeToHandler {
    type Context = Context<Self>;
}

impl Handler<IncomingPublish> for DecodeToHandler {
    type Result = ();

    fn handle(&mut self, msg: IncomingPublish, _: &mut Context<Self>) {
        match classify(&msg.topic, &msg.payload) {
            Ok(Incoming::Status(status)) => {
                let _ = self.handler.send(status);
            }
            _ => {
                self.rejected += 1;
                if self.rejected == 1 {
                    tracing::warn!("throughput: a published message did not decode as a status");
                }
            }
        }
    }
}
