//! Verification of SigV4-presigned WebSocket URLs, as AWS IoT performs it at the upgrade.
//!
//! This is a server-side implementation written independently of any client signer: it rebuilds
//! the canonical request from what arrived (method, path, query, the signed headers), recomputes
//! the signature with the secret that belongs to the access key, and compares. The session token
//! (`X-Amz-Security-Token`) is expected **outside** the signed set, as AWS IoT wants it; a URL
//! whose signature covered the token therefore fails to verify.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use nwp500_sim::sigv4::{verify_presigned, PresignedRequest};
//!
//! let query = "X-Amz-Algorithm=AWS4-HMAC-SHA256\
//!     &X-Amz-Credential=ASIAFAKEACCESSKEY0001%2F20260102%2Fus-east-1%2Fiotdevicegateway%2Faws4_request\
//!     &X-Amz-Date=20260102T030405Z&X-Amz-SignedHeaders=host\
//!     &X-Amz-Signature=a5f06d7a491fc9a15c9017ba2623f37899a0261d8b2a781b1efe4cc7419e3b71\
//!     &X-Amz-Security-Token=FAKE%2FSession%2BToken%3D%3D";
//! let request = PresignedRequest {
//!     method: "GET",
//!     path: "/mqtt",
//!     query,
//!     headers: &[("host", "a1t30mldyslmuq-ats.iot.us-east-1.amazonaws.com")],
//! };
//! let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_323_045); // 2026-01-02T03:04:05Z
//! let verified = verify_presigned(&request, "us-east-1", "iotdevicegateway", now,
//!     Some(Duration::from_secs(300)), |key| {
//!         (key == "ASIAFAKEACCESSKEY0001").then(|| "fakeSecretKey/0123456789+abcdefFAKE".to_string())
//!     })
//!     .unwrap();
//! assert_eq!(verified.session_token.as_deref(), Some("FAKE/Session+Token=="));
//! ```

use std::time::{Duration, SystemTime};

use hmac::{Hmac, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use thiserror::Error;

type HmacSha256 = Hmac<Sha256>;

/// Characters SigV4 percent-encodes: everything except `A–Z a–z 0–9 - _ . ~`.
const SIGV4_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// SHA-256 of the empty payload (WebSocket upgrades have no body).
const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The parts of an HTTP request a presigned-URL check needs.
#[derive(Debug, Clone, Copy)]
pub struct PresignedRequest<'a> {
    /// HTTP method, e.g. `GET`.
    pub method: &'a str,
    /// Request path without the query, e.g. `/mqtt`.
    pub path: &'a str,
    /// Raw query string (without `?`), exactly as received.
    pub query: &'a str,
    /// Request headers as `(name, value)`; names are matched case-insensitively.
    pub headers: &'a [(&'a str, &'a str)],
}

/// What a successful verification established.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifiedRequest {
    /// The access key id the request was signed with.
    pub access_key_id: String,
    /// The (decoded) `X-Amz-Security-Token`, if present.
    pub session_token: Option<String>,
    /// The signing instant (`X-Amz-Date`).
    pub signed_at: SystemTime,
}

impl std::fmt::Debug for VerifiedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedRequest")
            .field("access_key_id", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("signed_at", &self.signed_at)
            .finish()
    }
}

/// Why a presigned request was refused.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum SigV4Error {
    /// A required query parameter is absent.
    #[error("missing query parameter {0}")]
    MissingParameter(&'static str),
    /// A query parameter appears twice.
    #[error("duplicate query parameter {0}")]
    DuplicateParameter(String),
    /// The query is not valid percent-encoded UTF-8.
    #[error("query is not valid percent-encoded UTF-8")]
    BadEncoding,
    /// `X-Amz-Algorithm` is not `AWS4-HMAC-SHA256`.
    #[error("unsupported algorithm {0}")]
    UnsupportedAlgorithm(String),
    /// `X-Amz-Credential` is not `key/date/region/service/aws4_request`.
    #[error("malformed credential scope")]
    MalformedCredential,
    /// The scope names another service.
    #[error("credential scope names service {0}")]
    WrongService(String),
    /// The scope names another region.
    #[error("credential scope names region {0}")]
    WrongRegion(String),
    /// `X-Amz-Date` is not `YYYYMMDD'T'HHMMSS'Z'`.
    #[error("malformed X-Amz-Date")]
    MalformedDate,
    /// The scope date differs from the date part of `X-Amz-Date`.
    #[error("credential scope date does not match X-Amz-Date")]
    ScopeDateMismatch,
    /// The signing time is too far from the server's clock.
    #[error("signature timestamp outside the allowed clock skew")]
    StaleTimestamp,
    /// `X-Amz-Expires` has passed (or is malformed).
    #[error("presigned URL expired")]
    Expired,
    /// `host` is not among the signed headers.
    #[error("host header is not signed")]
    HostNotSigned,
    /// A signed header is missing from the request.
    #[error("signed header {0} missing from the request")]
    MissingSignedHeader(String),
    /// The access key id is unknown to the server.
    #[error("unknown access key id")]
    UnknownAccessKey,
    /// The signature does not match.
    #[error("signature does not match")]
    SignatureMismatch,
}

/// Verifies a presigned request.
///
/// `lookup` maps an access key id to its secret key (`None` = unknown key). `max_skew` bounds
/// `|now − X-Amz-Date|`; `None` disables that check. Checking that the session token belongs to
/// the key and that the credentials are still valid is left to the caller.
pub fn verify_presigned(
    request: &PresignedRequest<'_>,
    region: &str,
    service: &str,
    now: SystemTime,
    max_skew: Option<Duration>,
    lookup: impl FnOnce(&str) -> Option<String>,
) -> Result<VerifiedRequest, SigV4Error> {
    let params = parse_query(request.query)?;
    let get = |name: &'static str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .ok_or(SigV4Error::MissingParameter(name))
    };

    let algorithm = get("X-Amz-Algorithm")?;
    if algorithm != "AWS4-HMAC-SHA256" {
        return Err(SigV4Error::UnsupportedAlgorithm(algorithm.to_owned()));
    }
    let credential = get("X-Amz-Credential")?;
    let amz_date = get("X-Amz-Date")?;
    let signed_headers = get("X-Amz-SignedHeaders")?;
    let signature = get("X-Amz-Signature")?;

    let scope_parts: Vec<&str> = credential.split('/').collect();
    let [access_key_id, scope_date, scope_region, scope_service, terminal] = scope_parts[..] else {
        return Err(SigV4Error::MalformedCredential);
    };
    if access_key_id.is_empty() || terminal != "aws4_request" {
        return Err(SigV4Error::MalformedCredential);
    }
    if scope_service != service {
        return Err(SigV4Error::WrongService(scope_service.to_owned()));
    }
    if scope_region != region {
        return Err(SigV4Error::WrongRegion(scope_region.to_owned()));
    }
    let signed_at = parse_amz_date(amz_date)?;
    if amz_date.get(..8) != Some(scope_date) {
        return Err(SigV4Error::ScopeDateMismatch);
    }
    if let Some(skew) = max_skew {
        let distance = match now.duration_since(signed_at) {
            Ok(d) => d,
            Err(e) => e.duration(),
        };
        if distance > skew {
            return Err(SigV4Error::StaleTimestamp);
        }
    }
    if let Ok(expires) = get("X-Amz-Expires") {
        let secs: u64 = expires.parse().map_err(|_| SigV4Error::Expired)?;
        if now > signed_at + Duration::from_secs(secs) {
            return Err(SigV4Error::Expired);
        }
    }

    let header_names: Vec<&str> = signed_headers.split(';').collect();
    if !header_names.contains(&"host") {
        return Err(SigV4Error::HostNotSigned);
    }
    let mut canonical_headers = String::new();
    for name in &header_names {
        let value = request
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
            .ok_or_else(|| SigV4Error::MissingSignedHeader((*name).to_owned()))?;
        canonical_headers.push_str(&name.to_ascii_lowercase());
        canonical_headers.push(':');
        canonical_headers.push_str(&collapse_spaces(value));
        canonical_headers.push('\n');
    }

    let canonical_request = [
        request.method,
        request.path,
        &canonical_query(&params),
        &canonical_headers,
        signed_headers,
        EMPTY_PAYLOAD_SHA256,
    ]
    .join("\n");
    let scope = format!("{scope_date}/{scope_region}/{scope_service}/aws4_request");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );

    let secret = lookup(access_key_id).ok_or(SigV4Error::UnknownAccessKey)?;
    let key = signing_key(&secret, scope_date, scope_region, scope_service);
    let expected = hex::decode(signature).map_err(|_| SigV4Error::SignatureMismatch)?;
    let mut mac = HmacSha256::new_from_slice(&key).map_err(|_| SigV4Error::SignatureMismatch)?;
    mac.update(string_to_sign.as_bytes());
    // Constant-time comparison.
    mac.verify_slice(&expected)
        .map_err(|_| SigV4Error::SignatureMismatch)?;

    Ok(VerifiedRequest {
        access_key_id: access_key_id.to_owned(),
        session_token: get("X-Amz-Security-Token").ok().map(str::to_owned),
        signed_at,
    })
}

/// Decodes `a=b&c=d` into `(name, value)` pairs; refuses duplicates and bad encodings.
fn parse_query(query: &str) -> Result<Vec<(String, String)>, SigV4Error> {
    let mut params: Vec<(String, String)> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| {
            percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| SigV4Error::BadEncoding)
        };
        let (name, value) = (decode(name)?, decode(value)?);
        if params.iter().any(|(k, _)| *k == name) {
            return Err(SigV4Error::DuplicateParameter(name));
        }
        params.push((name, value));
    }
    Ok(params)
}

/// The canonical query: every parameter except the signature and the session token, encoded
/// with the SigV4 set and sorted.
fn canonical_query(params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "X-Amz-Signature" && k != "X-Amz-Security-Token")
        .map(|(k, v)| (encode(k), encode(v)))
        .collect();
    encoded.sort();
    encoded
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(s: &str) -> String {
    utf8_percent_encode(s, SIGV4_ENCODE).to_string()
}

fn collapse_spaces(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn parse_amz_date(s: &str) -> Result<SystemTime, SigV4Error> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(s, format)
        .map(|t| SystemTime::from(t.assume_utc()))
        .map_err(|_| SigV4Error::MalformedDate)
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    // HMAC accepts keys of any length, so construction cannot fail.
    let mut mac = HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k = hmac(format!("AWS4{secret}").as_bytes(), date);
    let k = hmac(&k, region);
    let k = hmac(&k, service);
    hmac(&k, "aws4_request")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "a1t30mldyslmuq-ats.iot.us-east-1.amazonaws.com";
    const KEY: &str = "ASIAFAKEACCESSKEY0001";
    const SECRET: &str = "fakeSecretKey/0123456789+abcdefFAKE";
    const QUERY: &str = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAFAKEACCESSKEY0001%2F20260102%2Fus-east-1%2Fiotdevicegateway%2Faws4_request&X-Amz-Date=20260102T030405Z&X-Amz-SignedHeaders=host&X-Amz-Signature=a5f06d7a491fc9a15c9017ba2623f37899a0261d8b2a781b1efe4cc7419e3b71&X-Amz-Security-Token=FAKE%2FSession%2BToken%3D%3D";

    fn at_signing_time() -> SystemTime {
        parse_amz_date("20260102T030405Z").unwrap()
    }

    fn verify(query: &str, now: SystemTime) -> Result<VerifiedRequest, SigV4Error> {
        let headers = [("Host", HOST)];
        let request = PresignedRequest {
            method: "GET",
            path: "/mqtt",
            query,
            headers: &headers,
        };
        verify_presigned(
            &request,
            "us-east-1",
            "iotdevicegateway",
            now,
            Some(Duration::from_secs(300)),
            |k| (k == KEY).then(|| SECRET.to_owned()),
        )
    }

    #[test]
    fn protocol_test_vector_verifies() {
        let v = verify(QUERY, at_signing_time()).unwrap();
        assert_eq!(v.access_key_id, KEY);
        assert_eq!(v.session_token.as_deref(), Some("FAKE/Session+Token=="));
        assert_eq!(v.signed_at, at_signing_time());
    }

    #[test]
    fn intermediate_values_match_the_protocol_vector() {
        let key = signing_key(SECRET, "20260102", "us-east-1", "iotdevicegateway");
        assert_eq!(
            hex::encode(key),
            "aaf8a06dfb609c3f963486ce75036ef3bd9ef8c024d3032c4ed5906b1bdb2452"
        );
        let params = parse_query(QUERY).unwrap();
        let canonical = [
            "GET",
            "/mqtt",
            &canonical_query(&params),
            &format!("host:{HOST}\n"),
            "host",
            EMPTY_PAYLOAD_SHA256,
        ]
        .join("\n");
        assert_eq!(
            hex::encode(Sha256::digest(canonical.as_bytes())),
            "9771cc805ee658d6f1a4cbbac8a95fadd47f95a7002d74b87e14753ca21724fb"
        );
    }

    #[test]
    fn one_character_changes_are_rejected() {
        let now = at_signing_time();
        // Last hex digit of the signature.
        let bad_sig = QUERY.replace("e3b71&", "e3b70&");
        assert_eq!(verify(&bad_sig, now), Err(SigV4Error::SignatureMismatch));
        // One second later in the signed date.
        let bad_date = QUERY.replace("T030405Z", "T030406Z");
        assert_eq!(verify(&bad_date, now), Err(SigV4Error::SignatureMismatch));
        // Another access key (unknown to the lookup).
        let bad_key = QUERY.replace("KEY0001", "KEY0002");
        assert_eq!(verify(&bad_key, now), Err(SigV4Error::UnknownAccessKey));
        // Wrong service in the scope.
        let bad_service = QUERY.replace("iotdevicegateway", "iotdevicegatewaz");
        assert!(matches!(
            verify(&bad_service, now),
            Err(SigV4Error::WrongService(_))
        ));
    }

    #[test]
    fn session_token_is_not_part_of_the_signature() {
        // Changing the token does not change the signature check (the caller compares tokens).
        let other_token = QUERY.replace("Token%3D%3D", "Token%3D%3E");
        let v = verify(&other_token, at_signing_time()).unwrap();
        assert_eq!(v.session_token.as_deref(), Some("FAKE/Session+Token=>"));
    }

    #[test]
    fn stale_and_future_timestamps_are_rejected() {
        let late = at_signing_time() + Duration::from_secs(301);
        assert_eq!(verify(QUERY, late), Err(SigV4Error::StaleTimestamp));
        let early = at_signing_time() - Duration::from_secs(301);
        assert_eq!(verify(QUERY, early), Err(SigV4Error::StaleTimestamp));
        let within = at_signing_time() + Duration::from_secs(299);
        assert!(verify(QUERY, within).is_ok());
    }

    #[test]
    fn missing_and_duplicate_parameters_are_rejected() {
        let no_sig = QUERY.replace(
            "&X-Amz-Signature=a5f06d7a491fc9a15c9017ba2623f37899a0261d8b2a781b1efe4cc7419e3b71",
            "",
        );
        assert_eq!(
            verify(&no_sig, at_signing_time()),
            Err(SigV4Error::MissingParameter("X-Amz-Signature"))
        );
        let dup = format!("{QUERY}&X-Amz-Date=20260102T030405Z");
        assert!(matches!(
            verify(&dup, at_signing_time()),
            Err(SigV4Error::DuplicateParameter(_))
        ));
        assert!(verify("", at_signing_time()).is_err());
        assert!(verify("%zz=%", at_signing_time()).is_err());
    }
}
