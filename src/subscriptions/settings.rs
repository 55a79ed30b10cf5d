//! Construction settings of the Subscriptions actor.

use crate::config::ClientConfig;
use crate::protocol::{ClientId, UnitSystem};

/// Default capacity of each handler's buffer (callback queues; see `HandlerSink`).
pub const DEFAULT_HANDLER_BUFFER: usize = 64;

/// What the Subscriptions actor needs to know about the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionSettings {
    /// The client id: names the client response wildcard `cmd/{dt}/{cid}/res/#`.
    pub client_id: ClientId,
    /// Unit system of the status/feature events and of the typed updates.
    pub unit: UnitSystem,
    /// Capacity of each callback handler's buffer (at least 1).
    pub handler_buffer: usize,
    /// The first handler id handed out (each connection of a pool has its own range).
    pub first_handler_id: u64,
}

/// Handler ids of connection `i` of a pool start at `i × HANDLER_IDS_PER_CONNECTION`.
pub const HANDLER_IDS_PER_CONNECTION: u64 = 1 << 40;

impl SubscriptionSettings {
    /// Defaults: US customary units (°F), buffers of [`DEFAULT_HANDLER_BUFFER`].
    #[cfg(any(test, feature = "internals"))]
    pub fn new(client_id: ClientId) -> Self {
        Self {
            client_id,
            unit: UnitSystem::UsCustomary,
            handler_buffer: DEFAULT_HANDLER_BUFFER,
            first_handler_id: 0,
        }
    }

    /// Unit and buffer size from the client configuration.
    pub fn from_config(config: &ClientConfig, client_id: ClientId) -> Self {
        Self {
            client_id,
            unit: config.unit_system(),
            handler_buffer: config.handler_buffer().max(1),
            first_handler_id: 0,
        }
    }

    /// The settings of connection `index` of a pool: its own range of handler ids.
    pub fn for_connection(mut self, index: usize) -> Self {
        self.first_handler_id = (index as u64).saturating_mul(HANDLER_IDS_PER_CONNECTION);
        self
    }

    /// The connection of the pool whose registry handed out `id`.
    pub fn connection_of(id: crate::registry::HandlerId) -> usize {
        usize::try_from(id.get() / HANDLER_IDS_PER_CONNECTION).unwrap_or(usize::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_config() {
        let config = ClientConfig::builder()
            .unit_system(UnitSystem::Metric)
            .handler_buffer(7)
            .build()
            .unwrap();
        let id = ClientId::new("navien-client-0a1b2c3d").unwrap();
        let s = SubscriptionSettings::from_config(&config, id.clone());
        assert_eq!(s.unit, UnitSystem::Metric);
        assert_eq!(s.handler_buffer, 7);
        assert_eq!(SubscriptionSettings::new(id).unit, UnitSystem::UsCustomary);
    }
}
