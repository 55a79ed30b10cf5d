//! Captures every log line (TRACE, all crates, including the HTTP stack) during
//! sign-in, refresh, forced renewal, REST calls with a 401 retry, persistence, a
//! corrupt token file and a rejected password, and checks that no password, token or
//! AWS secret appears in it.

mod auth_support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::Actor;
use auth_support::*;
use nwp500::auth::{Auth, AuthConfig, GetCredentials, RenewCredentials, Secret, SignInAgain};
use nwp500::rest::{RestClient, TouQuery};
use serde_json::json;
use tracing_subscriber::fmt::MakeWriter;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

const SECRETS: &[&str] = &[
    PASSWORD,
    "wrong-horse",
    "fake-access-token",
    "fake-id-token",
    "fake-refresh-token",
    "fakeSecretKey",
    "FAKE/Session",
    "ACCESSKEY000",
];

#[actix::test]
async fn no_secret_reaches_the_logs() {
    let logs = Captured::default();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(logs.clone())
        .try_init()
        .unwrap();

    let stub = Stub::start().await;
    stub.always(
        "POST",
        "/user/sign-in",
        Reply::ok(sign_in_body("", 3600, 7200)),
    );
    stub.always("POST", "/auth/refresh", Reply::ok(refresh_body("-2")));
    stub.once(
        "POST",
        "/device/list",
        Reply::status(401, json!({"code": 401, "msg": "Unauthorized"})),
    );
    stub.always(
        "POST",
        "/device/list",
        Reply::ok(fixture("g2_device_list.json")),
    );
    stub.always(
        "GET",
        "/device/tou",
        Reply::ok(json!({"code": 200, "msg": "SUCCESS", "data": {"name": "Flat"}})),
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens.json");
    std::fs::write(&file, "{ corrupt").unwrap();
    let clock = t0_clock();
    let cfg = config(&stub).with_token_file(&file);

    // Corrupt file reported, sign-in, token file written.
    let auth = Auth::with_clock(cfg.clone(), Arc::new(clock.clone()))
        .unwrap()
        .start();
    auth.send(GetCredentials).await.unwrap().unwrap();
    // REST with a 401, a renewal and a retry; a GET with a query string.
    let rest = RestClient::for_auth(auth.clone(), &cfg).unwrap();
    rest.list_devices().await.unwrap();
    rest.tou_info(&TouQuery::new("aabbccddeeff", "1234", "TESTSERIAL0001"))
        .await
        .unwrap();
    // Lazy refresh, forced renewal (refresh → sign-in).
    clock.advance(Duration::from_secs(3400));
    auth.send(GetCredentials).await.unwrap().unwrap();
    auth.send(RenewCredentials).await.unwrap().unwrap();
    drop(auth);
    // Restored from the file.
    let auth = Auth::with_clock(cfg.clone(), Arc::new(clock.clone()))
        .unwrap()
        .start();
    auth.send(GetCredentials).await.unwrap().unwrap();
    // A rejected password, then a transport failure.
    stub.always(
        "POST",
        "/user/sign-in",
        Reply::ok(json!({"code": 1001, "msg": "INVALID_USER_PASSWORD"})),
    );
    let wrong =
        AuthConfig::new(EMAIL, Secret::from("wrong-horse")).with_api_base_url(stub.base.clone());
    let rejected = Auth::with_clock(wrong, Arc::new(clock.clone()))
        .unwrap()
        .start();
    assert!(rejected.send(GetCredentials).await.unwrap().is_err());
    stub.always("POST", "/user/sign-in", Reply::Drop);
    assert!(rejected
        .send(SignInAgain {
            new_password: Some(Secret::from("wrong-horse")),
        })
        .await
        .unwrap()
        .is_err());

    let text = logs.text();
    // The capture really saw these flows (so the check below means something).
    for expected in [
        "token file is unusable",
        "signed in",
        "access token refreshed",
        "renewing it and retrying once",
        "tokens restored from the token file",
        "invalid credentials",
        "network error",
    ] {
        assert!(
            text.contains(expected),
            "missing {expected:?} in logs:\n{text}"
        );
    }
    for secret in SECRETS {
        assert!(
            !text.contains(secret),
            "{secret:?} leaked into logs:\n{text}"
        );
    }
    // Neither the account e-mail nor the full MAC address appears either.
    assert!(!text.contains(EMAIL), "e-mail in logs:\n{text}");
    // Every failure above is returned to its caller, who decides how loud it is: none is
    // also logged at ERROR here.
    assert!(
        !text.contains(" ERROR "),
        "a returned error logged at ERROR:\n{text}"
    );
    assert!(!text.contains("aabbccddeeff"), "MAC in logs:\n{text}");
}
