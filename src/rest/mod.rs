//! The NaviLink device endpoints (docs/protocol.md §2.6–§2.9): [`RestClient`] for the
//! device list (paged), device info, firmware info and Time-of-Use, and their typed
//! answers.
//!
//! Layering: `rest` sits above `crate::auth` and `crate::api`. It sends its calls
//! through the HTTP layer in `crate::api` and takes access tokens from a
//! `TokenProvider` (implemented for the `Auth` actor); neither
//! of those layers depends on `rest`. TOU answers decode into the protocol layer's
//! types ([`TouInfo`](crate::protocol::TouInfo), [`TouPlan`](crate::protocol::TouPlan)).

mod client;
mod error;
pub mod models;

pub use client::{RestClient, TouQuery};
internal_use!(client::{
    TokenProvider, DEVICE_INFO_PATH, DEVICE_LIST_PATH, DEVICE_PAGE_SIZE, FIRMWARE_INFO_PATH,
    TOU_CONVERT_PATH, TOU_PATH,
});
pub use error::RestError;
pub use models::device::{
    CloudConnection, Device, DeviceDetail, DeviceInfo, InstallType, Installer, Location,
};
pub use models::firmware::FirmwareInfo;
pub use models::tou::TouUpdate;
