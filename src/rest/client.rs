//! [`RestClient`]: authenticated calls to the device endpoints (docs/protocol.md §2.6–§2.9).

use std::sync::Arc;
use std::time::Duration;

use actix::Addr;
use futures::future::BoxFuture;
use futures::FutureExt;
use serde_json::{json, Map, Value};
use tracing::{debug, info, warn};
use url::Url;

use crate::auth::{AccessToken, Auth, AuthConfig, AuthError, GetAccessToken, RenewAccessToken};

use super::error::RestError;
use super::models::device::{parse_device, parse_device_detail, Device, DeviceDetail};
use super::models::firmware::{parse_firmwares, FirmwareInfo};
use super::models::tou::{parse_converted_plans, TouUpdate};
use crate::api::envelope::CallFailure;
use crate::api::http::{build_client, call, endpoint_url, Verb};
use crate::api::{AnswerError, RequestError};
use crate::error_chain::Causes;
use crate::protocol::{TouInfo, TouPlan};

/// Device list path.
pub const DEVICE_LIST_PATH: &str = "/device/list";
/// Device info path.
pub const DEVICE_INFO_PATH: &str = "/device/info";
/// Firmware info path.
pub const FIRMWARE_INFO_PATH: &str = "/device/firmware/info";
/// TOU read (`GET`) and write (`PUT`) path.
pub const TOU_PATH: &str = "/device/tou";
/// TOU conversion path.
pub const TOU_CONVERT_PATH: &str = "/device/tou/convert";

/// Largest page the device list serves (docs/protocol.md §2.6).
pub const DEVICE_PAGE_SIZE: u32 = 20;
/// Safety stop for a server that never returns a short page.
const MAX_DEVICE_PAGES: u32 = 50;

/// Where a [`RestClient`] gets its access token. Implemented for `Addr<Auth>`; tests
/// can supply their own.
pub trait TokenProvider: Send + Sync + 'static {
    /// An access token valid for at least the safety margin.
    fn access_token(&self) -> BoxFuture<'static, Result<AccessToken, AuthError>>;
    /// A new access token after the server refused `rejected`.
    fn renew_access_token(
        &self,
        rejected: AccessToken,
    ) -> BoxFuture<'static, Result<AccessToken, AuthError>>;
}

impl TokenProvider for Addr<Auth> {
    fn access_token(&self) -> BoxFuture<'static, Result<AccessToken, AuthError>> {
        let request = self.send(GetAccessToken);
        async move { request.await.unwrap_or(Err(AuthError::Unavailable)) }.boxed()
    }

    fn renew_access_token(
        &self,
        rejected: AccessToken,
    ) -> BoxFuture<'static, Result<AccessToken, AuthError>> {
        let request = self.send(RenewAccessToken {
            rejected: rejected.token,
        });
        async move { request.await.unwrap_or(Err(AuthError::Unavailable)) }.boxed()
    }
}

/// Parameters of `GET /device/tou`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TouQuery {
    /// `macAddress`.
    pub mac_address: String,
    /// `additionalValue`.
    pub additional_value: String,
    /// `controllerId`: the controller serial number (feature field
    /// `controllerSerialNumber`).
    pub controller_id: String,
    /// `userType` (upstream default `"O"`).
    pub user_type: String,
}

impl TouQuery {
    /// A query with user type `"O"`.
    pub fn new(
        mac_address: impl Into<String>,
        additional_value: impl Into<String>,
        controller_id: impl Into<String>,
    ) -> Self {
        Self {
            mac_address: mac_address.into(),
            additional_value: additional_value.into(),
            controller_id: controller_id.into(),
            user_type: "O".to_owned(),
        }
    }
}

/// Parameters of one request before the `userId` is known.
enum Params {
    /// JSON body (`POST`/`PUT`); `userId` is inserted.
    Body(Map<String, Value>),
    /// Query string (`GET`); `userId` is appended.
    Query(Vec<(&'static str, String)>),
}

struct Inner {
    http: reqwest::Client,
    api_base_url: Url,
    tokens: Arc<dyn TokenProvider>,
}

/// Authenticated REST calls. Cheap to clone; usable from any async task while the
/// token provider (normally the `Auth` actor) runs.
///
/// Every call sends the raw access token in the `authorization` header and the
/// account e-mail as `userId`. An effective code 401 triggers one token renewal and
/// one retry; any other failure is returned as a typed [`RestError`].
#[derive(Clone)]
pub struct RestClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestClient")
            .field("api_base_url", &self.inner.api_base_url.as_str())
            .finish_non_exhaustive()
    }
}

impl RestClient {
    /// A client for `api_base_url` with its own HTTP client (`timeout` per request).
    pub fn new(
        tokens: impl TokenProvider,
        api_base_url: Url,
        timeout: Duration,
    ) -> Result<Self, RestError> {
        let http = build_client(timeout).map_err(|e| RestError::Setup {
            source: Arc::new(e),
        })?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                api_base_url,
                tokens: Arc::new(tokens),
            }),
        })
    }

    /// A client using the `Auth` actor and the base URL and timeout of its config.
    pub fn for_auth(auth: Addr<Auth>, config: &AuthConfig) -> Result<Self, RestError> {
        Self::new(auth, config.api_base_url.clone(), config.http_timeout)
    }

    /// All devices of the account, page by page (20 per page) until a short page.
    pub async fn list_devices(&self) -> Result<Vec<Device>, RestError> {
        let mut devices = Vec::new();
        for page in 0..MAX_DEVICE_PAGES {
            let offset = page * DEVICE_PAGE_SIZE;
            let (entries, raw_len) = self.device_page(offset, DEVICE_PAGE_SIZE).await?;
            devices.extend(entries);
            if raw_len < DEVICE_PAGE_SIZE as usize {
                debug!(count = devices.len(), "device list complete");
                return Ok(devices);
            }
        }
        warn!(
            pages = MAX_DEVICE_PAGES,
            "device list never ended with a short page; stopping"
        );
        Ok(devices)
    }

    /// One page of the device list (`count` ≤ 20 per the vendor docs).
    pub async fn list_devices_page(
        &self,
        offset: u32,
        count: u32,
    ) -> Result<Vec<Device>, RestError> {
        Ok(self.device_page(offset, count).await?.0)
    }

    /// A page and the number of raw entries it had (malformed entries are skipped).
    async fn device_page(
        &self,
        offset: u32,
        count: u32,
    ) -> Result<(Vec<Device>, usize), RestError> {
        let params = body(json!({"offset": offset, "count": count}));
        let data = self.authed(Verb::Post, DEVICE_LIST_PATH, params).await?;
        let list = match data {
            None => Vec::new(),
            Some(Value::Array(list)) => list,
            Some(other) => {
                return Err(RestError::Decode {
                    endpoint: DEVICE_LIST_PATH,
                    source: AnswerError::WrongKind {
                        member: "data",
                        found: crate::protocol::lenient::kind(&other),
                        expected: "an array",
                    },
                })
            }
        };
        let raw_len = list.len();
        let mut devices = Vec::with_capacity(raw_len);
        for (index, entry) in list.iter().enumerate() {
            match parse_device(entry) {
                Ok(d) => devices.push(d),
                Err(reason) => warn!(
                    index,
                    %reason,
                    cause = %Causes(&reason),
                    "skipping a malformed device list entry"
                ),
            }
        }
        Ok((devices, raw_len))
    }

    /// `POST /device/info` for one device.
    pub async fn device_info(
        &self,
        mac_address: &str,
        additional_value: &str,
    ) -> Result<DeviceDetail, RestError> {
        let params = body(json!({"macAddress": mac_address, "additionalValue": additional_value}));
        let data = self.authed(Verb::Post, DEVICE_INFO_PATH, params).await?;
        let data = require_data(DEVICE_INFO_PATH, data)?;
        parse_device_detail(&data).map_err(|source| RestError::Decode {
            endpoint: DEVICE_INFO_PATH,
            source,
        })
    }

    /// `POST /device/firmware/info` for one device.
    pub async fn firmware_info(
        &self,
        mac_address: &str,
        additional_value: &str,
    ) -> Result<Vec<FirmwareInfo>, RestError> {
        let params = body(json!({"macAddress": mac_address, "additionalValue": additional_value}));
        let data = self.authed(Verb::Post, FIRMWARE_INFO_PATH, params).await?;
        let data = require_data(FIRMWARE_INFO_PATH, data)?;
        parse_firmwares(&data).map_err(|source| RestError::Decode {
            endpoint: FIRMWARE_INFO_PATH,
            source,
        })
    }

    /// `GET /device/tou`: the device's TOU settings.
    pub async fn tou_info(&self, query: &TouQuery) -> Result<TouInfo, RestError> {
        let params = Params::Query(vec![
            ("additionalValue", query.additional_value.clone()),
            ("controllerId", query.controller_id.clone()),
            ("macAddress", query.mac_address.clone()),
            ("userType", query.user_type.clone()),
        ]);
        let data = self.authed(Verb::Get, TOU_PATH, params).await?;
        let data = require_data(TOU_PATH, data)?;
        tou_info_from(data)
    }

    /// `PUT /device/tou`: applies a rate plan (enable it afterwards with the MQTT
    /// `tou-on` command).
    pub async fn update_tou(&self, update: &TouUpdate) -> Result<TouInfo, RestError> {
        let value = serde_json::to_value(update).map_err(|e| RestError::Request {
            endpoint: TOU_PATH,
            source: RequestError::Body(e.into()),
        })?;
        let data = self.authed(Verb::Put, TOU_PATH, body(value)).await?;
        let data = require_data(TOU_PATH, data)?;
        tou_info_from(data)
    }

    /// `POST /device/tou/convert`: the server converts OpenEI plans to device plans.
    pub async fn convert_tou(&self, source_data: Vec<Value>) -> Result<Vec<TouPlan>, RestError> {
        let params = body(json!({"sourceData": source_data, "sourceType": "openei",
                                 "sourceVersion": 7, "userType": "O"}));
        let data = self.authed(Verb::Post, TOU_CONVERT_PATH, params).await?;
        let data = require_data(TOU_CONVERT_PATH, data)?;
        parse_converted_plans(&data).map_err(|source| RestError::Decode {
            endpoint: TOU_CONVERT_PATH,
            source,
        })
    }

    /// One authenticated call; on an effective code 401, one renewal and one retry.
    async fn authed(
        &self,
        verb: Verb,
        endpoint: &'static str,
        params: Params,
    ) -> Result<Option<Value>, RestError> {
        let token = self
            .inner
            .tokens
            .access_token()
            .await
            .map_err(|source| RestError::Auth { endpoint, source })?;
        match self.send(verb, endpoint, &params, &token).await {
            Err(failure) if failure.effective_code() == Some(401) => {
                info!(
                    endpoint,
                    "access token refused; renewing it and retrying once"
                );
                let renewed = self
                    .inner
                    .tokens
                    .renew_access_token(token)
                    .await
                    .map_err(|source| RestError::Auth { endpoint, source })?;
                self.send(verb, endpoint, &params, &renewed)
                    .await
                    .map_err(|f| RestError::from_call(endpoint, f))
            }
            other => other.map_err(|f| RestError::from_call(endpoint, f)),
        }
    }

    async fn send(
        &self,
        verb: Verb,
        endpoint: &'static str,
        params: &Params,
        token: &AccessToken,
    ) -> Result<Option<Value>, CallFailure> {
        let mut url =
            endpoint_url(&self.inner.api_base_url, endpoint).map_err(CallFailure::Request)?;
        let body = match params {
            Params::Body(map) => {
                let mut map = map.clone();
                map.insert("userId".to_owned(), Value::String(token.user_id.clone()));
                Some(Value::Object(map))
            }
            Params::Query(pairs) => {
                let mut q = url.query_pairs_mut();
                for (k, v) in pairs {
                    q.append_pair(k, v);
                }
                q.append_pair("userId", &token.user_id);
                drop(q);
                None
            }
        };
        debug!(endpoint, ?verb, "REST call");
        call(
            &self.inner.http,
            verb,
            url,
            Some(token.token.expose()),
            body.as_ref(),
        )
        .await
    }
}

/// A JSON body from an object literal (null members stripped, docs/protocol.md §2.1).
fn body(value: Value) -> Params {
    match value {
        Value::Object(map) => Params::Body(map.into_iter().filter(|(_, v)| !v.is_null()).collect()),
        // Every caller passes an object; an empty body is the harmless fallback.
        _ => Params::Body(Map::new()),
    }
}

fn require_data(endpoint: &'static str, data: Option<Value>) -> Result<Value, RestError> {
    data.ok_or(RestError::Decode {
        endpoint,
        source: AnswerError::Missing { member: "data" },
    })
}

/// The `data` of a `/device/tou` answer as the protocol layer's type.
fn tou_info_from(data: Value) -> Result<TouInfo, RestError> {
    TouInfo::from_value(data).map_err(|e| RestError::Decode {
        endpoint: TOU_PATH,
        source: AnswerError::Tou {
            member: "data",
            source: Arc::new(e),
        },
    })
}
