//! The latest feature report of each device, needed to validate gated commands.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;

use crate::protocol::Feature;

/// Feature reports by MAC, with a way to wait for the first one.
#[derive(Clone, Default)]
pub(crate) struct FeatureCache {
    inner: Arc<(Mutex<FeatureMap>, Notify)>,
}

type FeatureMap = HashMap<String, Arc<Feature>>;

impl FeatureCache {
    pub(crate) fn insert(&self, mac: &str, feature: Arc<Feature>) {
        self.inner
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(mac.to_owned(), feature);
        self.inner.1.notify_waiters();
    }

    /// Forgets a device's report (the device left the account).
    pub(crate) fn remove(&self, mac: &str) {
        self.inner
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(mac);
    }

    pub(crate) fn get(&self, mac: &str) -> Option<Arc<Feature>> {
        self.inner
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(mac)
            .cloned()
    }

    /// The device's feature report, waiting up to `timeout` for one to arrive.
    pub(crate) async fn wait_for(&self, mac: &str, timeout: Duration) -> Option<Arc<Feature>> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.inner.1.notified();
            if let Some(feature) = self.get(mac) {
                return Some(feature);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.get(mac);
            }
        }
    }
}
