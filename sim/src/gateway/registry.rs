//! Live gateway connections: who holds which client id, and how to end them.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use tokio::sync::oneshot;

use crate::conn_log::{ConnLog, ConnectionOutcome};

struct LiveEntry {
    client_id: Option<String>,
    kill: Option<oneshot::Sender<ConnectionOutcome>>,
}

/// The set of open gateway connections.
#[derive(Default)]
pub(crate) struct LiveRegistry {
    entries: Mutex<HashMap<u64, LiveEntry>>,
}

impl LiveRegistry {
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, LiveEntry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a connection; the receiver fires when something ends it.
    pub(crate) fn add(&self, id: u64) -> oneshot::Receiver<ConnectionOutcome> {
        let (tx, rx) = oneshot::channel();
        self.lock().insert(
            id,
            LiveEntry {
                client_id: None,
                kill: Some(tx),
            },
        );
        rx
    }

    pub(crate) fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Makes `id` the live connection of `client_id`, ending every other connection holding it
    /// (AWS IoT allows one connection per client id). Kick and takeover are logged at the same
    /// instant, under the registry lock, so the log never shows a gap or a false overlap.
    pub(crate) fn claim(&self, id: u64, client_id: &str, log: &ConnLog) {
        let mut entries = self.lock();
        let now = Instant::now();
        for (other, entry) in entries.iter_mut() {
            if *other != id
                && entry.client_id.as_deref() == Some(client_id)
                && end(
                    *other,
                    entry,
                    ConnectionOutcome::DuplicateClientId,
                    log,
                    now,
                )
            {
                tracing::info!(
                    client_id,
                    "gateway: newer connection took over the client id"
                );
            }
        }
        if let Some(entry) = entries.get_mut(&id) {
            entry.client_id = Some(client_id.to_owned());
        }
        log.set_connected(id, client_id, now);
    }

    /// Ends every live connection; returns how many.
    pub(crate) fn end_all(&self, outcome: &ConnectionOutcome, log: &ConnLog) -> usize {
        let mut entries = self.lock();
        let now = Instant::now();
        let mut count = 0;
        for (id, entry) in entries.iter_mut() {
            if end(*id, entry, outcome.clone(), log, now) {
                count += 1;
            }
        }
        count
    }

    /// Ends the connections holding `client_id`; returns how many.
    pub(crate) fn end_client(
        &self,
        client_id: &str,
        outcome: &ConnectionOutcome,
        log: &ConnLog,
    ) -> usize {
        let mut entries = self.lock();
        let now = Instant::now();
        let mut count = 0;
        for (id, entry) in entries.iter_mut() {
            if entry.client_id.as_deref() == Some(client_id)
                && end(*id, entry, outcome.clone(), log, now)
            {
                count += 1;
            }
        }
        count
    }
}

/// Signals one connection to end and logs why; false if it was already ending.
fn end(
    id: u64,
    entry: &mut LiveEntry,
    outcome: ConnectionOutcome,
    log: &ConnLog,
    now: Instant,
) -> bool {
    let Some(kill) = entry.kill.take() else {
        return false;
    };
    log.close(id, outcome.clone(), now);
    // The connection task may have finished on its own meanwhile; nothing to do then.
    let _ = kill.send(outcome);
    true
}
