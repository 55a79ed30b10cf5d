//! Token persistence: a 0600 file bound to the account, restored at start (used,
//! refreshed or replaced by a sign-in as the policy says), never reused for another
//! account, and replaced when corrupt.

mod auth_support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use actix::Actor;
use auth_support::*;
use nwp500::auth::{Auth, AuthConfig, GetCredentials, Secret};
use nwp500::clock::ManualClock;
use serde_json::{json, Value};

fn start(cfg: AuthConfig, clock: &ManualClock) -> actix::Addr<Auth> {
    Auth::with_clock(cfg, Arc::new(clock.clone()))
        .unwrap()
        .start()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[actix::test]
async fn token_file_is_private_and_restored_on_the_next_start() {
    let stub = Stub::start().await;
    stub.always(
        "POST",
        "/user/sign-in",
        Reply::ok(sign_in_body("", 3600, 3600)),
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens.json");
    let clock = t0_clock();

    let first = start(config(&stub).with_token_file(&file), &clock);
    let creds = first.send(GetCredentials).await.unwrap().unwrap();
    assert_eq!(stub.total(), 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let saved = read_json(&file);
    assert_eq!(saved["email"], EMAIL);
    assert_eq!(saved["access_token"], "fake-access-token");
    assert_eq!(saved["access_expires_at"], T0_UNIX + 3600);
    // Only the token file is in the directory: no temporary file left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    drop(first);

    // Next start, 10 min later: the restored tokens are used without any HTTP call.
    clock.advance(Duration::from_secs(600));
    let second = start(config(&stub).with_token_file(&file), &clock);
    let restored = second.send(GetCredentials).await.unwrap().unwrap();
    assert_eq!(restored, creds);
    assert_eq!(stub.total(), 1);
}

#[actix::test]
async fn stale_restored_tokens_are_refreshed_and_saved() {
    let stub = Stub::start().await;
    stub.always(
        "POST",
        "/user/sign-in",
        Reply::ok(sign_in_body("", 3600, 7200)),
    );
    stub.always("POST", "/auth/refresh", Reply::ok(refresh_body("-2")));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens.json");
    let clock = t0_clock();
    let first = start(config(&stub).with_token_file(&file), &clock);
    first.send(GetCredentials).await.unwrap().unwrap();
    drop(first);

    clock.advance(Duration::from_secs(3400));
    let second = start(config(&stub).with_token_file(&file), &clock);
    let creds = second.send(GetCredentials).await.unwrap().unwrap();
    assert_eq!(creds.access_token.expose(), "fake-access-token-2");
    assert_eq!(stub.count("/auth/refresh"), 1);
    assert_eq!(stub.count("/user/sign-in"), 1);
    let saved = read_json(&file);
    assert_eq!(saved["access_token"], "fake-access-token-2");
    assert_eq!(saved["refresh_token"], "fake-refresh-token");
}

#[actix::test]
async fn week_old_tokens_fall_back_to_sign_in() {
    let stub = Stub::start().await;
    stub.always(
        "POST",
        "/user/sign-in",
        Reply::ok(sign_in_body("", 3600, 3600)),
    );
    stub.always(
        "POST",
        "/auth/refresh",
        Reply::status(401, json!({"code": 401, "msg": "Refresh token expired"})),
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens.json");
    let clock = t0_clock();
    let first = start(config(&stub).with_token_file(&file), &clock);
    first.send(GetCredentials).await.unwrap().unwrap();
    drop(first);

    clock.advance(Duration::from_secs(7 * 24 * 3600));
    let second = start(config(&stub).with_token_file(&file), &clock);
    let creds = second.send(GetCredentials).await.unwrap().unwrap();
    assert_eq!(stub.count("/user/sign-in"), 2);
    assert_eq!(
        creds.access_expires_at,
        at_unix(T0_UNIX + 7 * 24 * 3600 + 3600)
    );
}

#[actix::test]
async fn tokens_of_another_account_are_never_used() {
    let stub = Stub::start().await;
    stub.always(
        "POST",
        "/user/sign-in",
        Reply::with(|req| {
            let user = req.body.as_ref().unwrap()["userId"]
                .as_str()
                .unwrap()
                .to_owned();
            let suffix = if user == EMAIL { "" } else { "-other" };
            Reply::ok(sign_in_body(suffix, 3600, 3600))
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens.json");
    let clock = t0_clock();
    let other = AuthConfig::new("other@example.com", Secret::from("pw"))
        .with_api_base_url(stub.base.clone())
        .with_token_file(&file);
    let first = start(other, &clock);
    let other_creds = first.send(GetCredentials).await.unwrap().unwrap();
    assert_eq!(other_creds.access_token.expose(), "fake-access-token-other");
    drop(first);

    let mine = start(config(&stub).with_token_file(&file), &clock);
    let creds = mine.send(GetCredentials).await.unwrap().unwrap();
    assert_eq!(creds.access_token.expose(), "fake-access-token");
    assert_eq!(stub.count("/user/sign-in"), 2);
    let saved = read_json(&file);
    assert_eq!(saved["email"], EMAIL);
    assert_eq!(saved["access_token"], "fake-access-token");
}

#[actix::test]
async fn corrupt_token_file_is_replaced() {
    let stub = Stub::start().await;
    stub.always(
        "POST",
        "/user/sign-in",
        Reply::ok(sign_in_body("", 3600, 3600)),
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens.json");
    for garbage in [
        &b"{\"format\": \"nwp500-tokens\", \"version\": 1, \"email\": "[..],
        b"\x00\xff\xfe binary",
        b"{\"format\":\"nwp500-tokens\",\"version\":1,\"email\":\"user@example.com\",\"access_expires_at\":\"soon\"}",
    ] {
        std::fs::write(&file, garbage).unwrap();
        let before = stub.total();
        let auth = start(config(&stub).with_token_file(&file), &t0_clock());
        let creds = auth.send(GetCredentials).await.unwrap().unwrap();
        assert_eq!(stub.total(), before + 1);
        assert_eq!(read_json(&file)["access_token"], creds.access_token.expose());
    }
}
