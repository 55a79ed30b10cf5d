//! Where each device goes: [`PoolPlan`] places devices on connections, each within the
//! per-connection subscription quota, and keeps every device where it is for as long as
//! it is followed.
//!
//! Pure: no IO, no clock. A new device goes to the first connection with room (the
//! lowest index), or to a new connection when all are full; a removed device frees its
//! place, which the next new device fills. No device ever moves, so adding or removing
//! one never disturbs another.

use std::collections::HashMap;

use crate::protocol::MacAddress;

/// Devices per connection and their places.
#[derive(Debug, Clone)]
pub struct PoolPlan {
    per_connection: usize,
    /// Devices of each connection, by index.
    members: Vec<Vec<MacAddress>>,
    place: HashMap<MacAddress, usize>,
}

/// Where [`PoolPlan::place`] put a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// The connection's index.
    pub connection: usize,
    /// The connection is new: it must be started.
    pub new_connection: bool,
}

impl PoolPlan {
    /// An empty plan of connections serving at most `per_connection` devices each
    /// (values below 1 count as 1).
    pub fn new(per_connection: usize) -> Self {
        Self {
            per_connection: per_connection.max(1),
            members: Vec::new(),
            place: HashMap::new(),
        }
    }

    /// Places `device`: where it already is, or on the first connection with room, or
    /// on a new one.
    pub fn place(&mut self, device: &MacAddress) -> Placement {
        if let Some(&connection) = self.place.get(device) {
            return Placement {
                connection,
                new_connection: false,
            };
        }
        let free = self
            .members
            .iter()
            .position(|m| m.len() < self.per_connection);
        let (connection, new_connection) = match free {
            Some(i) => (i, false),
            None => {
                self.members.push(Vec::new());
                (self.members.len() - 1, true)
            }
        };
        self.members[connection].push(device.clone());
        self.place.insert(device.clone(), connection);
        Placement {
            connection,
            new_connection,
        }
    }

    /// Removes `device`; answers the connection it was on. The connection stays (empty
    /// connections are kept: a device added later fills them first).
    pub fn remove(&mut self, device: &MacAddress) -> Option<usize> {
        let connection = self.place.remove(device)?;
        if let Some(members) = self.members.get_mut(connection) {
            members.retain(|m| m != device);
        }
        Some(connection)
    }

    /// The connection of `device`.
    pub fn connection_of(&self, device: &MacAddress) -> Option<usize> {
        self.place.get(device).copied()
    }

    /// How many connections the plan uses.
    pub fn connections(&self) -> usize {
        self.members.len()
    }

    /// The devices of connection `index`.
    pub fn members(&self, index: usize) -> &[MacAddress] {
        self.members.get(index).map_or(&[], Vec::as_slice)
    }

    /// Devices per connection at most.
    pub fn per_connection(&self) -> usize {
        self.per_connection
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn mac(i: u64) -> MacAddress {
        MacAddress::new(format!("{:012x}", 0x0478_0000_0000_u64 + i)).unwrap()
    }

    #[test]
    fn a_thousand_devices_take_twenty_one_connections_of_forty_nine() {
        let mut plan = PoolPlan::new(49);
        let new: usize = (0..1_000)
            .filter(|i| plan.place(&mac(*i)).new_connection)
            .count();
        assert_eq!((plan.connections(), new), (21, 21));
        assert!((0..20).all(|i| plan.members(i).len() == 49));
        assert_eq!(plan.members(20).len(), 1_000 - 20 * 49);
    }

    #[test]
    fn placing_again_keeps_the_place() {
        let mut plan = PoolPlan::new(2);
        let first = plan.place(&mac(1));
        assert_eq!(
            first,
            Placement {
                connection: 0,
                new_connection: true
            }
        );
        assert_eq!(
            plan.place(&mac(1)),
            Placement {
                connection: 0,
                new_connection: false
            }
        );
        assert_eq!(plan.members(0).len(), 1);
    }

    #[test]
    fn a_freed_place_is_filled_first_and_nobody_moves() {
        let mut plan = PoolPlan::new(2);
        for i in 0..5 {
            plan.place(&mac(i));
        }
        assert_eq!(plan.connections(), 3);
        assert_eq!(plan.remove(&mac(1)), Some(0));
        assert_eq!(plan.remove(&mac(1)), None);
        let placed = plan.place(&mac(9));
        assert_eq!(placed.connection, 0);
        assert!(!placed.new_connection);
        for i in [0, 2, 3, 4] {
            assert_eq!(plan.connection_of(&mac(i)), Some(i as usize / 2));
        }
    }

    proptest! {
        /// Whatever the sequence of additions and removals: no connection holds more
        /// than its quota, and a device stays on its connection until removed.
        #[test]
        fn quotas_hold_and_devices_never_move(
            per in 1usize..6,
            ops in proptest::collection::vec((any::<bool>(), 0u64..40), 1..200),
        ) {
            let mut plan = PoolPlan::new(per);
            let mut seen: HashMap<MacAddress, usize> = HashMap::new();
            for (add, i) in ops {
                let device = mac(i);
                if add {
                    let placed = plan.place(&device);
                    if let Some(before) = seen.get(&device) {
                        prop_assert_eq!(*before, placed.connection);
                    }
                    seen.insert(device, placed.connection);
                } else {
                    prop_assert_eq!(plan.remove(&device), seen.remove(&device));
                }
                for c in 0..plan.connections() {
                    prop_assert!(plan.members(c).len() <= per);
                }
                for (device, c) in &seen {
                    prop_assert_eq!(plan.connection_of(device), Some(*c));
                }
            }
        }
    }
}
