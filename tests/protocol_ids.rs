//! Identifiers: client id and session id formats, MAC redaction, topic-level safety.

use nwp500::protocol::{
    topics, ClientId, ClientIdentity, IdError, MacAddress, ResponseSuffix, SessionId,
};
use rand::rngs::StdRng;
use rand::SeedableRng;

fn is_lower_hex(s: &str) -> bool {
    s.bytes()
        .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

#[test]
fn random_client_id_is_prefix_plus_eight_lowercase_hex() {
    for _ in 0..50 {
        let id = ClientId::random();
        let hex = id.as_str().strip_prefix("navien-client-").expect("prefix");
        assert_eq!(hex.len(), 8);
        assert!(is_lower_hex(hex), "{}", id.as_str());
    }
    // Seedable: the same seed gives the same id, different seeds differ.
    let a = ClientId::random_with(&mut StdRng::seed_from_u64(7));
    let b = ClientId::random_with(&mut StdRng::seed_from_u64(7));
    let c = ClientId::random_with(&mut StdRng::seed_from_u64(8));
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn random_session_id_is_a_uuid4_as_32_lowercase_hex() {
    let ids: Vec<SessionId> = (0..50).map(|_| SessionId::random()).collect();
    for id in &ids {
        let s = id.as_str();
        assert_eq!(s.len(), 32);
        assert!(is_lower_hex(s));
        assert_eq!(&s[12..13], "4", "version nibble");
        assert!(
            matches!(&s[16..17], "8" | "9" | "a" | "b"),
            "variant nibble"
        );
    }
    assert_ne!(ids[0], ids[1]);
    let fresh = ClientIdentity::random();
    assert!(fresh.client_id.as_str().starts_with("navien-client-"));
}

#[test]
fn session_id_parsing_requires_32_lowercase_hex() {
    assert!(SessionId::new("00112233445566778899aabbccddeeff").is_ok());
    assert!(SessionId::new("00112233445566778899AABBCCDDEEFF").is_err());
    assert!(SessionId::new("0011").is_err());
    assert!(SessionId::new("00112233-4455-6677-8899-aabbccddeeff").is_err());
}

#[test]
fn configured_ids_must_be_one_topic_level() {
    assert!(ClientId::new("my-client").is_ok());
    for bad in ["", "a/b", "a+b", "a#", "a b", "a\nb"] {
        assert!(ClientId::new(bad).is_err(), "{bad:?}");
        assert!(MacAddress::new(bad).is_err(), "{bad:?}");
    }
    assert_eq!(
        ClientId::new("x".repeat(129)),
        Err(IdError::TooLong {
            kind: "client id",
            max: 128
        })
    );
}

#[test]
fn mac_debug_and_display_are_redacted() {
    let mac = MacAddress::new("aabbccddeeff").unwrap();
    assert_eq!(mac.as_str(), "aabbccddeeff");
    assert_eq!(mac.redacted(), "…eeff");
    assert_eq!(mac.to_string(), "…eeff");
    let dbg = format!("{mac:?}");
    assert!(
        !dbg.contains("aabbccddeeff") && dbg.contains("eeff"),
        "{dbg}"
    );
    assert_eq!(MacAddress::new("eeff").unwrap().redacted(), "<redacted>");
    // A device reference's Debug shows no full MAC either.
    let dev = nwp500::protocol::DeviceRef::nwp500(mac, "1234");
    assert!(!format!("{dev:?}").contains("aabbccddeeff"));
}

#[test]
fn client_and_session_ids_are_redacted_in_logs() {
    let cid = ClientId::new("navien-client-0a1b2c3d").unwrap();
    assert_eq!(cid.to_string(), "navien-client-…3d");
    assert!(!format!("{cid:?}").contains("0a1b2c3d"));
    let sid = SessionId::new("00112233445566778899aabbccddeeff").unwrap();
    assert_eq!(sid.to_string(), "…eeff");
    assert!(!format!("{sid:?}").contains("00112233"));
}

#[test]
fn response_suffixes_are_recognised_only_on_client_topics() {
    let cid = ClientId::new("navien-client-0a1b2c3d").unwrap();
    for suffix in ResponseSuffix::ALL {
        let topic = topics::client_response_topic(52, &cid, suffix);
        assert_eq!(topics::response_suffix_of(&topic), Some(suffix), "{topic}");
    }
    assert_eq!(
        topics::response_suffix_of("cmd/52/navilink-aabbccddeeff/ctrl/rsv/rd"),
        None
    );
    assert_eq!(
        topics::response_suffix_of("cmd/52/navilink-aabbccddeeff/st/rsv/rd"),
        None
    );
    assert_eq!(
        topics::response_suffix_of("cmd/52/navilink-aabbccddeeff/navien-client-0a1b2c3d/res"),
        None
    );
    assert_eq!(
        topics::response_suffix_of("cmd/52/navien-client-0a1b2c3d/res/recirc-rsv/rd"),
        Some(ResponseSuffix::RecircRsvRd)
    );
    assert_eq!(
        topics::client_response_wildcard(52, &cid),
        "cmd/52/navien-client-0a1b2c3d/res/#"
    );
}

#[test]
fn the_handover_peer_is_a_distinct_valid_id_with_the_same_prefix() {
    let id = ClientId::new("navien-client-0a1b2c3d").unwrap();
    let peer = id.handover_peer();
    assert_eq!(peer.as_str(), "navien-client-0a1b2c3d-h");
    assert_ne!(peer, id);
    assert!(ClientId::new(peer.as_str()).is_ok());
    let long = ClientId::new("x".repeat(128)).unwrap();
    let peer = long.handover_peer();
    assert_eq!(peer.as_str().len(), 128);
    assert!(peer.as_str().ends_with("-h"));
    assert!(ClientId::new(peer.as_str()).is_ok());
    assert_ne!(peer, long);
}

#[test]
fn pool_members_have_distinct_valid_ids() {
    let id = ClientId::new("navien-client-0a1b2c3d").unwrap();
    assert_eq!(id.pool_member(0), id);
    assert_eq!(id.pool_member(1).as_str(), "navien-client-0a1b2c3d-p1");
    assert_eq!(id.pool_member(20).as_str(), "navien-client-0a1b2c3d-p20");
    assert_eq!(
        id.pool_member(3).handover_peer().as_str(),
        "navien-client-0a1b2c3d-p3-h"
    );
    let long = ClientId::new("x".repeat(128)).unwrap();
    let member = long.pool_member(12);
    assert_eq!(member.as_str().len(), 128);
    assert!(ClientId::new(member.as_str()).is_ok());
}
