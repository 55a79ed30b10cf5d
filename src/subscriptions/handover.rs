//! The Subscriptions side of a planned handover: the registry's filters for the new
//! link, and the overlap during which both links deliver every message.

use actix::{Handler, MessageResult};
use tracing::debug;

use super::actor::Subscriptions;
use super::messages::{GetFilterBatches, Overlap, SetOverlap};
use crate::registry::MAX_FILTERS_PER_SUBSCRIBE;

impl Handler<GetFilterBatches> for Subscriptions {
    type Result = MessageResult<GetFilterBatches>;

    fn handle(&mut self, _: GetFilterBatches, _: &mut Self::Context) -> Self::Result {
        MessageResult(
            self.dispatcher
                .registry
                .replay_batches(MAX_FILTERS_PER_SUBSCRIBE),
        )
    }
}

impl Handler<SetOverlap> for Subscriptions {
    type Result = ();

    fn handle(&mut self, msg: SetOverlap, _: &mut Self::Context) {
        match msg.0 {
            Some(Overlap { old, new, window }) => {
                debug!(
                    old,
                    new, "handover overlap begins: each message delivered once"
                );
                self.overlap.begin(old, new, window);
            }
            None => {
                debug!(
                    second_copies_dropped = self.overlap.dropped(),
                    "handover overlap ends"
                );
                self.overlap.end();
            }
        }
    }
}
