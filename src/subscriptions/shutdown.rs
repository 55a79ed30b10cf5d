//! Ending the Subscriptions actor for good (`Client::disconnect`).

use actix::{ActorContext, Handler, ResponseFuture};
use tracing::debug;

use super::actor::Subscriptions;
use crate::lifecycle::Shutdown;

impl Handler<Shutdown> for Subscriptions {
    type Result = ResponseFuture<()>;

    /// Drops every handler, so each callback thread leaves its loop once the call in
    /// progress returns, stops the actor, and answers when every callback thread is
    /// finished (the caller bounds the wait: a callback may never return).
    fn handle(&mut self, _: Shutdown, ctx: &mut Self::Context) -> Self::Result {
        let threads = self.release_handlers();
        debug!("subscriptions actor shutting down");
        ctx.stop();
        Box::pin(threads.all_finished())
    }
}
