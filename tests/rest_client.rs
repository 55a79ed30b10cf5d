//! The REST client against a local stub: G2 device list, paging, device/firmware/TOU
//! endpoints, the 401 → renew → retry-once rule, and typed errors.

mod auth_support;

use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Addr};
use auth_support::*;
use futures::future::join_all;
use nwp500::auth::{Auth, AuthError};
use nwp500::protocol::TouPlan;
use nwp500::rest::{
    CloudConnection, InstallType, Location, RestClient, RestError, TouQuery, TouUpdate,
};
use serde_json::{json, Value};

fn start_auth(stub: &Stub) -> Addr<Auth> {
    Auth::with_clock(config(stub), Arc::new(t0_clock()))
        .unwrap()
        .start()
}

fn client(stub: &Stub) -> RestClient {
    let auth = start_auth(stub);
    RestClient::for_auth(auth, &config(stub)).unwrap()
}

fn signed_in_stub_with(stub: &Stub) {
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
}

fn ok(data: Value) -> Reply {
    Reply::ok(json!({"code": 200, "msg": "SUCCESS", "data": data}))
}

fn device_entry(i: usize) -> Value {
    json!({"deviceInfo": {"homeSeq": 1, "macAddress": format!("{i:012x}"),
                          "additionalValue": "1", "deviceType": 52,
                          "deviceName": format!("Heater {i}"), "connected": 2},
           "location": null})
}

#[actix::test]
async fn g2_device_list() {
    let stub = Stub::start().await;
    signed_in_stub_with(&stub);
    stub.always(
        "POST",
        "/device/list",
        Reply::ok(fixture("g2_device_list.json")),
    );
    let rest = client(&stub);
    let devices = rest.list_devices().await.unwrap();

    let reqs = stub.requests_to("/device/list");
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].header("authorization"), Some("fake-access-token"));
    assert!(reqs[0]
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(
        reqs[0].body,
        Some(json!({"offset": 0, "count": 20, "userId": "user@example.com"}))
    );

    assert_eq!(devices.len(), 1);
    let d = &devices[0];
    assert_eq!(d.info.mac_address, "aabbccddeeff");
    assert_eq!(d.info.additional_value, "1234");
    assert_eq!(d.info.device_type, 52);
    assert_eq!(d.info.home_seq, 10001);
    assert_eq!(d.info.device_name, "Garage Water Heater");
    assert_eq!(d.info.connected, CloudConnection::Connected);
    assert_eq!(d.info.install_type, Some(InstallType::Residential));
    assert_eq!(
        d.location,
        Some(Location {
            state: Some("CA".into()),
            city: Some("Anytown".into()),
            address: Some("1 Example St".into()),
            latitude: Some(37.0),
            longitude: Some(-122.0),
            altitude: None,
        })
    );
}

#[actix::test]
async fn device_list_pages_until_a_short_page() {
    let stub = Stub::start().await;
    signed_in_stub_with(&stub);
    stub.always(
        "POST",
        "/device/list",
        Reply::with(|req| {
            let body = req.body.as_ref().unwrap();
            let offset = body["offset"].as_u64().unwrap() as usize;
            let count = body["count"].as_u64().unwrap() as usize;
            let end = (offset + count).min(43);
            ok(Value::Array((offset..end).map(device_entry).collect()))
        }),
    );
    let devices = client(&stub).list_devices().await.unwrap();
    assert_eq!(devices.len(), 43);
    assert_eq!(devices[42].info.device_name, "Heater 42");
    let offsets: Vec<_> = stub
        .requests_to("/device/list")
        .iter()
        .map(|r| r.body.as_ref().unwrap()["offset"].clone())
        .collect();
    assert_eq!(offsets, vec![json!(0), json!(20), json!(40)]);
}

#[actix::test]
async fn exact_multiple_of_the_page_size_ends_with_an_empty_page() {
    let stub = Stub::start().await;
    signed_in_stub_with(&stub);
    stub.always(
        "POST",
        "/device/list",
        Reply::with(|req| {
            let offset = req.body.as_ref().unwrap()["offset"].as_u64().unwrap() as usize;
            let end = (offset + 20).min(20);
            ok(Value::Array((offset..end).map(device_entry).collect()))
        }),
    );
    let devices = client(&stub).list_devices().await.unwrap();
    assert_eq!(devices.len(), 20);
    assert_eq!(stub.count("/device/list"), 2);
}

#[actix::test]
async fn unauthorized_renews_once_and_retries_once() {
    let stub = Stub::start().await;
    signed_in_stub_with(&stub);
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
    let devices = client(&stub).list_devices().await.unwrap();
    assert_eq!(devices.len(), 1);
    let reqs = stub.requests_to("/device/list");
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].header("authorization"), Some("fake-access-token"));
    assert_eq!(reqs[1].header("authorization"), Some("fake-access-token-2"));
    assert_eq!(stub.count("/auth/refresh"), 1);
}

#[actix::test]
async fn code_401_inside_http_200_also_renews() {
    let stub = Stub::start().await;
    signed_in_stub_with(&stub);
    stub.once(
        "POST",
        "/device/info",
        Reply::ok(json!({"code": 401, "msg": "token expired"})),
    );
    stub.always(
        "POST",
        "/device/info",
        ok(fixture("g2_device_list.json")["data"][0].clone()),
    );
    let detail = client(&stub)
        .device_info("aabbccddeeff", "1234")
        .await
        .unwrap();
    assert_eq!(detail.device.info.mac_address, "aabbccddeeff");
    assert_eq!(stub.count("/device/info"), 2);
    assert_eq!(stub.count("/auth/refresh"), 1);
}

#[actix::test]
async fn persistent_401_is_an_error_after_one_retry() {
    let stub = Stub::start().await;
    signed_in_stub_with(&stub);
    stub.always(
        "POST",
        "/device/list",
        Reply::status(401, json!({"code": 401, "msg": "Unauthorized"})),
    );
    let err = client(&stub).list_devices().await.unwrap_err();
    assert!(
        matches!(
            err,
            RestError::Api {
                status: 401,
                code: 401,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(stub.count("/device/list"), 2);
    assert_eq!(stub.count("/auth/refresh"), 1);
}

#[actix::test]
async fn concurrent_401s_share_one_renewal() {
    let stub = Stub::start().await;
    stub.always(
        "POST",
        "/user/sign-in",
        Reply::ok(fixture("g1_sign_in.json")),
    );
    stub.always(
        "POST",
        "/auth/refresh",
        Reply::delayed(fixture("g1_refresh.json"), Duration::from_millis(100)),
    );
    stub.always(
        "POST",
        "/device/list",
        Reply::with(|req| {
            if req.header("authorization") == Some("fake-access-token-2") {
                Reply::ok(fixture("g2_device_list.json"))
            } else {
                Reply::status(401, json!({"code": 401, "msg": "Unauthorized"}))
            }
        }),
    );
    let rest = client(&stub);
    let results = join_all((0..10).map(|_| rest.list_devices())).await;
    assert!(results.iter().all(|r| r.as_ref().unwrap().len() == 1));
    assert_eq!(stub.count("/auth/refresh"), 1);
    assert_eq!(stub.count("/user/sign-in"), 1);
}

#[actix::test]
async fn device_info_and_firmware_requests() {
    let stub = Stub::start().await;
    signed_in_stub_with(&stub);
    let mut info = fixture("g2_device_list.json")["data"][0].clone();
    info["installer"] = json!({"installerId": "I1", "installerFirstName": "Ann",
                               "installerLastName": "Lee", "installerPhoneNumber": 5551234});
    info["alarmInfo"] = json!({"isEtcAlarm": false, "isErrorAlarm": true});
    info["descaling"] = Value::Null;
    stub.always("POST", "/device/info", ok(info));
    stub.always(
        "POST",
        "/device/firmware/info",
        ok(
            json!({"firmwares": [{"macAddress": "aabbccddeeff", "additionalValue": "1234",
            "deviceType": 52, "curSwCode": 1, "curVersion": 184614912,
            "downloadedVersion": null, "deviceGroup": "NWP500"}]}),
        ),
    );
    let rest = client(&stub);
    let detail = rest.device_info("aabbccddeeff", "1234").await.unwrap();
    assert_eq!(detail.device.info.device_name, "Garage Water Heater");
    let installer = detail.installer.unwrap();
    assert_eq!(installer.installer_phone_number.as_deref(), Some("5551234"));
    assert_eq!(detail.alarm_info.unwrap()["isErrorAlarm"], true);
    assert!(detail.descaling.is_none());
    let fw = rest.firmware_info("aabbccddeeff", "1234").await.unwrap();
    assert_eq!(fw[0].cur_version, Some(184_614_912));

    let expected_body =
        json!({"macAddress": "aabbccddeeff", "additionalValue": "1234", "userId": EMAIL});
    assert_eq!(
        stub.requests_to("/device/info")[0].body,
        Some(expected_body.clone())
    );
    assert_eq!(
        stub.requests_to("/device/firmware/info")[0].body,
        Some(expected_body)
    );
}

#[actix::test]
async fn tou_read_write_and_convert_requests() {
    let stub = Stub::start().await;
    signed_in_stub_with(&stub);
    let tou = json!({"registerPath": "wifi", "sourceType": "openei",
        "touInfo": {"controllerId": "TESTSERIAL0001", "manufactureId": "M1", "name": "E-TOU-C",
                    "utility": "Example Power", "zipCode": 94103,
                    "schedule": [{"season": 448, "interval": [{"week": 124, "startHour": 16,
                        "startMinute": 0, "endHour": 20, "endMinute": 59, "priceMin": 45000,
                        "priceMax": 45000, "decimalPoint": 5}]}]}});
    stub.always("GET", "/device/tou", ok(tou.clone()));
    stub.always("PUT", "/device/tou", ok(tou));
    stub.always(
        "POST",
        "/device/tou/convert",
        ok(json!({"touInfo": [{"utility": "Example Power", "name": "E-TOU-C", "schedule": []}]})),
    );
    let rest = client(&stub);

    let info = rest
        .tou_info(&TouQuery::new("aabbccddeeff", "1234", "TESTSERIAL0001"))
        .await
        .unwrap();
    assert_eq!(info.controller_id, "TESTSERIAL0001");
    assert_eq!(info.schedule[0].intervals[0].price_min, 45000);
    let get = &stub.requests_to("/device/tou")[0];
    assert_eq!(get.method, "GET");
    assert_eq!(get.body, None);
    assert_eq!(get.header("authorization"), Some("fake-access-token"));
    let q = get.query_pairs();
    assert_eq!(q["additionalValue"], "1234");
    assert_eq!(q["controllerId"], "TESTSERIAL0001");
    assert_eq!(q["macAddress"], "aabbccddeeff");
    assert_eq!(q["userId"], EMAIL);
    assert_eq!(q["userType"], "O");

    let plans = rest
        .convert_tou(vec![json!({"label": "openei-plan"})])
        .await
        .unwrap();
    assert_eq!(
        stub.requests_to("/device/tou/convert")[0].body,
        Some(
            json!({"sourceData": [{"label": "openei-plan"}], "sourceType": "openei",
                    "sourceVersion": 7, "userId": EMAIL, "userType": "O"})
        )
    );
    let plan = TouPlan {
        zip_code: Some(94103),
        ..plans[0].clone()
    };
    let update = TouUpdate::new(
        "aabbccddeeff",
        "1234",
        json!({"label": "openei-plan"}),
        plan,
        "94103",
    );
    let written = rest.update_tou(&update).await.unwrap();
    assert_eq!(written, info);
    let put = stub
        .requests_to("/device/tou")
        .into_iter()
        .find(|r| r.method == "PUT")
        .unwrap();
    let body = put.body.unwrap();
    assert_eq!(body["userId"], EMAIL);
    assert_eq!(body["registerPath"], "wifi");
    assert_eq!(body["touInfo"]["zipCode"], 94103);
    assert_eq!(body["zipCode"], "94103");
}

#[actix::test]
async fn typed_errors() {
    let stub = Stub::start().await;
    signed_in_stub_with(&stub);
    stub.always(
        "POST",
        "/device/info",
        Reply::status(500, json!({"code": 500, "msg": "Internal Server Error"})),
    );
    stub.always("POST", "/device/firmware/info", Reply::Drop);
    stub.always("POST", "/device/list", ok(json!({"not": "a list"})));
    let rest = client(&stub);

    let err = rest.device_info("aabbccddeeff", "1234").await.unwrap_err();
    assert!(matches!(err, RestError::Api { status: 500, .. }), "{err:?}");
    assert!(err.is_transient());
    let err = rest
        .firmware_info("aabbccddeeff", "1234")
        .await
        .unwrap_err();
    assert!(matches!(err, RestError::Transport { .. }), "{err:?}");
    let err = rest.list_devices().await.unwrap_err();
    assert!(matches!(err, RestError::Decode { .. }), "{err:?}");
    // Unknown paths answer 404: a permanent error.
    let err = rest
        .tou_info(&TouQuery::new("aabbccddeeff", "1234", "X"))
        .await
        .unwrap_err();
    assert!(matches!(err, RestError::Api { code: 404, .. }), "{err:?}");
    assert!(!err.is_transient());
    // No renewals were attempted for any of these.
    assert_eq!(stub.count("/auth/refresh"), 0);
}

#[actix::test]
async fn invalid_credentials_surface_as_auth_errors() {
    let stub = Stub::start().await;
    stub.always(
        "POST",
        "/user/sign-in",
        Reply::ok(json!({"code": 1001, "msg": "INVALID_USER_PASSWORD"})),
    );
    let err = client(&stub).list_devices().await.unwrap_err();
    assert!(
        matches!(
            err,
            RestError::Auth {
                source: AuthError::InvalidCredentials { code: 1001, .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.is_transient());
    assert_eq!(stub.count("/device/list"), 0);
}
