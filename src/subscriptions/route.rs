//! What the registry stores per handler: where its messages go and its counters.

use std::cell::Cell;
use std::sync::Arc;

use super::sink::{DeliveryMode, Sink};
use super::updates::{EnergyUpdate, FeatureUpdate, RawMessage, ScheduleUpdate, StatusUpdate};
use crate::protocol::MacAddress;

/// What a handler receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HandlerKind {
    /// Internal: emits `Event::Status` / `Event::Feature` on the event bus for a device
    /// registered with `SubscribeDevice`.
    DeviceEvents,
    /// Internal: keeps the client response wildcard subscribed (no delivery).
    ClientResponses,
    /// [`StatusUpdate`]s of one device.
    Status,
    /// [`FeatureUpdate`]s of one device.
    Feature,
    /// [`ScheduleUpdate`]s (reservation, weekly, TOU, recirculation).
    Schedule,
    /// [`EnergyUpdate`]s.
    Energy,
    /// [`RawMessage`]s: everything matching the filter, undecoded.
    Raw,
}

/// Where one handler's messages go.
pub(crate) enum Route {
    DeviceEvents {
        device: Arc<MacAddress>,
    },
    ClientResponses,
    Status {
        device: Arc<MacAddress>,
        sink: Sink<StatusUpdate>,
    },
    Feature {
        device: Arc<MacAddress>,
        sink: Sink<FeatureUpdate>,
    },
    Schedule {
        device: Arc<MacAddress>,
        sink: Sink<ScheduleUpdate>,
    },
    Energy {
        device: Arc<MacAddress>,
        sink: Sink<EnergyUpdate>,
    },
    Raw {
        sink: Sink<RawMessage>,
    },
}

impl Route {
    pub(crate) fn kind(&self) -> HandlerKind {
        match self {
            Self::DeviceEvents { .. } => HandlerKind::DeviceEvents,
            Self::ClientResponses => HandlerKind::ClientResponses,
            Self::Status { .. } => HandlerKind::Status,
            Self::Feature { .. } => HandlerKind::Feature,
            Self::Schedule { .. } => HandlerKind::Schedule,
            Self::Energy { .. } => HandlerKind::Energy,
            Self::Raw { .. } => HandlerKind::Raw,
        }
    }

    pub(crate) fn mode(&self) -> DeliveryMode {
        match self {
            Self::DeviceEvents { .. } | Self::ClientResponses => DeliveryMode::Internal,
            Self::Status { sink, .. } => sink.mode(),
            Self::Feature { sink, .. } => sink.mode(),
            Self::Schedule { sink, .. } => sink.mode(),
            Self::Energy { sink, .. } => sink.mode(),
            Self::Raw { sink } => sink.mode(),
        }
    }

    /// Whether this handler needs the payload decoded.
    pub(crate) fn needs_decode(&self) -> bool {
        !matches!(self, Self::Raw { .. } | Self::ClientResponses)
    }
}

/// Registry metadata of one handler. Counters are `Cell`s so the dispatcher can update them
/// while it holds the registry's match result (the actor is single-threaded).
pub(crate) struct HandlerEntry {
    pub(crate) route: Route,
    pub(crate) delivered: Cell<u64>,
    pub(crate) dropped: Cell<u64>,
    /// Set while the handler's buffer is full, so an overflow episode is logged once.
    pub(crate) overflowing: Cell<bool>,
}

impl HandlerEntry {
    pub(crate) fn new(route: Route) -> Self {
        Self {
            route,
            delivered: Cell::new(0),
            dropped: Cell::new(0),
            overflowing: Cell::new(false),
        }
    }
}
