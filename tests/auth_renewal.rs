//! Renewal paths: forced renewal (refresh, falling back to sign-in), lazy renewal of
//! stale AWS credentials, refresh failures, and degraded operation while the auth
//! server is down but the AWS credentials are still valid.

mod auth_support;

use std::sync::Arc;
use std::time::Duration;

use actix::Actor;
use auth_support::*;
use nwp500::auth::{Auth, GetCredentials, RenewCredentials};
use nwp500::events::RenewalMethod;
use serde_json::json;

#[actix::test]
async fn forced_refresh_without_aws_credentials_signs_in() {
    let stub = Stub::start().await;
    stub.once(
        "POST",
        "/user/sign-in",
        Reply::ok(sign_in_body("", 3600, 3600)),
    );
    stub.always(
        "POST",
        "/user/sign-in",
        Reply::ok(sign_in_body("-3", 3600, 3600)),
    );
    stub.always("POST", "/auth/refresh", Reply::ok(refresh_body("-2")));
    let clock = t0_clock();
    let auth = Auth::with_clock(config(&stub), Arc::new(clock.clone()))
        .unwrap()
        .start();
    auth.send(GetCredentials).await.unwrap().unwrap();
    // The AWS credentials are stale (and the transport was refused): deep reconnect.
    clock.advance(Duration::from_secs(3400));
    let renewed = auth.send(RenewCredentials).await.unwrap().unwrap();
    assert_eq!(stub.count("/auth/refresh"), 1);
    assert_eq!(stub.count("/user/sign-in"), 2);
    assert_eq!(renewed.method, RenewalMethod::SignIn);
    let aws = renewed.credentials.aws.unwrap();
    assert_eq!(aws.access_key_id, "ASIAFAKEACCESSKEY000-3");
    assert_eq!(aws.expires_at, Some(at_unix(T0_UNIX + 3400 + 3600)));
}

#[actix::test]
async fn forced_refresh_with_aws_credentials_needs_no_sign_in() {
    let stub = Stub::start().await;
    stub.always(
        "POST",
        "/user/sign-in",
        Reply::ok(sign_in_body("", 3600, 3600)),
    );
    stub.always(
        "POST",
        "/auth/refresh",
        Reply::ok(refresh_body_with_aws("-2")),
    );
    let auth = Auth::with_clock(config(&stub), Arc::new(t0_clock()))
        .unwrap()
        .start();
    auth.send(GetCredentials).await.unwrap().unwrap();
    let renewed = auth.send(RenewCredentials).await.unwrap().unwrap();
    assert_eq!(renewed.method, RenewalMethod::Refresh);
    assert_eq!(
        renewed.credentials.aws.unwrap().access_key_id,
        "ASIAFAKEACCESSKEY000-2"
    );
    assert_eq!(stub.count("/user/sign-in"), 1);
    // The rotated refresh token is used next time.
    auth.send(RenewCredentials).await.unwrap().unwrap();
    let refreshes = stub.requests_to("/auth/refresh");
    assert_eq!(
        refreshes[1].body,
        Some(json!({"refreshToken": "fake-refresh-token-2"}))
    );
}

#[actix::test]
async fn stale_aws_credentials_lead_to_sign_in_without_refresh() {
    let stub = Stub::start().await;
    // AWS credentials live shorter than the access token.
    stub.always(
        "POST",
        "/user/sign-in",
        Reply::ok(sign_in_body("", 7200, 3600)),
    );
    stub.always("POST", "/auth/refresh", Reply::ok(refresh_body("-2")));
    let clock = t0_clock();
    let auth = Auth::with_clock(config(&stub), Arc::new(clock.clone()))
        .unwrap()
        .start();
    auth.send(GetCredentials).await.unwrap().unwrap();
    clock.advance(Duration::from_secs(3300));
    auth.send(GetCredentials).await.unwrap().unwrap();
    assert_eq!(stub.count("/user/sign-in"), 2);
    assert_eq!(stub.count("/auth/refresh"), 0);
}

#[actix::test]
async fn failed_refresh_falls_back_to_sign_in() {
    let stub = Stub::start().await;
    stub.always(
        "POST",
        "/user/sign-in",
        Reply::ok(sign_in_body("", 3600, 7200)),
    );
    stub.always(
        "POST",
        "/auth/refresh",
        Reply::status(401, json!({"code": 401, "msg": "Invalid credentials"})),
    );
    let clock = t0_clock();
    let auth = Auth::with_clock(config(&stub), Arc::new(clock.clone()))
        .unwrap()
        .start();
    auth.send(GetCredentials).await.unwrap().unwrap();
    clock.advance(Duration::from_secs(3400));
    let creds = auth.send(GetCredentials).await.unwrap().unwrap();
    assert_eq!(stub.count("/auth/refresh"), 1);
    assert_eq!(stub.count("/user/sign-in"), 2);
    assert_eq!(creds.access_expires_at, at_unix(T0_UNIX + 3400 + 3600));
}

#[actix::test]
async fn valid_aws_credentials_survive_an_auth_server_outage() {
    let stub = Stub::start().await;
    stub.once(
        "POST",
        "/user/sign-in",
        Reply::ok(sign_in_body("", 3600, 7200)),
    );
    stub.always(
        "POST",
        "/user/sign-in",
        Reply::status(502, json!({"code": 502, "msg": "Bad Gateway"})),
    );
    stub.always("POST", "/auth/refresh", Reply::Drop);
    let clock = t0_clock();
    let auth = Auth::with_clock(config(&stub), Arc::new(clock.clone()))
        .unwrap()
        .start();
    let first = auth.send(GetCredentials).await.unwrap().unwrap();
    // Access token stale, AWS credentials still valid for ~1 h: MQTT can connect.
    clock.advance(Duration::from_secs(3400));
    let creds = auth.send(GetCredentials).await.unwrap().unwrap();
    assert_eq!(creds.aws, first.aws);
    assert_eq!(stub.count("/auth/refresh"), 1);
    assert_eq!(stub.count("/user/sign-in"), 2);
    // Once the AWS credentials are stale too, the failure surfaces.
    clock.advance(Duration::from_secs(3500));
    let err = auth.send(GetCredentials).await.unwrap().unwrap_err();
    assert!(err.is_transient(), "{err}");
    // A forced renewal reports the failure instead of handing out old credentials.
    let err = auth.send(RenewCredentials).await.unwrap().unwrap_err();
    assert!(err.is_transient(), "{err}");
}
