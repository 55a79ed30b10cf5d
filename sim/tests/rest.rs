//! The REST API (docs/protocol.md §2), its faults, and the HTTP control endpoint.

mod common;

use std::time::Duration;

use common::*;
use nwp500_sim::IssuedAwsCredentials;
use nwp500_sim::{InvalidCredentialsForm, SignInFault, SimConfig, Simulator};
use serde_json::{json, Value};

struct Answer {
    http: u16,
    body: Value,
}

async fn post(url: &str, token: Option<&str>, body: Value) -> Answer {
    let mut request = reqwest::Client::new().post(url).json(&body);
    if let Some(token) = token {
        request = request.header("authorization", token);
    }
    let response = request.send().await.unwrap();
    let http = response.status().as_u16();
    Answer {
        http,
        body: response.json().await.unwrap_or(Value::Null),
    }
}

async fn sign_in(sim: &Simulator, password: &str) -> Answer {
    post(
        &format!("{}/user/sign-in", sim.rest_url()),
        None,
        json!({"userId": "user@example.com", "password": password}),
    )
    .await
}

fn aws_of(token: &Value) -> IssuedAwsCredentials {
    IssuedAwsCredentials {
        access_key_id: token["accessKeyId"].as_str().unwrap().into(),
        secret_access_key: token["secretKey"].as_str().unwrap().into(),
        session_token: token["sessionToken"].as_str().unwrap().into(),
        expires_at: std::time::SystemTime::now(),
    }
}

#[tokio::test]
async fn sign_in_issues_tokens_and_fresh_aws_credentials_that_open_the_gateway() {
    let sim = Simulator::start_default().unwrap();
    let first = sign_in(&sim, "correct-horse").await;
    assert_eq!(first.http, 200);
    assert_eq!(first.body["code"], json!(200));
    assert_eq!(first.body["msg"], json!("SUCCESS"));
    let data = &first.body["data"];
    assert_eq!(data["userInfo"]["userFirstName"], json!("Jane"));
    assert_eq!(data["userInfo"]["userSeq"], json!(20002));
    let token = &data["token"];
    for key in [
        "idToken",
        "accessToken",
        "refreshToken",
        "accessKeyId",
        "secretKey",
        "sessionToken",
    ] {
        assert!(token[key].as_str().is_some_and(|s| !s.is_empty()), "{key}");
    }
    assert_eq!(token["authenticationExpiresIn"], json!(3600));
    assert_eq!(token["authorizationExpiresIn"], json!(3600));
    assert!(token["accessKeyId"].as_str().unwrap().starts_with("ASIA"));

    let second = sign_in(&sim, "correct-horse").await;
    assert_ne!(
        second.body["data"]["token"]["accessKeyId"], token["accessKeyId"],
        "fresh AWS credentials per sign-in"
    );
    assert_eq!(sim.sign_in_count(), 2);

    // The credentials work at the gateway.
    let url = presigned_url(sim.mqtt_ws_url(), &aws_of(token));
    let mut link = RawLink::ws(&url).await.expect("accepted");
    link.connect(CLIENT_ID).await;
}

#[tokio::test]
async fn wrong_passwords_are_refused_in_the_configured_form() {
    let sim = Simulator::start_default().unwrap();
    let answer = sign_in(&sim, "wrong").await;
    assert_eq!(answer.http, 200, "HTTP 200 with an error code");
    assert_eq!(answer.body["code"], json!(1001));
    assert_eq!(answer.body["msg"], json!("INVALID_USER_PASSWORD"));
    let unknown = post(
        &format!("{}/user/sign-in", sim.rest_url()),
        None,
        json!({"userId": "nobody@example.com", "password": "x"}),
    )
    .await;
    assert_eq!(unknown.body["msg"], json!("USER_NOT_FOUND"));

    let sim = Simulator::start(SimConfig {
        invalid_password_form: InvalidCredentialsForm::Http401,
        ..SimConfig::default()
    })
    .unwrap();
    let answer = sign_in(&sim, "wrong").await;
    assert_eq!(answer.http, 401);
    assert_eq!(
        answer.body,
        json!({"code": 401, "msg": "Invalid credentials"})
    );
    assert_eq!(sim.sign_in_count(), 0);
    assert_eq!(sim.counters().sign_in_attempts, 1);
}

#[tokio::test]
async fn sign_in_faults_refuse_or_fail_transiently() {
    let sim = Simulator::start_default().unwrap();
    sim.set_sign_in_fault(SignInFault::InvalidCredentials(
        InvalidCredentialsForm::Http401,
    ));
    assert_eq!(sign_in(&sim, "correct-horse").await.http, 401);
    sim.set_sign_in_fault(SignInFault::ServerError);
    let failed = sign_in(&sim, "correct-horse").await;
    assert_eq!(failed.http, 500);
    assert_eq!(failed.body["code"], json!(500));
    sim.set_sign_in_fault(SignInFault::None);

    sim.fail_next_rest_requests(2);
    assert_eq!(sign_in(&sim, "correct-horse").await.http, 500);
    assert_eq!(sign_in(&sim, "correct-horse").await.http, 500);
    assert_eq!(sign_in(&sim, "correct-horse").await.http, 200);
    assert_eq!(sim.sign_in_count(), 1);
    assert_eq!(sim.counters().sign_in_attempts, 5);
}

#[tokio::test]
async fn refresh_returns_or_omits_aws_credentials_as_configured() {
    for with_aws in [true, false] {
        let sim = Simulator::start(SimConfig {
            refresh_returns_aws_credentials: with_aws,
            ..SimConfig::default()
        })
        .unwrap();
        let signed = sign_in(&sim, "correct-horse").await.body["data"]["token"].clone();
        let url = format!("{}/auth/refresh", sim.rest_url());
        let refreshed = post(&url, None, json!({"refreshToken": signed["refreshToken"]})).await;
        assert_eq!(refreshed.http, 200);
        let data = &refreshed.body["data"];
        assert!(data["accessToken"].is_string(), "flat token object");
        assert_ne!(data["accessToken"], signed["accessToken"]);
        assert_eq!(data.get("accessKeyId").is_some(), with_aws);
        assert_eq!(data.get("authorizationExpiresIn").is_some(), with_aws);
        assert_eq!(sim.refresh_count(), 1);

        let unknown = post(&url, None, json!({"refreshToken": "nope"})).await;
        assert_eq!(unknown.http, 401);
        sim.set_reject_refresh(true);
        let rejected = post(&url, None, json!({"refreshToken": signed["refreshToken"]})).await;
        assert_eq!(rejected.http, 401);
        assert_eq!(sim.counters().refresh_attempts, 3);
    }
}

#[tokio::test]
async fn authenticated_calls_need_the_raw_access_token() {
    let sim = Simulator::start_default().unwrap();
    let token = sign_in(&sim, "correct-horse").await.body["data"]["token"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = format!("{}/device/list", sim.rest_url());
    let body = json!({"offset": 0, "count": 20, "userId": "user@example.com"});

    let ok = post(&url, Some(&token), body.clone()).await;
    assert_eq!(ok.http, 200);
    let devices = ok.body["data"].as_array().unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0]["deviceInfo"]["macAddress"], json!(MAC));
    assert_eq!(devices[0]["deviceInfo"]["additionalValue"], json!("1234"));
    assert_eq!(devices[0]["deviceInfo"]["deviceType"], json!(52));
    assert_eq!(devices[0]["deviceInfo"]["connected"], json!(2));

    let bearer = post(&url, Some(&format!("Bearer {token}")), body.clone()).await;
    assert_eq!(bearer.http, 401, "the header carries the raw token");
    assert_eq!(post(&url, None, body.clone()).await.http, 401);
    let other_user = post(
        &url,
        Some(&token),
        json!({"offset": 0, "count": 20, "userId": "x@example.com"}),
    )
    .await;
    assert_eq!(other_user.http, 403);

    sim.expire_access_tokens();
    let expired = post(&url, Some(&token), body).await;
    assert_eq!(expired.http, 401);
    assert_eq!(expired.body["code"], json!(401));
    assert_eq!(sim.counters().unauthorized, 3);
}

#[tokio::test]
async fn device_info_firmware_and_tou_endpoints_answer() {
    let sim = Simulator::start(SimConfig::with_devices(3)).unwrap();
    let token = sign_in(&sim, "correct-horse").await.body["data"]["token"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let base = sim.rest_url().to_owned();
    let device =
        json!({"macAddress": MAC, "additionalValue": "1234", "userId": "user@example.com"});

    let list = post(
        &format!("{base}/device/list"),
        Some(&token),
        json!({"offset": 1, "count": 5, "userId": "user@example.com"}),
    )
    .await;
    assert_eq!(list.body["data"].as_array().unwrap().len(), 2, "paged");

    let info = post(&format!("{base}/device/info"), Some(&token), device.clone()).await;
    assert_eq!(
        info.body["data"]["deviceInfo"]["deviceName"],
        json!("Garage Water Heater")
    );
    let missing = post(
        &format!("{base}/device/info"),
        Some(&token),
        json!({"macAddress": "000000000000", "additionalValue": "1", "userId": "user@example.com"}),
    )
    .await;
    assert_eq!(missing.http, 404);
    assert_eq!(
        missing.body,
        json!({"code": 404, "msg": "NOT_FOUND", "data": null})
    );

    let firmware = post(
        &format!("{base}/device/firmware/info"),
        Some(&token),
        device.clone(),
    )
    .await;
    assert_eq!(
        firmware.body["data"]["firmwares"].as_array().unwrap().len(),
        3
    );

    let tou_url = format!(
        "{base}/device/tou?additionalValue=1234&controllerId=TESTSERIAL0001&macAddress={MAC}&userId=user%40example.com&userType=O"
    );
    let client = reqwest::Client::new();
    let tou: Value = client
        .get(&tou_url)
        .header("authorization", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        tou["data"]["touInfo"]["controllerId"],
        json!("TESTSERIAL0001")
    );
    assert!(tou["data"]["touInfo"]["schedule"][0]["interval"].is_array());

    let plan = json!({"name": "Peak saver", "utility": "Utility", "zipCode": 12345,
        "schedule": [{"season": 224, "interval": []}]});
    let put: Value = client
        .put(format!("{base}/device/tou"))
        .header("authorization", &token)
        .json(
            &json!({"additionalValue": "1234", "macAddress": MAC, "registerPath": "wifi",
            "sourceData": {}, "sourceType": "openei", "touInfo": plan,
            "userId": "user@example.com", "userType": "O", "zipCode": "12345"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(put["data"]["touInfo"]["name"], json!("Peak saver"));
    let again: Value = client
        .get(&tou_url)
        .header("authorization", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        again["data"]["touInfo"]["schedule"],
        json!([{"season": 224, "interval": []}])
    );
    assert_eq!(sim.counters().api_requests, 7);
}

#[tokio::test]
async fn the_control_endpoint_drives_faults_and_reports_state() {
    let sim = Simulator::start_default().unwrap();
    let control = sim.control_url().to_owned();
    let client = reqwest::Client::new();
    let post_control = |path: &str, body: Value| {
        let request = client.post(format!("{control}/{path}")).json(&body);
        async move { request.send().await.unwrap().status().as_u16() }
    };

    assert_eq!(post_control("blackhole", json!({"on": true})).await, 200);
    assert!(sim.faults().blackhole);
    assert_eq!(post_control("latency", json!({"ms": 25})).await, 200);
    assert_eq!(sim.faults().latency_ms, 25);
    assert_eq!(post_control("clear-faults", json!({})).await, 200);
    assert!(!sim.faults().blackhole);
    assert_eq!(sim.faults().latency_ms, 0);
    assert_eq!(
        post_control("sign-in", json!({"fault": "invalid_password"})).await,
        200
    );
    assert_eq!(
        sign_in(&sim, "correct-horse").await.body["code"],
        json!(1001)
    );
    assert_eq!(post_control("sign-in", json!({"fault": "none"})).await, 200);
    assert_eq!(post_control("blackhole", json!({})).await, 400);
    assert_eq!(post_control("no-such-fault", json!({})).await, 404);

    let mut link = RawLink::tcp(sim.mqtt_tcp_url()).await;
    link.connect("tool").await;
    assert_eq!(
        post_control("kick", json!({"client_id": "tool"})).await,
        200
    );
    assert!(link.closed_within(Duration::from_millis(300)).await);

    let state: Value = client
        .get(format!("{control}/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["urls"]["rest"], json!(sim.rest_url()));
    assert_eq!(state["counters"]["sign_ins"], json!(0));
    assert_eq!(state["devices"][0]["mac"], json!(MAC));
    let log: Value = client
        .get(format!("{control}/connections"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(log[0]["client_id"], json!("tool"));
    assert_eq!(log[0]["outcome"]["kind"], json!("kicked"));
    let status: Value = client
        .get(format!("{control}/devices/{MAC}/status"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["dhwTemperatureSetting"], json!(121));
}
