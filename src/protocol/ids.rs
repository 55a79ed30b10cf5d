//! Identifiers: MQTT client id, session id, device MAC and the device reference used to
//! address one water heater (docs/protocol.md §0, §3.4).
//!
//! `Debug` and `Display` of [`ClientId`], [`SessionId`] and [`MacAddress`] are redacted so
//! that they can go into logs; use `as_str()` where the full value is needed (topics,
//! payloads).

use std::fmt;

use rand::RngCore;

use super::error::IdError;

/// `deviceType` of the NWP500 (`NPF700_WIFI`, docs/protocol.md §1).
pub const NWP500_DEVICE_TYPE: u32 = 52;

/// Prefix of generated client ids.
const CLIENT_ID_PREFIX: &str = "navien-client-";

/// AWS IoT limits client ids to 128 bytes.
pub(crate) const MAX_CLIENT_ID_LEN: usize = 128;

/// Longest MAC-like string accepted from the device list.
const MAX_MAC_LEN: usize = 64;

/// Rejects characters that would break an MQTT topic level or a log line.
fn check_topic_level(kind: &'static str, s: &str, max: usize) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty { kind });
    }
    if s.len() > max {
        return Err(IdError::TooLong { kind, max });
    }
    if s.chars()
        .any(|c| matches!(c, '/' | '+' | '#') || c.is_whitespace() || c.is_control())
    {
        return Err(IdError::InvalidCharacter { kind });
    }
    Ok(())
}

/// A MAC (or any identifier) reduced to its last four characters, `…eeff`, for logs and
/// error messages.
pub fn redact_mac(mac: &str) -> String {
    redact_tail(mac, 4)
}

/// Keeps only the last `keep` characters: `…eeff`; short values are fully hidden.
fn redact_tail(s: &str, keep: usize) -> String {
    let n = s.chars().count();
    if n <= keep {
        return "<redacted>".to_owned();
    }
    let tail: String = s.chars().skip(n - keep).collect();
    format!("…{tail}")
}

/// The MQTT client id (`{cid}`, §3.4): one per client instance, reused across reconnects.
/// It appears in CONNECT, in every command's `clientID` and in the client's response topics.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(String);

impl ClientId {
    /// A fresh random id: `navien-client-` followed by 8 lowercase hex digits.
    pub fn random() -> Self {
        Self::random_with(&mut rand::rng())
    }

    /// Like [`ClientId::random`] with a caller-supplied (e.g. seeded) generator.
    pub fn random_with<R: RngCore + ?Sized>(rng: &mut R) -> Self {
        Self(format!("{CLIENT_ID_PREFIX}{:08x}", rng.next_u32()))
    }

    /// A configured client id. It must be usable as one MQTT topic level: non-empty, at most
    /// 128 bytes, without `/`, `+`, `#`, whitespace or control characters.
    pub fn new(id: impl Into<String>) -> Result<Self, IdError> {
        let id = id.into();
        check_topic_level("client id", &id, MAX_CLIENT_ID_LEN)?;
        Ok(Self(id))
    }

    /// The id of the second connection a planned handover opens: the same id with its
    /// own suffix (`-h`), shortened if needed to stay within 128 bytes. AWS IoT allows
    /// one connection per client id, so the connection that takes over cannot use the
    /// id of the one it replaces. Handovers alternate between an id and its peer.
    pub fn handover_peer(&self) -> Self {
        self.with_suffix("-h")
    }

    /// The id of connection `index` of a client's pool (an account with more devices
    /// than one connection may serve): the id itself for the first, the id with `-p{index}`
    /// for the others, shortened if needed to stay within 128 bytes.
    pub fn pool_member(&self, index: usize) -> Self {
        if index == 0 {
            self.clone()
        } else {
            self.with_suffix(&format!("-p{index}"))
        }
    }

    fn with_suffix(&self, suffix: &str) -> Self {
        let mut base = self.0.as_str();
        while base.len() + suffix.len() > MAX_CLIENT_ID_LEN {
            let mut end = base.len() - 1;
            while !base.is_char_boundary(end) {
                end -= 1;
            }
            base = &base[..end];
        }
        Self(format!("{base}{suffix}"))
    }

    /// The full id, for topics, payloads and CONNECT.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A log-safe form (`navien-client-…3d`).
    pub fn redacted(&self) -> String {
        match self.0.strip_prefix(CLIENT_ID_PREFIX) {
            Some(rest) => format!("{CLIENT_ID_PREFIX}{}", redact_tail(rest, 2)),
            None => redact_tail(&self.0, 2),
        }
    }
}

impl fmt::Debug for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientId({})", self.redacted())
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// The session id (`{sid}`, §3.4): 32 lowercase hex digits (a UUIDv4 without dashes), one
/// per client instance, sent as `sessionID` in every command.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionId(String);

impl SessionId {
    /// A fresh random UUIDv4 rendered as 32 lowercase hex digits.
    pub fn random() -> Self {
        Self::random_with(&mut rand::rng())
    }

    /// Like [`SessionId::random`] with a caller-supplied (e.g. seeded) generator.
    pub fn random_with<R: RngCore + ?Sized>(rng: &mut R) -> Self {
        let mut b = [0u8; 16];
        rng.fill_bytes(&mut b);
        // RFC 4122 version 4 and variant bits, as a UUIDv4 has them.
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        Self(hex::encode(b))
    }

    /// Parses a session id: exactly 32 lowercase hex digits.
    pub fn new(id: impl Into<String>) -> Result<Self, IdError> {
        let id = id.into();
        let ok = id.len() == 32
            && id
                .bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c));
        if ok {
            Ok(Self(id))
        } else {
            Err(IdError::Format {
                kind: "session id",
                expected: "32 lowercase hex digits",
            })
        }
    }

    /// The full id, for payloads.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A log-safe form (`…eeff`).
    pub fn redacted(&self) -> String {
        redact_tail(&self.0, 4)
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({})", self.redacted())
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// A device MAC exactly as the REST device list returns it (`{mac}`, normally 12 lowercase
/// hex digits without separators). It is used verbatim in topics and payloads.
///
/// `Debug` and `Display` show only the last four characters (`…eeff`); call
/// [`MacAddress::as_str`] for topics and payloads.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MacAddress(String);

impl MacAddress {
    /// Accepts the device list's value. It must be usable as part of a topic level:
    /// non-empty, at most 64 bytes, without `/`, `+`, `#`, whitespace or control characters.
    pub fn new(mac: impl Into<String>) -> Result<Self, IdError> {
        let mac = mac.into();
        check_topic_level("MAC address", &mac, MAX_MAC_LEN)?;
        Ok(Self(mac))
    }

    /// The full MAC, for topics and payloads. Never log this.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A log-safe form showing only the last four characters (`…eeff`).
    pub fn redacted(&self) -> String {
        redact_tail(&self.0, 4)
    }
}

impl fmt::Debug for MacAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MacAddress({})", self.redacted())
    }
}

impl fmt::Display for MacAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Serialises in full: serialised events are the application's data (the monitor's JSON
/// lines, a dashboard's feed), which need the MAC as topics use it. Logs use `Display`.
impl serde::Serialize for MacAddress {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Everything needed to address one device in topics and request payloads.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeviceRef {
    /// `macAddress` from the device list.
    pub mac: MacAddress,
    /// `additionalValue` from the device list, echoed verbatim in every request.
    pub additional_value: String,
    /// `deviceType` from the device list (52 for the NWP500).
    pub device_type: u32,
}

impl DeviceRef {
    /// A device reference from the device list's three values.
    pub fn new(mac: MacAddress, additional_value: impl Into<String>, device_type: u32) -> Self {
        Self {
            mac,
            additional_value: additional_value.into(),
            device_type,
        }
    }

    /// An NWP500 (`deviceType` 52).
    pub fn nwp500(mac: MacAddress, additional_value: impl Into<String>) -> Self {
        Self::new(mac, additional_value, NWP500_DEVICE_TYPE)
    }
}

/// The ids a client puts into every request: client id and session id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientIdentity {
    /// `clientID` / MQTT client id.
    pub client_id: ClientId,
    /// `sessionID`.
    pub session_id: SessionId,
}

impl ClientIdentity {
    /// Pairs a client id with a session id.
    pub fn new(client_id: ClientId, session_id: SessionId) -> Self {
        Self {
            client_id,
            session_id,
        }
    }

    /// Fresh random ids, as upstream creates per client instance.
    pub fn random() -> Self {
        Self::new(ClientId::random(), SessionId::random())
    }
}
