//! Handler kinds and how one message is offered to one handler without ever waiting.
//!
//! Every kind is bounded and fed with `try_send`: a full buffer drops that message for that
//! handler only (counted), so the dispatcher never stalls on a slow consumer.

use std::fmt;
use std::sync::Arc;

use actix::dev::SendError;
use actix::{Message, Recipient};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio::task::JoinHandle;

/// A plain callback handler. It runs on its own thread (one per handler), fed by a bounded
/// buffer, so a slow or blocking callback delays only itself.
pub type Callback<T> = Arc<dyn Fn(&T) + Send + Sync + 'static>;

/// Where a typed handler's messages go.
///
/// * [`HandlerSink::Recipient`]: an actix actor; `try_send` into its mailbox.
/// * [`HandlerSink::Channel`]: a bounded tokio channel; `try_send`.
/// * [`HandlerSink::Callback`]: a function called for each message on a dedicated
///   thread, fed by a buffer of the configured handler capacity. **A callback that panics
///   is removed**: the panic is logged and counted in the statistics, the callback gets no
///   further messages, and if it was the last handler of its topic filter the filter is
///   unsubscribed. (Restarting it would hand the next message to code that just failed;
///   a handler that wants to survive bad input should catch its own errors.) A callback
///   that never returns keeps its thread busy; the runtime waits for such threads when it
///   shuts down, so callbacks should not block indefinitely.
///
/// In every case a full buffer drops that message for that handler only, and a handler
/// whose receiving side is gone (actor stopped, receiver dropped) is removed.
pub enum HandlerSink<T>
where
    T: Message<Result = ()> + Send,
{
    /// An actix recipient.
    Recipient(Recipient<T>),
    /// A bounded tokio channel.
    Channel(mpsc::Sender<T>),
    /// A plain callback.
    Callback(Callback<T>),
}

impl<T> HandlerSink<T>
where
    T: Message<Result = ()> + Send,
{
    /// A callback handler.
    ///
    /// ```
    /// use nwp500::subscriptions::{HandlerSink, StatusUpdate};
    /// let sink = HandlerSink::<StatusUpdate>::callback(|update| {
    ///     println!("tank at {:?}", update.status.dhw_temperature);
    /// });
    /// assert!(matches!(sink, HandlerSink::Callback(_)));
    /// ```
    pub fn callback(f: impl Fn(&T) + Send + Sync + 'static) -> Self {
        Self::Callback(Arc::new(f))
    }
}

impl<T> From<Recipient<T>> for HandlerSink<T>
where
    T: Message<Result = ()> + Send,
{
    fn from(recipient: Recipient<T>) -> Self {
        Self::Recipient(recipient)
    }
}

impl<T> From<mpsc::Sender<T>> for HandlerSink<T>
where
    T: Message<Result = ()> + Send,
{
    fn from(sender: mpsc::Sender<T>) -> Self {
        Self::Channel(sender)
    }
}

impl<T> fmt::Debug for HandlerSink<T>
where
    T: Message<Result = ()> + Send,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Recipient(_) => "HandlerSink::Recipient",
            Self::Channel(_) => "HandlerSink::Channel",
            Self::Callback(_) => "HandlerSink::Callback",
        })
    }
}

/// How a handler receives its messages (for statistics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryMode {
    /// An actix recipient.
    Recipient,
    /// A tokio channel.
    Channel,
    /// A callback on its own thread.
    Callback,
    /// Inside the dispatcher (event bus emission, or no delivery at all).
    Internal,
}

/// What happened to one offered message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Offer {
    /// Handed over.
    Delivered,
    /// The handler's buffer was full: dropped for this handler.
    Full,
    /// The handler's receiving side is gone: remove the handler.
    Closed,
}

/// A registered sink, ready for `try_send`.
pub(crate) enum Sink<T>
where
    T: Message<Result = ()> + Send,
{
    Recipient(Recipient<T>),
    /// A user channel, or the buffer in front of a callback thread.
    Channel {
        sender: mpsc::Sender<T>,
        callback: bool,
    },
}

impl<T> Sink<T>
where
    T: Message<Result = ()> + Send + 'static,
{
    /// Turns a user sink into a registered one. A callback gets its thread here; the
    /// returned handle ends with a panic error if the callback panicked.
    pub(crate) fn start(sink: HandlerSink<T>, capacity: usize) -> (Self, Option<JoinHandle<()>>) {
        match sink {
            HandlerSink::Recipient(r) => (Self::Recipient(r), None),
            HandlerSink::Channel(sender) => (
                Self::Channel {
                    sender,
                    callback: false,
                },
                None,
            ),
            HandlerSink::Callback(f) => {
                let (sender, mut receiver) = mpsc::channel::<T>(capacity.max(1));
                // A dedicated blocking-pool thread: the callback may block or be slow
                // without touching the dispatcher's thread. The loop ends when the
                // handler is removed (its sender is dropped).
                let handle = tokio::task::spawn_blocking(move || {
                    while let Some(message) = receiver.blocking_recv() {
                        f(&message);
                    }
                });
                (
                    Self::Channel {
                        sender,
                        callback: true,
                    },
                    Some(handle),
                )
            }
        }
    }

    /// Offers `message` without waiting.
    pub(crate) fn offer(&self, message: T) -> Offer {
        match self {
            Self::Recipient(r) => match r.try_send(message) {
                Ok(()) => Offer::Delivered,
                Err(SendError::Full(_)) => Offer::Full,
                Err(SendError::Closed(_)) => Offer::Closed,
            },
            Self::Channel { sender, .. } => match sender.try_send(message) {
                Ok(()) => Offer::Delivered,
                Err(TrySendError::Full(_)) => Offer::Full,
                Err(TrySendError::Closed(_)) => Offer::Closed,
            },
        }
    }

    pub(crate) fn mode(&self) -> DeliveryMode {
        match self {
            Self::Recipient(_) => DeliveryMode::Recipient,
            Self::Channel { callback: true, .. } => DeliveryMode::Callback,
            Self::Channel { .. } => DeliveryMode::Channel,
        }
    }
}
