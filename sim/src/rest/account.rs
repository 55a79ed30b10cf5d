//! `POST /user/sign-in` and `POST /auth/refresh` (docs/protocol.md §2.3, §2.5).

use std::time::{Instant, SystemTime};

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::{json, Map, Value};

use super::{bad_request, envelope, json_object, preamble, server_error, success};
use crate::auth_store::IssuedTokens;
use crate::config::InvalidCredentialsForm;
use crate::faults::SignInFault;
use crate::shared::{CounterCells, Shared};

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/user/sign-in", web::post().to(sign_in))
        .route("/auth/refresh", web::post().to(refresh));
}

fn invalid_credentials(form: InvalidCredentialsForm) -> HttpResponse {
    match form {
        InvalidCredentialsForm::Http401 => {
            envelope(StatusCode::UNAUTHORIZED, 401, "Invalid credentials", None)
        }
        InvalidCredentialsForm::Http200InvalidPassword => {
            envelope(StatusCode::OK, 1001, "INVALID_USER_PASSWORD", None)
        }
        InvalidCredentialsForm::Http200UserNotFound => {
            envelope(StatusCode::OK, 1002, "USER_NOT_FOUND", None)
        }
    }
}

/// The token object: id/access/refresh tokens, and AWS credentials when issued.
fn token_json(t: &IssuedTokens) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("idToken".into(), json!(t.id_token));
    m.insert("accessToken".into(), json!(t.access_token));
    m.insert("refreshToken".into(), json!(t.refresh_token));
    m.insert(
        "authenticationExpiresIn".into(),
        json!(t.access_lifetime_secs),
    );
    if let Some(aws) = &t.aws {
        m.insert("accessKeyId".into(), json!(aws.access_key_id));
        m.insert("secretKey".into(), json!(aws.secret_access_key));
        m.insert("sessionToken".into(), json!(aws.session_token));
        m.insert("authorizationExpiresIn".into(), json!(t.aws_lifetime_secs));
    }
    m
}

async fn sign_in(shared: web::Data<Shared>, body: web::Bytes) -> HttpResponse {
    CounterCells::bump(&shared.counters.sign_in_attempts);
    if let Some(failure) = preamble(&shared).await {
        return failure;
    }
    let fault = shared.faults.rest().sign_in;
    match fault {
        SignInFault::InvalidCredentials(form) => return invalid_credentials(form),
        SignInFault::ServerError => return server_error(),
        SignInFault::None => {}
    }
    let Some(body) = json_object(&body) else {
        return bad_request();
    };
    let (Some(user), Some(password)) = (
        body.get("userId").and_then(Value::as_str),
        body.get("password").and_then(Value::as_str),
    ) else {
        return bad_request();
    };
    let account = &shared.config.account;
    if user != account.email {
        let form = match shared.config.invalid_password_form {
            InvalidCredentialsForm::Http401 => InvalidCredentialsForm::Http401,
            _ => InvalidCredentialsForm::Http200UserNotFound,
        };
        return invalid_credentials(form);
    }
    if password != account.password {
        return invalid_credentials(shared.config.invalid_password_form);
    }
    let issued = shared
        .auth()
        .sign_in(user, Instant::now(), SystemTime::now());
    CounterCells::bump(&shared.counters.sign_ins);
    tracing::info!("rest: sign-in succeeded");
    success(json!({
        "userInfo": {
            "userType": "O",
            "userFirstName": account.first_name,
            "userLastName": account.last_name,
            "userStatus": "NORMAL",
            "userSeq": account.user_seq,
        },
        "token": Value::Object(token_json(&issued)),
        "legal": [],
    }))
}

async fn refresh(shared: web::Data<Shared>, body: web::Bytes) -> HttpResponse {
    CounterCells::bump(&shared.counters.refresh_attempts);
    if let Some(failure) = preamble(&shared).await {
        return failure;
    }
    let (sign_in_fault, reject) = {
        let rest = shared.faults.rest();
        (rest.sign_in, rest.reject_refresh)
    };
    if sign_in_fault == SignInFault::ServerError {
        return server_error();
    }
    let refused = || {
        envelope(
            StatusCode::UNAUTHORIZED,
            401,
            "INVALID_REFRESH_TOKEN",
            Some(Value::Null),
        )
    };
    if reject {
        return refused();
    }
    let Some(token) = json_object(&body).and_then(|b| {
        b.get("refreshToken")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }) else {
        return bad_request();
    };
    let with_aws = shared.config.refresh_returns_aws_credentials;
    let issued = shared
        .auth()
        .refresh(&token, with_aws, Instant::now(), SystemTime::now());
    match issued {
        Some(issued) => {
            CounterCells::bump(&shared.counters.refreshes);
            tracing::info!(aws_credentials = with_aws, "rest: refresh succeeded");
            success(Value::Object(token_json(&issued)))
        }
        None => refused(),
    }
}
