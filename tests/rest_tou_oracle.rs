//! REST TOU decoding against the reference client's recorded answers (`tou_info` lines
//! of the oracle's tou.jsonl, copied into tests/data/auth): each recorded `data` is
//! served by a stub `GET /device/tou`, and what [`RestClient::tou_info`] returns
//! (the protocol layer's `TouInfo`) must serialise to the recorded output.

mod auth_support;

use std::sync::Arc;

use actix::Actor;
use auth_support::*;
use nwp500::auth::Auth;
use nwp500::rest::{RestClient, TouQuery};
use serde_json::{json, Value};

#[actix::test]
async fn tou_info_matches_the_reference() {
    let path = format!(
        "{}/tests/data/auth/tou_info.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).unwrap();
    let mut checked = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).unwrap();
        let stub = Stub::start().await;
        stub.always(
            "POST",
            "/user/sign-in",
            Reply::ok(fixture("g1_sign_in.json")),
        );
        stub.always(
            "GET",
            "/device/tou",
            Reply::ok(json!({"code": 200, "msg": "SUCCESS", "data": case["input"]["data"]})),
        );
        let auth = Auth::with_clock(config(&stub), Arc::new(t0_clock()))
            .unwrap()
            .start();
        let rest = RestClient::for_auth(auth, &config(&stub)).unwrap();
        let parsed = rest
            .tou_info(&TouQuery::new("aabbccddeeff", "1234", "TESTSERIAL0001"))
            .await
            .unwrap();
        let got = serde_json::to_value(&parsed).unwrap();
        assert_eq!(got, case["output"], "case {}", case["case"]);
        checked += 1;
    }
    assert_eq!(checked, 2);
}
