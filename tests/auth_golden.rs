//! Golden example G1 (docs/protocol.md §14): sign-in decoding, expiry instants, refresh
//! merge, and the full sign-in the policy performs once the AWS credentials are stale.

mod auth_support;

use std::sync::Arc;
use std::time::Duration;

use actix::Actor;
use auth_support::*;
use nwp500::auth::{Auth, AuthError, GetAccessToken, GetCredentials, RenewAccessToken, Secret};
use serde_json::{json, Value};

const HOUR: u64 = 3600;

#[actix::test]
async fn g1_sign_in_expiry_and_refresh_merge() {
    let stub = Stub::start().await;
    stub.always(
        "POST",
        "/user/sign-in",
        Reply::ok(fixture("g1_sign_in.json")),
    );
    stub.always(
        "POST",
        "/auth/refresh",
        Reply::ok(fixture("g1_refresh.json")),
    );
    let clock = t0_clock();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens.json");
    let cfg = config(&stub).with_token_file(&file);
    let auth = Auth::with_clock(cfg, Arc::new(clock.clone()))
        .unwrap()
        .start();

    // Sign-in at T0.
    let creds = auth.send(GetCredentials).await.unwrap().unwrap();
    let signin = stub.requests_to("/user/sign-in");
    assert_eq!(signin.len(), 1);
    assert_eq!(
        signin[0].body,
        Some(json!({"userId": "user@example.com", "password": "correct-horse"}))
    );
    assert_eq!(signin[0].header("authorization"), None);
    assert!(signin[0]
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(creds.access_token.expose(), "fake-access-token");
    assert_eq!(creds.id_token.expose(), "fake-id-token");
    assert_eq!(creds.access_expires_at, at_unix(T0_UNIX + HOUR));
    let aws = creds.aws.clone().unwrap();
    assert_eq!(aws.access_key_id, "ASIAFAKEACCESSKEY0001");
    assert_eq!(aws.secret_access_key, "fakeSecretKey/0123456789+abcdefFAKE");
    assert_eq!(aws.session_token.as_deref(), Some("FAKE/Session+Token=="));
    assert_eq!(aws.expires_at, Some(at_unix(T0_UNIX + HOUR)));

    // Refresh at T1 = 03:50, when the server refuses the access token; until then
    // the tokens are used as they are.
    clock.advance(Duration::from_secs(50 * 60));
    assert_eq!(auth.send(GetCredentials).await.unwrap().unwrap(), creds);
    assert_eq!(stub.total(), 1);
    let token = auth
        .send(RenewAccessToken {
            rejected: Secret::from("fake-access-token"),
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(token.token.expose(), "fake-access-token-2");
    let refresh = stub.requests_to("/auth/refresh");
    assert_eq!(refresh.len(), 1);
    assert_eq!(
        refresh[0].body,
        Some(json!({"refreshToken": "fake-refresh-token"}))
    );
    assert_eq!(refresh[0].header("authorization"), None);

    // Merged state: new access/id token, expiry 04:50; AWS untouched, expiry still 04:00.
    let merged = auth.send(GetCredentials).await.unwrap().unwrap();
    assert_eq!(merged.access_token.expose(), "fake-access-token-2");
    assert_eq!(merged.id_token.expose(), "fake-id-token-2");
    assert_eq!(merged.access_expires_at, at_unix(T0_UNIX + HOUR + 50 * 60));
    assert_eq!(merged.aws, Some(aws.clone()));
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved["refresh_token"], "fake-refresh-token");
    assert_eq!(saved["access_expires_at"], T0_UNIX + HOUR + 50 * 60);
    assert_eq!(saved["aws"]["expires_at"], T0_UNIX + HOUR);
    assert_eq!(stub.count("/user/sign-in"), 1);

    // Until 03:54:59 nothing more happens; from 03:55 the AWS credentials are stale:
    // a full sign-in, not a refresh.
    clock.advance(Duration::from_secs(5 * 60 - 1));
    assert_eq!(auth.send(GetCredentials).await.unwrap().unwrap(), merged);
    assert_eq!(stub.total(), 2);
    clock.advance(Duration::from_secs(1));
    let renewed = auth.send(GetCredentials).await.unwrap().unwrap();
    assert_eq!(stub.count("/user/sign-in"), 2);
    assert_eq!(stub.count("/auth/refresh"), 1);
    assert_eq!(renewed.access_token.expose(), "fake-access-token");
    assert_eq!(
        renewed.aws.unwrap().expires_at,
        Some(at_unix(T0_UNIX + 55 * 60 + HOUR))
    );
}

#[actix::test]
async fn access_token_policy_for_rest_ignores_aws_expiry() {
    let stub = Stub::start().await;
    stub.always(
        "POST",
        "/user/sign-in",
        Reply::ok(fixture("g1_sign_in.json")),
    );
    stub.always(
        "POST",
        "/auth/refresh",
        Reply::ok(fixture("g1_refresh.json")),
    );
    let clock = t0_clock();
    let auth = Auth::with_clock(config(&stub), Arc::new(clock.clone()))
        .unwrap()
        .start();
    let t = auth.send(GetAccessToken).await.unwrap().unwrap();
    assert_eq!(t.token.expose(), "fake-access-token");
    assert_eq!(t.user_id, EMAIL);
    // 03:55: the access token is stale: a refresh (the AWS part does not matter here).
    clock.advance(Duration::from_secs(55 * 60));
    let t = auth.send(GetAccessToken).await.unwrap().unwrap();
    assert_eq!(t.token.expose(), "fake-access-token-2");
    assert_eq!(stub.count("/auth/refresh"), 1);
    assert_eq!(stub.count("/user/sign-in"), 1);
}

#[actix::test]
async fn g1_failure_variant_is_invalid_credentials() {
    let stub = Stub::start().await;
    stub.always(
        "POST",
        "/user/sign-in",
        Reply::ok(json!({"code": 401, "msg": "Invalid credentials"})),
    );
    let auth = Auth::with_clock(config(&stub), Arc::new(t0_clock()))
        .unwrap()
        .start();
    let err = auth.send(GetCredentials).await.unwrap().unwrap_err();
    assert_eq!(
        err,
        AuthError::InvalidCredentials {
            code: 401,
            msg: "Invalid credentials".into()
        }
    );
    assert!(err.is_fatal());
}
