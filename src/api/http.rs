//! One HTTP exchange with the NaviLink REST API (docs/protocol.md §2.1).
//!
//! JSON in, JSON envelope out; the `authorization` header carries the raw access
//! token (no `Bearer ` prefix) and is marked sensitive so no HTTP layer logs it.
//! Transport errors are kept without their URL (query strings can carry the
//! account e-mail).

use std::time::Duration;

use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use serde_json::Value;
use url::Url;

use super::envelope::{interpret, CallFailure};
use super::error::RequestError;

/// The HTTP verbs the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verb {
    /// `GET` (parameters in the query string).
    Get,
    /// `POST` with a JSON body.
    Post,
    /// `PUT` with a JSON body.
    Put,
}

/// `User-Agent` sent on every call.
pub(crate) const USER_AGENT: &str = concat!("nwp500-rust/", env!("CARGO_PKG_VERSION"));

/// Builds the HTTP client every REST call goes through (rustls, total timeout).
pub(crate) fn build_client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(timeout)
        .user_agent(USER_AGENT)
        .build()
        .map_err(reqwest::Error::without_url)
}

/// `base` + `path`, where `path` starts with `/` and `base` may end with one.
pub(crate) fn endpoint_url(base: &Url, path: &'static str) -> Result<Url, RequestError> {
    let joined = format!("{}{}", base.as_str().trim_end_matches('/'), path);
    Url::parse(&joined).map_err(|source| RequestError::Url { path, source })
}

/// Sends one request and applies the envelope rule to the answer.
pub(crate) async fn call(
    client: &reqwest::Client,
    verb: Verb,
    url: Url,
    authorization: Option<&str>,
    body: Option<&Value>,
) -> Result<Option<Value>, CallFailure> {
    let mut req = match verb {
        Verb::Get => client.get(url),
        Verb::Post => client.post(url),
        Verb::Put => client.put(url),
    };
    if let Some(token) = authorization {
        let mut value = HeaderValue::from_str(token)
            .map_err(|_| CallFailure::Request(RequestError::InvalidToken))?;
        value.set_sensitive(true);
        req = req.header(AUTHORIZATION, value);
    }
    if let Some(body) = body {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| CallFailure::Request(RequestError::Body(e.into())))?;
        req = req
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(bytes);
    }

    let resp = req.send().await.map_err(CallFailure::transport)?;
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = resp.bytes().await.map_err(CallFailure::transport)?;
    interpret(status, content_type.as_deref(), &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_urls_join_with_or_without_trailing_slash() {
        let a = Url::parse("https://nlus.naviensmartcontrol.com/api/v2.1").unwrap();
        let b = Url::parse("https://nlus.naviensmartcontrol.com/api/v2.1/").unwrap();
        let want = "https://nlus.naviensmartcontrol.com/api/v2.1/user/sign-in";
        assert_eq!(endpoint_url(&a, "/user/sign-in").unwrap().as_str(), want);
        assert_eq!(endpoint_url(&b, "/user/sign-in").unwrap().as_str(), want);
    }
}
