//! The broker's routing core: sessions, subscriptions and message delivery.
//!
//! Network sessions (see `session.rs`) and in-process clients (the simulated devices) are both
//! sessions here; a publish is delivered to every session with a matching subscription, the
//! publisher included (AWS IoT does the same, which is why clients see their own requests).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::topic;
use crate::quotas::AwsQuotas;

/// Limits of the broker, modelled on AWS IoT Core.
#[derive(Debug, Clone)]
pub(crate) struct BrokerSettings {
    /// Largest packet accepted (AWS IoT: 128 KiB).
    pub max_packet_size: usize,
    /// How long a new network session may take to send CONNECT.
    pub connect_timeout: Duration,
}

impl Default for BrokerSettings {
    fn default() -> Self {
        BrokerSettings {
            max_packet_size: 128 * 1024,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// One application message as delivered to a session.
#[derive(Debug, Clone)]
pub(crate) struct Message {
    pub topic: Arc<str>,
    pub payload: Arc<[u8]>,
    pub qos: u8,
}

/// What a session's task receives from the router.
#[derive(Debug)]
pub(crate) enum Delivery {
    Message(Message),
    /// Another session took over this client id: end this one.
    Close,
}

struct Session {
    client_id: String,
    subscriptions: HashMap<String, u8>,
    tx: mpsc::UnboundedSender<Delivery>,
}

#[derive(Default)]
struct State {
    next_session: u64,
    sessions: HashMap<u64, Session>,
    by_client: HashMap<String, u64>,
}

/// A cheaply clonable handle on the broker.
#[derive(Clone)]
pub(crate) struct Broker {
    state: Arc<Mutex<State>>,
    settings: Arc<BrokerSettings>,
    /// Watched by every network session, so a change applies to open connections at once.
    quotas: Arc<watch::Sender<AwsQuotas>>,
}

impl Broker {
    pub(crate) fn new(settings: BrokerSettings, quotas: AwsQuotas) -> Self {
        Broker {
            state: Arc::default(),
            settings: Arc::new(settings),
            quotas: Arc::new(watch::Sender::new(quotas)),
        }
    }

    pub(crate) fn settings(&self) -> &BrokerSettings {
        &self.settings
    }

    /// The quotas in force now.
    pub(crate) fn quotas(&self) -> AwsQuotas {
        *self.quotas.borrow()
    }

    pub(crate) fn watch_quotas(&self) -> watch::Receiver<AwsQuotas> {
        self.quotas.subscribe()
    }

    pub(crate) fn set_quotas(&self, quotas: AwsQuotas) {
        self.quotas.send_replace(quotas);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means another thread panicked mid-update of plain maps; the maps
        // stay usable, so keep serving rather than cascading the panic.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a session for `client_id`, ending any older session with the same id.
    pub(crate) fn register(&self, client_id: &str) -> (u64, mpsc::UnboundedReceiver<Delivery>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut state = self.lock();
        let id = state.next_session;
        state.next_session += 1;
        if let Some(old) = state.by_client.insert(client_id.to_owned(), id) {
            if let Some(old) = state.sessions.remove(&old) {
                tracing::info!(
                    client_id,
                    "broker: client id taken over, closing older session"
                );
                let _ = old.tx.send(Delivery::Close);
            }
        }
        state.sessions.insert(
            id,
            Session {
                client_id: client_id.to_owned(),
                subscriptions: HashMap::new(),
                tx,
            },
        );
        (id, rx)
    }

    /// Removes a session (no effect if it was already replaced).
    pub(crate) fn unregister(&self, session: u64) {
        let mut state = self.lock();
        if let Some(s) = state.sessions.remove(&session) {
            if state.by_client.get(&s.client_id) == Some(&session) {
                state.by_client.remove(&s.client_id);
            }
        }
    }

    /// Adds or replaces a subscription; returns the granted QoS.
    pub(crate) fn subscribe(&self, session: u64, filter: &str, qos: u8) -> u8 {
        let granted = qos.min(1);
        if let Some(s) = self.lock().sessions.get_mut(&session) {
            s.subscriptions.insert(filter.to_owned(), granted);
        }
        granted
    }

    /// As [`Broker::subscribe`], unless the session already holds `max` other filters:
    /// `None` then, and nothing changes. Re-subscribing to a held filter always succeeds.
    pub(crate) fn subscribe_within(
        &self,
        session: u64,
        filter: &str,
        qos: u8,
        max: Option<usize>,
    ) -> Option<u8> {
        let granted = qos.min(1);
        let mut state = self.lock();
        let s = state.sessions.get_mut(&session)?;
        let full = max.is_some_and(|max| s.subscriptions.len() >= max);
        if full && !s.subscriptions.contains_key(filter) {
            return None;
        }
        s.subscriptions.insert(filter.to_owned(), granted);
        Some(granted)
    }

    pub(crate) fn unsubscribe(&self, session: u64, filter: &str) {
        if let Some(s) = self.lock().sessions.get_mut(&session) {
            s.subscriptions.remove(filter);
        }
    }

    /// Delivers a message to every session with a matching subscription (once per session, at
    /// the highest matching QoS, capped by the publish QoS). Returns how many sessions got it.
    pub(crate) fn publish(&self, topic: &str, payload: &[u8], qos: u8) -> usize {
        let topic: Arc<str> = Arc::from(topic);
        let payload: Arc<[u8]> = Arc::from(payload);
        let state = self.lock();
        let mut delivered = 0;
        for session in state.sessions.values() {
            let granted = session
                .subscriptions
                .iter()
                .filter(|(filter, _)| topic::matches(filter, &topic))
                .map(|(_, q)| *q)
                .max();
            if let Some(granted) = granted {
                let message = Message {
                    topic: topic.clone(),
                    payload: payload.clone(),
                    qos: granted.min(qos),
                };
                if session.tx.send(Delivery::Message(message)).is_ok() {
                    delivered += 1;
                }
            }
        }
        delivered
    }

    /// Number of sessions, network and in-process.
    #[cfg(test)]
    pub(crate) fn session_count(&self) -> usize {
        self.lock().sessions.len()
    }

    /// Opens an in-process session (used by the simulated devices).
    pub(crate) fn local_client(&self, client_id: &str) -> LocalClient {
        let (session, rx) = self.register(client_id);
        LocalClient {
            broker: self.clone(),
            session,
            rx,
        }
    }
}

/// An in-process MQTT session: subscribe, publish and receive without a socket.
pub(crate) struct LocalClient {
    broker: Broker,
    session: u64,
    rx: mpsc::UnboundedReceiver<Delivery>,
}

impl LocalClient {
    pub(crate) fn subscribe(&self, filter: &str) {
        self.broker.subscribe(self.session, filter, 1);
    }

    pub(crate) fn publish(&self, topic: &str, payload: &[u8]) {
        self.broker.publish(topic, payload, 1);
    }

    /// The next message, or `None` once the session was closed.
    pub(crate) async fn recv(&mut self) -> Option<Message> {
        match self.rx.recv().await {
            Some(Delivery::Message(m)) => Some(m),
            Some(Delivery::Close) | None => None,
        }
    }
}

impl Drop for LocalClient {
    fn drop(&mut self) {
        self.broker.unregister(self.session);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next(rx: &mut mpsc::UnboundedReceiver<Delivery>) -> Option<Message> {
        match rx.try_recv() {
            Ok(Delivery::Message(m)) => Some(m),
            _ => None,
        }
    }

    #[test]
    fn publisher_receives_its_own_message_once() {
        let broker = Broker::new(BrokerSettings::default(), AwsQuotas::default());
        let (a, mut rx) = broker.register("a");
        broker.subscribe(a, "cmd/52/navilink-x/#", 1);
        broker.subscribe(a, "cmd/52/+/st", 0);
        assert_eq!(broker.publish("cmd/52/navilink-x/st", b"{}", 1), 1);
        let m = next(&mut rx).unwrap();
        assert_eq!(&*m.topic, "cmd/52/navilink-x/st");
        assert_eq!(m.qos, 1, "highest matching subscription QoS wins");
        assert!(next(&mut rx).is_none(), "delivered once per session");
    }

    #[test]
    fn same_client_id_replaces_the_older_session() {
        let broker = Broker::new(BrokerSettings::default(), AwsQuotas::default());
        let (old, mut old_rx) = broker.register("dup");
        let (new, _new_rx) = broker.register("dup");
        assert!(matches!(old_rx.try_recv(), Ok(Delivery::Close)));
        // The late cleanup of the old session must not remove the new one.
        broker.unregister(old);
        broker.subscribe(new, "t", 1);
        assert_eq!(broker.publish("t", b"x", 1), 1);
        assert_eq!(broker.session_count(), 1);
    }

    #[test]
    fn subscribe_within_refuses_new_filters_beyond_the_quota_only() {
        let broker = Broker::new(BrokerSettings::default(), AwsQuotas::default());
        let (a, _rx) = broker.register("a");
        assert_eq!(broker.subscribe_within(a, "t/1", 1, Some(2)), Some(1));
        assert_eq!(broker.subscribe_within(a, "t/2", 0, Some(2)), Some(0));
        assert_eq!(broker.subscribe_within(a, "t/3", 1, Some(2)), None);
        assert_eq!(broker.subscribe_within(a, "t/2", 1, Some(2)), Some(1));
        assert_eq!(broker.subscribe_within(a, "t/3", 1, None), Some(1));
        assert_eq!(broker.publish("t/3", b"x", 1), 1);
    }

    #[test]
    fn unsubscribe_stops_delivery() {
        let broker = Broker::new(BrokerSettings::default(), AwsQuotas::default());
        let (a, mut rx) = broker.register("a");
        broker.subscribe(a, "t/#", 1);
        broker.unsubscribe(a, "t/#");
        assert_eq!(broker.publish("t/x", b"x", 0), 0);
        assert!(next(&mut rx).is_none());
    }
}
