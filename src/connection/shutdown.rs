//! Ending the Connection for good (`Client::disconnect`).

use actix::{ActorContext, Handler};
use tracing::info;

use super::actor::Connection;
use crate::lifecycle::Shutdown;

impl Handler<Shutdown> for Connection {
    type Result = ();

    /// Marks the actor shut down, so its supervision ends it instead of restarting it,
    /// and stops it: `stopped` drops any transport left (the Reconnector closed the live
    /// one gracefully before) and the context's timers go with the context. The offline
    /// queue is discarded with the actor.
    fn handle(&mut self, _: Shutdown, ctx: &mut Self::Context) {
        info!(
            queue_len = self.queue_len(),
            "connection actor shutting down"
        );
        self.shutdown.set();
        ctx.stop();
    }
}
