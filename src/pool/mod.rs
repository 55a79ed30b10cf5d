//! The pool of connections' decision type: which connection serves which device.

mod plan;

pub use plan::{Placement, PoolPlan};
