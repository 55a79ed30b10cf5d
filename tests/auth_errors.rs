//! Error classes: a credential rejection is fatal, takes exactly one HTTP call and is
//! never retried automatically; everything else is transient and retried on demand.

mod auth_support;

use std::sync::Arc;
use std::time::Duration;

use actix::Actor;
use auth_support::*;
use nwp500::auth::{
    Auth, AuthError, AuthOperation, GetAccessToken, GetCredentials, RenewCredentials, Secret,
    SignInAgain,
};
use nwp500::events::RenewalMethod;
use serde_json::json;

async fn start(stub: &Stub) -> actix::Addr<Auth> {
    Auth::with_clock(config(stub), Arc::new(t0_clock()))
        .unwrap()
        .start()
}

async fn assert_fatal_after_one_call(reply: Reply, code: i64, msg: &str) {
    let stub = Stub::start().await;
    stub.always("POST", "/user/sign-in", reply);
    let auth = start(&stub).await;
    let err = auth.send(GetCredentials).await.unwrap().unwrap_err();
    assert_eq!(
        err,
        AuthError::InvalidCredentials {
            code,
            msg: msg.into()
        }
    );
    assert!(err.is_fatal());
    assert_eq!(stub.total(), 1);
    // Latched: no automatic retry by any request.
    for _ in 0..3 {
        assert!(auth
            .send(GetCredentials)
            .await
            .unwrap()
            .unwrap_err()
            .is_fatal());
        assert!(auth
            .send(GetAccessToken)
            .await
            .unwrap()
            .unwrap_err()
            .is_fatal());
        assert!(auth
            .send(RenewCredentials)
            .await
            .unwrap()
            .unwrap_err()
            .is_fatal());
    }
    assert_eq!(stub.total(), 1);
}

#[actix::test]
async fn wrong_password_http_401_form() {
    assert_fatal_after_one_call(
        Reply::status(401, json!({"code": 401, "msg": "Invalid credentials"})),
        401,
        "Invalid credentials",
    )
    .await;
}

#[actix::test]
async fn wrong_password_http_200_error_code_form() {
    assert_fatal_after_one_call(
        Reply::ok(json!({"code": 1001, "msg": "INVALID_USER_PASSWORD"})),
        1001,
        "INVALID_USER_PASSWORD",
    )
    .await;
}

#[actix::test]
async fn unknown_account_http_200_form() {
    assert_fatal_after_one_call(
        Reply::ok(json!({"code": 1002, "msg": "USER_NOT_FOUND"})),
        1002,
        "USER_NOT_FOUND",
    )
    .await;
}

#[actix::test]
async fn sign_in_again_with_a_new_password_clears_the_latch() {
    let stub = Stub::start().await;
    stub.always(
        "POST",
        "/user/sign-in",
        Reply::with(|req| {
            if req.body.as_ref().unwrap()["password"] == "new-horse" {
                Reply::ok(sign_in_body("", 3600, 3600))
            } else {
                Reply::ok(json!({"code": 1001, "msg": "INVALID_USER_PASSWORD"}))
            }
        }),
    );
    let auth = start(&stub).await;
    assert!(auth
        .send(GetCredentials)
        .await
        .unwrap()
        .unwrap_err()
        .is_fatal());
    let renewed = auth
        .send(SignInAgain {
            new_password: Some(Secret::from("new-horse")),
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(renewed.method, RenewalMethod::SignIn);
    assert_eq!(stub.count("/user/sign-in"), 2);
    assert!(auth.send(GetCredentials).await.unwrap().is_ok());
    assert_eq!(stub.total(), 2);
}

#[actix::test]
async fn server_error_is_transient_and_retried_on_the_next_request() {
    let stub = Stub::start().await;
    stub.once(
        "POST",
        "/user/sign-in",
        Reply::status(500, json!({"code": 500, "msg": "Internal Server Error"})),
    );
    stub.always(
        "POST",
        "/user/sign-in",
        Reply::ok(sign_in_body("", 3600, 3600)),
    );
    let auth = start(&stub).await;
    let err = auth.send(GetCredentials).await.unwrap().unwrap_err();
    assert!(matches!(
        err,
        AuthError::Server {
            operation: AuthOperation::SignIn,
            status: 500,
            code: 500,
            ..
        }
    ));
    assert!(err.is_transient());
    assert_eq!(stub.total(), 1);
    assert!(auth.send(GetCredentials).await.unwrap().is_ok());
    assert_eq!(stub.total(), 2);
}

#[actix::test]
async fn a_message_containing_invalid_is_not_fatal() {
    let stub = Stub::start().await;
    stub.always(
        "POST",
        "/user/sign-in",
        Reply::status(
            503,
            json!({"code": 503, "msg": "Invalid upstream state, unauthorized"}),
        ),
    );
    let auth = start(&stub).await;
    let err = auth.send(GetCredentials).await.unwrap().unwrap_err();
    assert!(err.is_transient(), "{err}");
}

#[actix::test]
async fn dropped_connection_is_transient() {
    let stub = Stub::start().await;
    stub.always("POST", "/user/sign-in", Reply::Drop);
    let auth = start(&stub).await;
    let err = auth.send(GetCredentials).await.unwrap().unwrap_err();
    assert!(
        matches!(
            err,
            AuthError::Transport {
                operation: AuthOperation::SignIn,
                timeout: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_transient());
    assert_eq!(stub.total(), 1);
}

#[actix::test]
async fn timeout_is_transient() {
    let stub = Stub::start().await;
    stub.always(
        "POST",
        "/user/sign-in",
        Reply::delayed(sign_in_body("", 3600, 3600), Duration::from_millis(800)),
    );
    let cfg = config(&stub).with_http_timeout(Duration::from_millis(150));
    let auth = Auth::with_clock(cfg, Arc::new(t0_clock())).unwrap().start();
    let err = auth.send(GetCredentials).await.unwrap().unwrap_err();
    assert!(
        matches!(err, AuthError::Transport { timeout: true, .. }),
        "{err:?}"
    );
}

#[actix::test]
async fn malformed_answers_are_transient_decode_errors() {
    let stub = Stub::start().await;
    stub.once(
        "POST",
        "/user/sign-in",
        Reply::Raw {
            status: 200,
            content_type: "text/html",
            body: "<html>maintenance</html>".into(),
        },
    );
    stub.once(
        "POST",
        "/user/sign-in",
        Reply::ok(json!({"code": 200, "msg": "SUCCESS", "data": {"userInfo": {}}})),
    );
    stub.once(
        "POST",
        "/user/sign-in",
        Reply::ok(json!({"code": 200, "msg": "SUCCESS", "data": {"token": {"idToken": "x"}}})),
    );
    let auth = start(&stub).await;
    for _ in 0..3 {
        let err = auth.send(GetCredentials).await.unwrap().unwrap_err();
        assert!(
            matches!(
                err,
                AuthError::Decode {
                    operation: AuthOperation::SignIn,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.is_transient());
    }
    assert_eq!(stub.total(), 3);
}
