//! SigV4 presigning of the AWS IoT WebSocket URL (query-string form, docs/protocol.md §3.2).
//!
//! The signature covers only the `host` header, exactly as the client sends it (including
//! `:port` when the URL names a non-default port). The session token is appended *after*
//! the signature and is not part of the signed set, as AWS IoT expects.
//!
//! Everything here is pure: the caller supplies the time, so a URL is signed afresh for
//! every connection attempt and never cached.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use nwp500::credentials::AwsCredentials;
//! use nwp500::sigv4::{presign_url, AWS_REGION, IOT_SERVICE};
//!
//! let creds = AwsCredentials {
//!     access_key_id: "ASIAFAKEACCESSKEY0001".into(),
//!     secret_access_key: "fakeSecretKey/0123456789+abcdefFAKE".into(),
//!     session_token: Some("FAKE/Session+Token==".into()),
//!     expires_at: None,
//! };
//! let url = url::Url::parse("wss://a1t30mldyslmuq-ats.iot.us-east-1.amazonaws.com/mqtt").unwrap();
//! let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_323_045);
//! let signed = presign_url(&url, &creds, AWS_REGION, IOT_SERVICE, when).unwrap();
//! assert!(signed.contains("X-Amz-Signature=a5f06d7a491fc9a15c9017ba2623f37899a0261d8b2a781b1efe4cc7419e3b71"));
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use url::Url;

use crate::credentials::AwsCredentials;

/// AWS region of the NaviLink IoT endpoint (docs/protocol.md §1).
pub const AWS_REGION: &str = "us-east-1";
/// SigV4 service name of the AWS IoT device gateway (docs/protocol.md §1).
pub const IOT_SERVICE: &str = "iotdevicegateway";

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// Hex SHA-256 of the empty payload.
const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Everything except the RFC 3986 unreserved set (`A–Z a–z 0–9 - _ . ~`) is percent-encoded.
const URI_ENCODE_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Why a URL could not be presigned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigV4Error {
    /// The URL has no host to sign.
    #[error("URL has no host")]
    MissingHost,
    /// The signing time is before 1970 or beyond year 9999.
    #[error("signing time out of range")]
    TimeOutOfRange,
}

/// Presigns `endpoint_url` (e.g. `wss://host/mqtt`) and returns the full URL with the signed
/// query. Any query already present in `endpoint_url` is replaced.
///
/// The signed host is the URL's host plus `:port` when the URL names a non-default port.
pub fn presign_url(
    endpoint_url: &Url,
    creds: &AwsCredentials,
    region: &str,
    service: &str,
    when: SystemTime,
) -> Result<String, SigV4Error> {
    let host = endpoint_url.host_str().ok_or(SigV4Error::MissingHost)?;
    let host = match endpoint_url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let path = endpoint_url.path();
    let query = presign_query(&host, path, creds, region, service, when)?;
    Ok(format!(
        "{}://{}{}?{}",
        endpoint_url.scheme(),
        host,
        path,
        query
    ))
}

/// Computes the presigned query string (without the leading `?`) for a GET of `path` on
/// `host`, where `host` is the `Host` header value exactly as it will be sent.
pub fn presign_query(
    host: &str,
    path: &str,
    creds: &AwsCredentials,
    region: &str,
    service: &str,
    when: SystemTime,
) -> Result<String, SigV4Error> {
    let (amz_date, date) = format_amz_date(when)?;
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let credential = format!("{}/{scope}", creds.access_key_id);

    // Already sorted by parameter name, as the canonical form requires.
    let canonical_query = [
        ("X-Amz-Algorithm", ALGORITHM),
        ("X-Amz-Credential", credential.as_str()),
        ("X-Amz-Date", amz_date.as_str()),
        ("X-Amz-SignedHeaders", "host"),
    ]
    .iter()
    .map(|(k, v)| format!("{}={}", uri_encode(k), uri_encode(v)))
    .collect::<Vec<_>>()
    .join("&");

    let canonical_request =
        format!("GET\n{path}\n{canonical_query}\nhost:{host}\n\nhost\n{EMPTY_PAYLOAD_SHA256}");
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );
    let key = signing_key(&creds.secret_access_key, &date, region, service);
    let signature = hex::encode(hmac(&key, string_to_sign.as_bytes()));

    let mut query = format!("{canonical_query}&X-Amz-Signature={signature}");
    if let Some(token) = &creds.session_token {
        query.push_str("&X-Amz-Security-Token=");
        query.push_str(&uri_encode(token));
    }
    Ok(query)
}

/// The SigV4 signing key: `HMAC("AWS4"+secret, date)` → region → service → `aws4_request`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, service.as_bytes());
    hmac(&k, b"aws4_request")
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so construction cannot fail; the fallback
    // keeps this function panic-free regardless.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().into()
        }
        Err(_) => [0; 32],
    }
}

fn uri_encode(s: &str) -> String {
    utf8_percent_encode(s, URI_ENCODE_SET).to_string()
}

/// Returns (`YYYYMMDD'T'HHMMSS'Z'`, `YYYYMMDD`) in UTC.
fn format_amz_date(when: SystemTime) -> Result<(String, String), SigV4Error> {
    let secs = when
        .duration_since(UNIX_EPOCH)
        .map_err(|_| SigV4Error::TimeOutOfRange)?
        .as_secs();
    let secs = i64::try_from(secs).map_err(|_| SigV4Error::TimeOutOfRange)?;
    let t = OffsetDateTime::from_unix_timestamp(secs).map_err(|_| SigV4Error::TimeOutOfRange)?;
    if t.year() > 9999 {
        return Err(SigV4Error::TimeOutOfRange);
    }
    let date = format!("{:04}{:02}{:02}", t.year(), u8::from(t.month()), t.day());
    let amz_date = format!("{date}T{:02}{:02}{:02}Z", t.hour(), t.minute(), t.second());
    Ok((amz_date, date))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const VECTOR_URL: &str = "wss://a1t30mldyslmuq-ats.iot.us-east-1.amazonaws.com/mqtt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAFAKEACCESSKEY0001%2F20260102%2Fus-east-1%2Fiotdevicegateway%2Faws4_request&X-Amz-Date=20260102T030405Z&X-Amz-SignedHeaders=host&X-Amz-Signature=a5f06d7a491fc9a15c9017ba2623f37899a0261d8b2a781b1efe4cc7419e3b71&X-Amz-Security-Token=FAKE%2FSession%2BToken%3D%3D";

    fn vector_creds() -> AwsCredentials {
        AwsCredentials {
            access_key_id: "ASIAFAKEACCESSKEY0001".into(),
            secret_access_key: "fakeSecretKey/0123456789+abcdefFAKE".into(),
            session_token: Some("FAKE/Session+Token==".into()),
            expires_at: None,
        }
    }

    /// 2026-01-02 03:04:05 UTC.
    fn vector_time() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_767_323_045)
    }

    #[test]
    fn vector_time_formats_as_in_protocol() {
        let (amz, date) = format_amz_date(vector_time()).unwrap();
        assert_eq!(amz, "20260102T030405Z");
        assert_eq!(date, "20260102");
    }

    #[test]
    fn presigned_url_matches_protocol_vector_byte_for_byte() {
        let url = Url::parse("wss://a1t30mldyslmuq-ats.iot.us-east-1.amazonaws.com/mqtt").unwrap();
        let signed = presign_url(
            &url,
            &vector_creds(),
            AWS_REGION,
            IOT_SERVICE,
            vector_time(),
        );
        assert_eq!(signed.unwrap(), VECTOR_URL);
    }

    #[test]
    fn signing_key_matches_protocol_vector() {
        let key = signing_key(
            "fakeSecretKey/0123456789+abcdefFAKE",
            "20260102",
            AWS_REGION,
            IOT_SERVICE,
        );
        assert_eq!(
            hex::encode(key),
            "aaf8a06dfb609c3f963486ce75036ef3bd9ef8c024d3032c4ed5906b1bdb2452"
        );
    }

    #[test]
    fn non_default_port_is_part_of_the_signed_host() {
        let creds = vector_creds();
        let with_port = Url::parse("ws://127.0.0.1:8083/mqtt").unwrap();
        let signed = presign_url(&with_port, &creds, AWS_REGION, IOT_SERVICE, vector_time());
        let direct = presign_query(
            "127.0.0.1:8083",
            "/mqtt",
            &creds,
            AWS_REGION,
            IOT_SERVICE,
            vector_time(),
        )
        .unwrap();
        assert_eq!(
            signed.unwrap(),
            format!("ws://127.0.0.1:8083/mqtt?{direct}")
        );
        let without_port = presign_query(
            "127.0.0.1",
            "/mqtt",
            &creds,
            AWS_REGION,
            IOT_SERVICE,
            vector_time(),
        )
        .unwrap();
        assert_ne!(direct, without_port);
    }

    #[test]
    fn session_token_is_outside_the_signature() {
        let host = "a1t30mldyslmuq-ats.iot.us-east-1.amazonaws.com";
        let mut creds = vector_creds();
        creds.session_token = None;
        let q = presign_query(
            host,
            "/mqtt",
            &creds,
            AWS_REGION,
            IOT_SERVICE,
            vector_time(),
        )
        .unwrap();
        assert!(!q.contains("X-Amz-Security-Token"));
        // Same signature as the vector: the token does not take part in signing.
        assert!(q.ends_with(
            "&X-Amz-Signature=a5f06d7a491fc9a15c9017ba2623f37899a0261d8b2a781b1efe4cc7419e3b71"
        ));
    }

    #[test]
    fn signature_changes_with_time() {
        let creds = vector_creds();
        let a =
            presign_query("h", "/mqtt", &creds, AWS_REGION, IOT_SERVICE, vector_time()).unwrap();
        let b = presign_query(
            "h",
            "/mqtt",
            &creds,
            AWS_REGION,
            IOT_SERVICE,
            vector_time() + Duration::from_secs(1),
        )
        .unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn times_before_epoch_are_rejected_not_panicking() {
        let before = UNIX_EPOCH - Duration::from_secs(1);
        let r = presign_query(
            "h",
            "/mqtt",
            &vector_creds(),
            AWS_REGION,
            IOT_SERVICE,
            before,
        );
        assert_eq!(r, Err(SigV4Error::TimeOutOfRange));
        let far = UNIX_EPOCH + Duration::from_secs(400_000_000_000);
        let r = presign_query("h", "/mqtt", &vector_creds(), AWS_REGION, IOT_SERVICE, far);
        assert_eq!(r, Err(SigV4Error::TimeOutOfRange));
    }
}
