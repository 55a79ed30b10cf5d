//! The subscription registry: topic filter → handlers. Pure data, no IO.
//!
//! The registry is the source of truth for what the client is subscribed to. It is
//! never cleared by a reconnect; only an explicit removal removes an entry. After a
//! reconnect without a session, [`SubscriptionRegistry::replay_batches`] yields every
//! filter, batched for SUBSCRIBE packets (one SUBSCRIBE per filter however many
//! handlers share it).
//!
//! ```
//! use nwp500::registry::SubscriptionRegistry;
//!
//! let mut registry = SubscriptionRegistry::new();
//! let status = registry.add("cmd/52/navilink-aabbccddeeff/#", "status").unwrap();
//! assert!(status.needs_subscribe);
//! let feature = registry.add("cmd/52/navilink-aabbccddeeff/#", "feature").unwrap();
//! assert!(!feature.needs_subscribe, "one SUBSCRIBE per filter");
//!
//! let hits = registry.matching("cmd/52/navilink-aabbccddeeff/navien-client-0a1b2c3d/res");
//! assert_eq!(hits.iter().map(|(_, h)| **h).collect::<Vec<_>>(), ["status", "feature"]);
//!
//! assert_eq!(registry.remove(status.id), None, "another handler still uses the filter");
//! assert_eq!(registry.remove(feature.id).as_deref(), Some("cmd/52/navilink-aabbccddeeff/#"));
//! ```

mod filter;
mod trie;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::fmt;

pub use filter::{is_valid_topic, FilterError, TopicFilter, MAX_TOPIC_LEN};
use trie::WildcardIndex;

/// At most this many filters go into one SUBSCRIBE for AWS IoT.
pub const MAX_FILTERS_PER_SUBSCRIBE: usize = 8;

/// Identifies one registered handler; never reused within a registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HandlerId(u64);

impl HandlerId {
    /// The raw number.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for HandlerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "handler-{}", self.0)
    }
}

/// What [`SubscriptionRegistry::add`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Added {
    /// The new handler's id (for [`SubscriptionRegistry::remove`]).
    pub id: HandlerId,
    /// `true` when the filter is new to the registry, so the broker must be sent a
    /// SUBSCRIBE for it; `false` when other handlers already share it.
    pub needs_subscribe: bool,
}

/// Broker-side state of one filter, as reported by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SubscriptionState {
    /// Not (yet) acknowledged on the current connection.
    #[default]
    Pending,
    /// The broker acknowledged the SUBSCRIBE on the current connection.
    Acked,
    /// The broker refused it (SUBACK 0x80) or it timed out; retried at the next replay.
    Failed,
}

#[derive(Debug)]
struct Entry {
    filter: TopicFilter,
    /// In registration order.
    handlers: Vec<HandlerId>,
    state: SubscriptionState,
}

#[derive(Debug)]
struct Handler<H> {
    seq: u64,
    meta: H,
}

/// Topic filter → handlers, with per-handler metadata `H` that the registry does not
/// interpret (a channel, a recipient, a parser kind, ...).
///
/// Matching uses an exact-topic hash lookup for plain filters and a level trie for
/// wildcard filters, so its cost depends on the topic's depth, not on the number of
/// filters. Results are ordered by filter registration, then handler registration.
#[derive(Debug)]
pub struct SubscriptionRegistry<H> {
    /// Registration sequence number → entry; the key order is the insertion order.
    entries: BTreeMap<u64, Entry>,
    /// Filter text → sequence number. A topic name contains no wildcard, so looking
    /// a topic up here finds exactly the plain filter equal to it.
    seq_by_filter: HashMap<String, u64>,
    wildcards: WildcardIndex,
    handlers: HashMap<HandlerId, Handler<H>>,
    next_seq: u64,
    next_id: u64,
}

impl<H> Default for SubscriptionRegistry<H> {
    fn default() -> Self {
        Self {
            entries: BTreeMap::new(),
            seq_by_filter: HashMap::new(),
            wildcards: WildcardIndex::default(),
            handlers: HashMap::new(),
            next_seq: 0,
            next_id: 0,
        }
    }
}

impl<H> SubscriptionRegistry<H> {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty registry whose handler ids start at `first`: registries of one client
    /// (one per connection of its pool) hand out ids that never collide.
    pub fn with_first_id(first: u64) -> Self {
        Self {
            next_id: first,
            ..Self::default()
        }
    }

    /// Registers `handler` for `filter` (validated, see [`TopicFilter::new`]).
    pub fn add(&mut self, filter: &str, handler: H) -> Result<Added, FilterError> {
        let (seq, needs_subscribe) = match self.seq_by_filter.get(filter) {
            Some(&seq) => (seq, false),
            None => {
                let filter = TopicFilter::new(filter)?;
                let seq = self.next_seq;
                self.next_seq = self.next_seq.saturating_add(1);
                if filter.has_wildcards() {
                    self.wildcards.insert(filter.as_str(), seq);
                }
                self.seq_by_filter.insert(filter.as_str().to_owned(), seq);
                self.entries.insert(
                    seq,
                    Entry {
                        filter,
                        handlers: Vec::new(),
                        state: SubscriptionState::Pending,
                    },
                );
                (seq, true)
            }
        };
        let id = HandlerId(self.next_id);
        self.next_id = self.next_id.saturating_add(1);
        if let Some(entry) = self.entries.get_mut(&seq) {
            entry.handlers.push(id);
        }
        self.handlers.insert(id, Handler { seq, meta: handler });
        Ok(Added {
            id,
            needs_subscribe,
        })
    }

    /// Unregisters a handler. Returns the filter if it has no handler left (it is
    /// removed from the registry and needs an UNSUBSCRIBE); `None` if other handlers
    /// still use it or the id is unknown.
    pub fn remove(&mut self, id: HandlerId) -> Option<String> {
        let handler = self.handlers.remove(&id)?;
        let entry = self.entries.get_mut(&handler.seq)?;
        entry.handlers.retain(|h| *h != id);
        if entry.handlers.is_empty() {
            self.remove_entry(handler.seq)
        } else {
            None
        }
    }

    /// Unregisters every handler of `filter` and the filter itself. Returns the
    /// removed handler ids; a non-empty result means an UNSUBSCRIBE is needed.
    pub fn remove_filter(&mut self, filter: &str) -> Vec<HandlerId> {
        let Some(&seq) = self.seq_by_filter.get(filter) else {
            return Vec::new();
        };
        let ids = self
            .entries
            .get(&seq)
            .map(|e| e.handlers.clone())
            .unwrap_or_default();
        for id in &ids {
            self.handlers.remove(id);
        }
        self.remove_entry(seq);
        ids
    }

    fn remove_entry(&mut self, seq: u64) -> Option<String> {
        let entry = self.entries.remove(&seq)?;
        self.seq_by_filter.remove(entry.filter.as_str());
        if entry.filter.has_wildcards() {
            self.wildcards.remove(entry.filter.as_str());
        }
        Some(entry.filter.as_str().to_owned())
    }

    /// The handlers whose filter matches `topic`, with their metadata: ordered by
    /// filter registration, then handler registration. A handler registered on two
    /// matching filters appears once per filter. An invalid topic name matches
    /// nothing.
    pub fn matching(&self, topic: &str) -> Vec<(HandlerId, &H)> {
        let mut out = Vec::new();
        for seq in self.matching_seqs(topic) {
            if let Some(entry) = self.entries.get(&seq) {
                out.extend(
                    entry
                        .handlers
                        .iter()
                        .filter_map(|id| self.handlers.get(id).map(|h| (*id, &h.meta))),
                );
            }
        }
        out
    }

    /// The filters matching `topic`, in registration order.
    pub fn matching_filters(&self, topic: &str) -> Vec<&str> {
        self.matching_seqs(topic)
            .into_iter()
            .filter_map(|seq| self.entries.get(&seq).map(|e| e.filter.as_str()))
            .collect()
    }

    fn matching_seqs(&self, topic: &str) -> Vec<u64> {
        let mut seqs = Vec::new();
        if !is_valid_topic(topic) {
            return seqs;
        }
        seqs.extend(self.seq_by_filter.get(topic));
        self.wildcards.collect(topic, &mut seqs);
        seqs.sort_unstable();
        seqs
    }

    /// Every filter, in registration order, split into batches of at most
    /// `max_per_packet` (values below 1 count as 1). Use
    /// [`MAX_FILTERS_PER_SUBSCRIBE`] for AWS IoT.
    pub fn replay_batches(&self, max_per_packet: usize) -> Vec<Vec<String>> {
        batch(self.entries.values(), max_per_packet)
    }

    /// Like [`replay_batches`](Self::replay_batches), but only the filters not in
    /// [`SubscriptionState::Acked`].
    pub fn pending_batches(&self, max_per_packet: usize) -> Vec<Vec<String>> {
        batch(
            self.entries
                .values()
                .filter(|e| e.state != SubscriptionState::Acked),
            max_per_packet,
        )
    }

    /// Records the broker-side state of `filter`; returns `false` if the filter is
    /// not registered.
    pub fn set_state(&mut self, filter: &str, state: SubscriptionState) -> bool {
        match self
            .seq_by_filter
            .get(filter)
            .and_then(|seq| self.entries.get_mut(seq))
        {
            Some(entry) => {
                entry.state = state;
                true
            }
            None => false,
        }
    }

    /// The recorded broker-side state of `filter`.
    pub fn state(&self, filter: &str) -> Option<SubscriptionState> {
        self.entry(filter).map(|e| e.state)
    }

    /// Marks every filter [`SubscriptionState::Pending`] (a new connection without
    /// a session knows none of them).
    pub fn mark_all_pending(&mut self) {
        for entry in self.entries.values_mut() {
            entry.state = SubscriptionState::Pending;
        }
    }

    /// Every filter, in registration order.
    pub fn filters(&self) -> impl Iterator<Item = &str> + '_ {
        self.entries.values().map(|e| e.filter.as_str())
    }

    /// The handlers of `filter`, in registration order (empty if unknown).
    pub fn handlers_of(&self, filter: &str) -> &[HandlerId] {
        self.entry(filter).map_or(&[], |e| e.handlers.as_slice())
    }

    /// The filter a handler is registered on.
    pub fn filter_of(&self, id: HandlerId) -> Option<&str> {
        let handler = self.handlers.get(&id)?;
        self.entries.get(&handler.seq).map(|e| e.filter.as_str())
    }

    /// A handler's metadata.
    pub fn get(&self, id: HandlerId) -> Option<&H> {
        self.handlers.get(&id).map(|h| &h.meta)
    }

    /// A handler's metadata, mutably.
    pub fn get_mut(&mut self, id: HandlerId) -> Option<&mut H> {
        self.handlers.get_mut(&id).map(|h| &mut h.meta)
    }

    /// Whether `filter` is registered.
    pub fn contains_filter(&self, filter: &str) -> bool {
        self.seq_by_filter.contains_key(filter)
    }

    /// Number of registered handlers.
    pub fn len(&self) -> usize {
        self.handlers.len()
    }

    /// Whether no handler is registered.
    pub fn is_empty(&self) -> bool {
        self.handlers.is_empty()
    }

    /// Number of registered filters.
    pub fn filter_count(&self) -> usize {
        self.entries.len()
    }

    fn entry(&self, filter: &str) -> Option<&Entry> {
        self.seq_by_filter
            .get(filter)
            .and_then(|seq| self.entries.get(seq))
    }
}

fn batch<'a>(entries: impl Iterator<Item = &'a Entry>, max_per_packet: usize) -> Vec<Vec<String>> {
    let size = max_per_packet.max(1);
    let mut batches: Vec<Vec<String>> = Vec::new();
    for entry in entries {
        match batches.last_mut() {
            Some(last) if last.len() < size => last.push(entry.filter.as_str().to_owned()),
            _ => batches.push(vec![entry.filter.as_str().to_owned()]),
        }
    }
    batches
}
