//! Handler kinds and how one message is offered to one handler without ever waiting.
//!
//! Every kind is bounded and fed with `try_send`: a full buffer drops that message for that
//! handler only (counted), so the dispatcher never stalls on a slow consumer.

use std::fmt;
use std::sync::Arc;

use std::future::Future;
use std::panic::AssertUnwindSafe;

use actix::dev::SendError;
use actix::{Message, Recipient};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, oneshot};

use super::error::RegistrationError;

/// A plain callback handler. It runs on its own thread (one per handler), fed by a bounded
/// buffer, so a slow or blocking callback delays only itself. The thread ends when the
/// handler is removed or the Subscriptions actor stops.
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
///   a handler that wants to survive bad input should catch its own errors.) The thread
///   ends once its handler is removed or the Subscriptions actor stops, after the call in
///   progress returns; `Client::disconnect` waits for that, up to the operation timeout. A
///   callback that never returns keeps its thread, so callbacks should not block
///   indefinitely.
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
    /// Turns a user sink into a registered one. A callback gets its thread here (counted
    /// in `threads`); the returned [`CallbackEnd`] resolves when that thread's loop is
    /// over and tells whether the callback panicked.
    pub(crate) fn start(
        sink: HandlerSink<T>,
        capacity: usize,
        threads: &CallbackThreads,
    ) -> Result<(Self, Option<CallbackEnd>), RegistrationError> {
        match sink {
            HandlerSink::Recipient(r) => Ok((Self::Recipient(r), None)),
            HandlerSink::Channel(sender) => Ok((
                Self::Channel {
                    sender,
                    callback: false,
                },
                None,
            )),
            HandlerSink::Callback(f) => {
                let (sender, receiver) = mpsc::channel::<T>(capacity.max(1));
                let end = spawn_callback_thread(f, receiver, threads.token())?;
                Ok((
                    Self::Channel {
                        sender,
                        callback: true,
                    },
                    Some(end),
                ))
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

/// How a callback's thread ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    /// Its handler was removed (the buffer's sending side dropped).
    Removed,
    /// The callback panicked; the thread ended there.
    Panicked,
}

/// Resolves when a callback's thread is done. A thread that could not report (it
/// cannot happen: the report is its last act) counts as removed.
pub(crate) type CallbackEnd = oneshot::Receiver<Ended>;

/// The callback threads a Subscriptions actor started: each holds a token until its loop
/// is over, so waiting for every token to be gone waits for every thread.
#[derive(Debug)]
pub(crate) struct CallbackThreads {
    token: mpsc::Sender<()>,
    gone: mpsc::Receiver<()>,
}

impl Default for CallbackThreads {
    fn default() -> Self {
        // Nothing is ever sent: only the senders' lifetimes matter.
        let (token, gone) = mpsc::channel(1);
        Self { token, gone }
    }
}

impl CallbackThreads {
    fn token(&self) -> mpsc::Sender<()> {
        self.token.clone()
    }

    /// Resolves once every thread started so far has finished its loop (the handlers
    /// must be gone first, or their threads keep waiting for messages).
    pub(crate) fn all_finished(self) -> impl Future<Output = ()> + Send + 'static {
        let Self { token, mut gone } = self;
        drop(token);
        async move { while gone.recv().await.is_some() {} }
    }
}

/// Runs `f` for each buffered message on a dedicated OS thread (not tokio's blocking
/// pool, whose idle threads outlive their work by seconds): it exits as soon as the
/// buffer's sending side is dropped, so removing the handler or stopping the actor ends
/// it.
fn spawn_callback_thread<T: Send + 'static>(
    f: Callback<T>,
    mut receiver: mpsc::Receiver<T>,
    token: mpsc::Sender<()>,
) -> Result<CallbackEnd, RegistrationError> {
    let (end_tx, end_rx) = oneshot::channel();
    std::thread::Builder::new()
        .name("nwp500-callback".into())
        .spawn(move || {
            let _running = token;
            // The panic hook still reports the panic; catching it only lets the thread
            // say so before it ends.
            let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
                while let Some(message) = receiver.blocking_recv() {
                    f(&message);
                }
            }));
            let _ = end_tx.send(match outcome {
                Ok(()) => Ended::Removed,
                Err(_) => Ended::Panicked,
            });
        })
        .map_err(|e| RegistrationError::CallbackThread(crate::connection::Cause::new(e)))?;
    Ok(end_rx)
}
