//! Single flight: concurrent requests during a renewal share its one HTTP call and
//! its result.

mod auth_support;

use std::sync::Arc;
use std::time::Duration;

use actix::Actor;
use auth_support::*;
use futures::future::join_all;
use nwp500::auth::{Auth, GetAccessToken, GetCredentials, RenewCredentials};
use nwp500::events::RenewalMethod;

#[actix::test]
async fn fifty_stale_requests_cause_one_refresh() {
    let stub = Stub::start().await;
    // Access tokens live 1 h, AWS credentials 2 h: at +58 min only a refresh is due.
    stub.always(
        "POST",
        "/user/sign-in",
        Reply::ok(sign_in_body("", 3600, 7200)),
    );
    stub.always(
        "POST",
        "/auth/refresh",
        Reply::delayed(refresh_body("-2"), Duration::from_millis(150)),
    );
    let clock = t0_clock();
    let auth = Auth::with_clock(config(&stub), Arc::new(clock.clone()))
        .unwrap()
        .start();
    auth.send(GetCredentials).await.unwrap().unwrap();
    clock.advance(Duration::from_secs(58 * 60));

    let results = join_all((0..50).map(|_| auth.send(GetCredentials))).await;
    let creds: Vec<_> = results.into_iter().map(|r| r.unwrap().unwrap()).collect();
    assert_eq!(stub.count("/auth/refresh"), 1);
    assert_eq!(stub.count("/user/sign-in"), 1);
    assert_eq!(creds[0].access_token.expose(), "fake-access-token-2");
    assert!(creds.iter().all(|c| *c == creds[0]));
}

#[actix::test]
async fn fifty_first_requests_cause_one_sign_in() {
    let stub = Stub::start().await;
    stub.always(
        "POST",
        "/user/sign-in",
        Reply::delayed(sign_in_body("", 3600, 3600), Duration::from_millis(150)),
    );
    let auth = Auth::with_clock(config(&stub), Arc::new(t0_clock()))
        .unwrap()
        .start();
    let mixed = (0..50).map(|i| {
        let auth = auth.clone();
        async move {
            if i % 2 == 0 {
                auth.send(GetCredentials)
                    .await
                    .unwrap()
                    .map(|c| c.access_token)
            } else {
                auth.send(GetAccessToken).await.unwrap().map(|t| t.token)
            }
        }
    });
    let tokens: Vec<_> = join_all(mixed)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(stub.count("/user/sign-in"), 1);
    assert!(tokens.iter().all(|t| t.expose() == "fake-access-token"));
}

#[actix::test]
async fn concurrent_forced_renewals_share_refresh_and_sign_in() {
    let stub = Stub::start().await;
    stub.once(
        "POST",
        "/user/sign-in",
        Reply::ok(sign_in_body("", 3600, 3600)),
    );
    stub.always(
        "POST",
        "/user/sign-in",
        Reply::delayed(sign_in_body("-3", 3600, 3600), Duration::from_millis(100)),
    );
    stub.always(
        "POST",
        "/auth/refresh",
        Reply::delayed(refresh_body("-2"), Duration::from_millis(100)),
    );
    let auth = Auth::with_clock(config(&stub), Arc::new(t0_clock()))
        .unwrap()
        .start();
    auth.send(GetCredentials).await.unwrap().unwrap();

    let results = join_all((0..20).map(|_| auth.send(RenewCredentials))).await;
    let renewed: Vec<_> = results.into_iter().map(|r| r.unwrap().unwrap()).collect();
    // The refresh brought no AWS credentials, so the one renewal went on to sign in.
    assert_eq!(stub.count("/auth/refresh"), 1);
    assert_eq!(stub.count("/user/sign-in"), 2);
    assert!(renewed.iter().all(|r| *r == renewed[0]));
    assert_eq!(renewed[0].method, RenewalMethod::SignIn);
    assert_eq!(
        renewed[0].credentials.access_token.expose(),
        "fake-access-token-3"
    );
}

#[actix::test]
async fn lazy_requests_during_a_forced_renewal_make_no_extra_calls() {
    let stub = Stub::start().await;
    stub.once(
        "POST",
        "/user/sign-in",
        Reply::ok(sign_in_body("", 3600, 3600)),
    );
    stub.always(
        "POST",
        "/auth/refresh",
        Reply::delayed(refresh_body_with_aws("-2"), Duration::from_millis(100)),
    );
    let clock = t0_clock();
    let auth = Auth::with_clock(config(&stub), Arc::new(clock.clone()))
        .unwrap()
        .start();
    auth.send(GetCredentials).await.unwrap().unwrap();
    // Everything stale: a lazy request alone would sign in.
    clock.advance(Duration::from_secs(3500));

    let forced = auth.send(RenewCredentials);
    let lazy = join_all((0..10).map(|_| auth.send(GetCredentials)));
    let (forced, lazy) = futures::join!(forced, lazy);
    let forced = forced.unwrap().unwrap();
    assert_eq!(forced.method, RenewalMethod::Refresh);
    for c in lazy {
        assert_eq!(c.unwrap().unwrap(), forced.credentials);
    }
    assert_eq!(stub.count("/auth/refresh"), 1);
    assert_eq!(stub.count("/user/sign-in"), 1);
}
