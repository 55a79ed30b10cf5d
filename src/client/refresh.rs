//! Reading the account's device list again: water heaters added to the account are
//! followed (placed on a connection of the pool with room, or a new one), those removed
//! are forgotten, and the others are not disturbed.

use std::sync::Arc;
use std::time::Duration;

use actix::WrapFuture;
use actix::{Actor, ActorContext, ActorFutureExt, Addr, AsyncContext, Context, Handler};
use tracing::{debug, info, warn};

use super::device::DeviceSummary;
use super::features::FeatureCache;
use super::wiring::{list_devices, Follower};
use crate::auth::Auth;
use crate::bus::EventBus;
use crate::config::ClientConfig;
use crate::error_chain::Chain;
use crate::events::Event;
use crate::lifecycle::Shutdown;
use crate::protocol::MacAddress;
use crate::rest::RestClient;

/// What a new device list changes: MACs to follow and MACs to forget.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct ListChange {
    pub(super) added: Vec<DeviceSummary>,
    pub(super) removed: Vec<String>,
}

/// Compares the followed MACs with a fresh device list.
pub(super) fn diff(followed: &[String], fresh: Vec<DeviceSummary>) -> ListChange {
    let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    let removed = followed
        .iter()
        .filter(|mac| !fresh.iter().any(|d| same(&d.mac, mac)))
        .cloned()
        .collect();
    let added = fresh
        .into_iter()
        .filter(|d| !followed.iter().any(|mac| same(&d.mac, mac)))
        .collect();
    ListChange { added, removed }
}

/// Reads the device list every `interval` and applies the change.
pub(super) struct DeviceListRefresher {
    pub(super) auth: Addr<Auth>,
    pub(super) rest: RestClient,
    pub(super) config: Arc<ClientConfig>,
    pub(super) follower: Follower,
    pub(super) features: FeatureCache,
    pub(super) bus: EventBus,
    pub(super) interval: Duration,
    /// A refresh is under way (the next tick skips).
    pub(super) running: bool,
}

impl Actor for DeviceListRefresher {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.run_interval(self.interval, |act, ctx| act.refresh(ctx));
    }
}

impl DeviceListRefresher {
    fn refresh(&mut self, ctx: &mut Context<Self>) {
        // Unknown until the discovery of a start during an outage has run.
        if self.running || !self.follower.list.is_known() {
            return;
        }
        self.running = true;
        let (auth, rest, config) = (self.auth.clone(), self.rest.clone(), self.config.clone());
        let follower = self.follower.clone();
        let features = self.features.clone();
        let bus = self.bus.clone();
        let work = async move {
            let fresh = match list_devices(&auth, &rest, &config).await {
                Ok(fresh) => fresh,
                Err(error) => {
                    warn!(error = %Chain(&error), "cannot read the device list; trying again later");
                    return;
                }
            };
            let change = diff(&follower.list.macs(), fresh);
            if change.added.is_empty() && change.removed.is_empty() {
                debug!("device list unchanged");
                return;
            }
            for mac in &change.removed {
                follower.forget(mac).await;
                features.remove(mac);
            }
            let added: Vec<MacAddress> = change
                .added
                .iter()
                .filter_map(|d| MacAddress::new(d.mac.clone()).ok())
                .collect();
            if let Err(error) = follower.follow(change.added).await {
                warn!(error = %Chain(&error), "cannot follow the devices added to the account");
            }
            let removed: Vec<MacAddress> = change
                .removed
                .iter()
                .filter_map(|mac| MacAddress::new(mac.clone()).ok())
                .collect();
            info!(
                added = added.len(),
                removed = removed.len(),
                "device list changed"
            );
            bus.emit(Event::DevicesChanged { added, removed });
        };
        ctx.spawn(work.into_actor(self).map(|(), act, _| act.running = false));
    }
}

impl Handler<Shutdown> for DeviceListRefresher {
    type Result = ();

    fn handle(&mut self, _: Shutdown, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(mac: &str) -> DeviceSummary {
        DeviceSummary::from_mac(mac)
    }

    #[test]
    fn the_change_names_what_came_and_what_went_whatever_the_case() {
        let followed = vec!["aabbccddeeff".to_owned(), "001122334455".to_owned()];
        let change = diff(
            &followed,
            vec![summary("AABBCCDDEEFF"), summary("66778899aabb")],
        );
        assert_eq!(change.removed, ["001122334455"]);
        assert_eq!(
            change
                .added
                .iter()
                .map(|d| d.mac.as_str())
                .collect::<Vec<_>>(),
            ["66778899aabb"]
        );
        assert_eq!(
            diff(
                &followed,
                vec![summary("aabbccddeeff"), summary("001122334455")]
            ),
            ListChange::default()
        );
    }
}
