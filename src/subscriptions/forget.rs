//! Forgetting a device removed from the account.

use actix::Handler;
use tracing::info;

use super::actor::Subscriptions;
use super::messages::ForgetDevice;
use crate::protocol::topics::device_wildcard;

impl Handler<ForgetDevice> for Subscriptions {
    type Result = usize;

    fn handle(&mut self, msg: ForgetDevice, ctx: &mut Self::Context) -> usize {
        let filter = device_wildcard(&msg.device);
        let handlers = self.dispatcher.registry.handlers_of(&filter).to_vec();
        let removed = handlers
            .into_iter()
            .filter(|id| self.remove(*id, ctx))
            .count();
        info!(device = %msg.device.mac, handlers = removed, "device forgotten");
        removed
    }
}
