//! An actor that turns the Connection actor's event and incoming-publish recipients into
//! tokio channels a test can await.

#![allow(dead_code)]

use std::time::Duration;

use actix::{Actor, Addr, Context, Handler, Recipient};
use nwp500::connection::{CommandEvent, ConnectionEvent, IncomingPublish};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

/// Forwards everything it receives into channels.
pub struct EventSink {
    events: UnboundedSender<ConnectionEvent>,
    incoming: UnboundedSender<IncomingPublish>,
}

impl Actor for EventSink {
    type Context = Context<Self>;
}

impl Handler<ConnectionEvent> for EventSink {
    type Result = ();
    fn handle(&mut self, msg: ConnectionEvent, _: &mut Context<Self>) {
        let _ = self.events.send(msg);
    }
}

impl Handler<IncomingPublish> for EventSink {
    type Result = ();
    fn handle(&mut self, msg: IncomingPublish, _: &mut Context<Self>) {
        let _ = self.incoming.send(msg);
    }
}

/// The receiving ends plus the recipients to give to the Connection actor.
pub struct Events {
    pub addr: Addr<EventSink>,
    pub events: UnboundedReceiver<ConnectionEvent>,
    pub incoming: UnboundedReceiver<IncomingPublish>,
}

impl Events {
    /// Starts a sink (must run inside an actix system).
    pub fn start() -> Self {
        let (etx, erx) = unbounded_channel();
        let (itx, irx) = unbounded_channel();
        let addr = EventSink {
            events: etx,
            incoming: itx,
        }
        .start();
        Self {
            addr,
            events: erx,
            incoming: irx,
        }
    }

    pub fn events_recipient(&self) -> Recipient<ConnectionEvent> {
        self.addr.clone().recipient()
    }

    pub fn incoming_recipient(&self) -> Recipient<IncomingPublish> {
        self.addr.clone().recipient()
    }

    /// Everything received so far (without waiting).
    pub fn drain(&mut self) -> Vec<ConnectionEvent> {
        let mut out = Vec::new();
        while let Ok(e) = self.events.try_recv() {
            out.push(e);
        }
        out
    }

    /// Waits (bounded) for the next event matching `pred`, discarding others.
    pub async fn wait_for(
        &mut self,
        within: Duration,
        pred: impl Fn(&ConnectionEvent) -> bool,
    ) -> Option<ConnectionEvent> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(e)) if pred(&e) => return Some(e),
                Ok(Some(_)) => continue,
                _ => return None,
            }
        }
    }
}

/// The command events among `events`.
pub fn command_events(events: &[ConnectionEvent]) -> Vec<CommandEvent> {
    events
        .iter()
        .filter_map(|e| match e {
            ConnectionEvent::Command(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}
