//! The NaviLink REST API (protocol.md §2): the response envelope, sign-in and refresh
//! wire models (used by [`crate::auth`]), and [`RestClient`] for the device
//! endpoints: device list (paged), device info, firmware info and Time-of-Use.

pub mod auth_api;
mod client;
pub(crate) mod envelope;
mod error;
pub(crate) mod http;
pub(crate) mod lenient;
pub mod models;

pub use auth_api::{SignInData, TokenPayload, UserInfo};
pub use client::{
    RestClient, TokenProvider, TouQuery, DEVICE_INFO_PATH, DEVICE_LIST_PATH, DEVICE_PAGE_SIZE,
    FIRMWARE_INFO_PATH, TOU_CONVERT_PATH, TOU_PATH,
};
pub use error::RestError;
pub use models::device::{
    CloudConnection, Device, DeviceDetail, DeviceInfo, InstallType, Installer, Location,
};
pub use models::firmware::FirmwareInfo;
pub use models::tou::{TouInfo, TouInterval, TouPlan, TouSeason, TouUpdate};
