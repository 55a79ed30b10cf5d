//! The Connection's supervision: restarts the actor whenever it stops, like actix's
//! `Supervisor`, until it is shut down.
//!
//! actix 0.13's `Supervisor` restarts a stopped actor for as long as any strong address
//! of it exists (`ContextFut::restart` checks only that the mailbox has senders). The
//! client's handle, the Reconnector and the other actors hold such addresses, so a
//! stopped Connection would be restarted at once, and an actor that stopped itself again
//! from `started` would be restarted in a busy loop. This supervision checks a flag set
//! by [`Shutdown`](crate::lifecycle::Shutdown) first: once set, a stop is the end, the
//! actor and its mailbox are dropped, and every address answers `MailboxError::Closed`.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use actix::dev::ContextFut;
use actix::{Addr, AsyncContext, Context};

use super::actor::Connection;

/// Set once the Connection is shut down; shared by the actor (across its restarts) and
/// its supervision. Atomic only so that an unstarted `Connection` stays `Send`.
#[derive(Debug, Clone, Default)]
pub(super) struct ShutdownFlag(Arc<AtomicBool>);

impl ShutdownFlag {
    pub(super) fn set(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub(super) fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Runs `actor` on the current arbiter under a supervision that restarts it after every
/// stop until `flag` is set.
pub(super) fn start(actor: Connection, flag: ShutdownFlag) -> Addr<Connection> {
    let ctx = Context::new();
    let address = ctx.address();
    actix::spawn(Supervision {
        fut: ctx.into_future(actor),
        flag,
    });
    address
}

struct Supervision {
    fut: ContextFut<Connection, Context<Connection>>,
    flag: ShutdownFlag,
}

impl Future for Supervision {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        loop {
            match Pin::new(&mut self.fut).poll(cx) {
                Poll::Pending => return Poll::Pending,
                // `restart` calls `Supervised::restarting`; the loop then polls the new
                // incarnation, which runs `started`. Without senders it declines.
                Poll::Ready(()) => {
                    if self.flag.is_set() || !self.fut.restart() {
                        return Poll::Ready(());
                    }
                }
            }
        }
    }
}
