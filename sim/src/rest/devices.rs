//! Authenticated device endpoints: list, info, firmware, TOU, push token (docs/protocol.md §2.6–§2.10).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use super::{authorize, bad_request, envelope, json_object, preamble, success};
use crate::device::handle::DeviceHandle;
use crate::shared::{CounterCells, Shared};

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/device/list", web::post().to(list))
        .route("/device/info", web::post().to(info))
        .route("/device/firmware/info", web::post().to(firmware))
        .route("/device/tou", web::get().to(tou_get))
        .route("/device/tou", web::put().to(tou_put))
        .route("/app/update-push-token", web::post().to(push_token));
}

/// Common start of every authenticated call: latency/failure faults, token, JSON body, and the
/// body's `userId` (when present) must be the token's user.
async fn start(
    req: &HttpRequest,
    shared: &Shared,
    body: Option<&[u8]>,
) -> Result<(String, Map<String, Value>), HttpResponse> {
    CounterCells::bump(&shared.counters.api_requests);
    if let Some(failure) = preamble(shared).await {
        return Err(failure);
    }
    let user = authorize(req, shared).map_err(|u| u.response())?;
    let body = match body {
        Some(bytes) => json_object(bytes).ok_or_else(bad_request)?,
        None => Map::new(),
    };
    if let Some(user_id) = body.get("userId") {
        if user_id.as_str() != Some(user.as_str()) {
            return Err(forbidden());
        }
    }
    Ok((user, body))
}

fn forbidden() -> HttpResponse {
    envelope(StatusCode::FORBIDDEN, 403, "FORBIDDEN", Some(Value::Null))
}

fn not_found() -> HttpResponse {
    envelope(StatusCode::NOT_FOUND, 404, "NOT_FOUND", Some(Value::Null))
}

fn device_record(d: &DeviceHandle) -> Value {
    let spec = d.spec();
    json!({
        "deviceInfo": {
            "homeSeq": spec.home_seq,
            "macAddress": spec.mac,
            "additionalValue": spec.additional_value,
            "deviceType": 52,
            "deviceName": spec.name,
            "connected": 2,
            "installType": "R",
        },
        "location": {
            "state": "CA", "city": "Anytown", "address": "1 Example St",
            "latitude": 37.0, "longitude": -122.0, "altitude": null,
        },
    })
}

/// The device named by `macAddress` + `additionalValue` (in a JSON body or a query).
fn find<'a>(
    shared: &'a Shared,
    mac: Option<&str>,
    additional: Option<&str>,
) -> Option<&'a DeviceHandle> {
    let device = shared.device(mac?)?;
    (device.additional_value() == additional?).then_some(device)
}

fn body_device<'a>(shared: &'a Shared, body: &Map<String, Value>) -> Option<&'a DeviceHandle> {
    find(
        shared,
        body.get("macAddress").and_then(Value::as_str),
        body.get("additionalValue").and_then(Value::as_str),
    )
}

async fn list(req: HttpRequest, shared: web::Data<Shared>, body: web::Bytes) -> HttpResponse {
    let body = match start(&req, &shared, Some(&body)).await {
        Ok((_, b)) => b,
        Err(answer) => return answer,
    };
    let offset = body.get("offset").and_then(Value::as_u64).unwrap_or(0) as usize;
    let count = body.get("count").and_then(Value::as_u64).unwrap_or(20) as usize;
    let devices: Vec<Value> = shared
        .devices
        .iter()
        .filter(|d| shared.is_listed(d.mac()))
        .skip(offset)
        .take(count)
        .map(device_record)
        .collect();
    success(Value::Array(devices))
}

async fn info(req: HttpRequest, shared: web::Data<Shared>, body: web::Bytes) -> HttpResponse {
    let body = match start(&req, &shared, Some(&body)).await {
        Ok((_, b)) => b,
        Err(answer) => return answer,
    };
    let Some(device) = body_device(&shared, &body) else {
        return not_found();
    };
    let mut data = device_record(device);
    data["installer"] = json!({
        "installerId": null, "installerFirstName": null,
        "installerLastName": null, "installerPhoneNumber": null,
    });
    data["alarmInfo"] = json!({"isEtcAlarm": null, "isErrorAlarm": null});
    data["descaling"] = json!({"descalingStartTime": null, "descalingEndTime": null});
    success(data)
}

async fn firmware(req: HttpRequest, shared: web::Data<Shared>, body: web::Bytes) -> HttpResponse {
    let body = match start(&req, &shared, Some(&body)).await {
        Ok((_, b)) => b,
        Err(answer) => return answer,
    };
    let Some(device) = body_device(&shared, &body) else {
        return not_found();
    };
    let firmwares: Vec<Value> = [(1, 184_614_912u64), (2, 184_614_912), (4, 16_842_752)]
        .iter()
        .map(|(code, version)| {
            json!({
                "macAddress": device.mac(),
                "additionalValue": device.additional_value(),
                "deviceType": 52,
                "curSwCode": code,
                "curVersion": version,
                "downloadedVersion": null,
                "deviceGroup": "NWP500",
            })
        })
        .collect();
    success(json!({"firmwares": firmwares}))
}

/// The plan a device has before any `PUT /device/tou`.
fn default_plan() -> Value {
    json!({
        "name": "Simulated time-of-use plan",
        "utility": "Example Power & Light",
        "zipCode": 94000,
        "schedule": [{
            "season": 4095,
            "interval": [
                {"week": 124, "startHour": 0, "startMinute": 0, "endHour": 15, "endMinute": 59,
                 "priceMin": 31794, "priceMax": 31794, "decimalPoint": 5},
                {"week": 124, "startHour": 16, "startMinute": 0, "endHour": 20, "endMinute": 59,
                 "priceMin": 45000, "priceMax": 45000, "decimalPoint": 5},
                {"week": 130, "startHour": 0, "startMinute": 0, "endHour": 23, "endMinute": 59,
                 "priceMin": 31794, "priceMax": 31794, "decimalPoint": 5}
            ]
        }]
    })
}

fn plan_for(shared: &Shared, mac: &str) -> Value {
    shared
        .rest_tou
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(mac)
        .cloned()
        .unwrap_or_else(default_plan)
}

async fn tou_get(
    req: HttpRequest,
    shared: web::Data<Shared>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let user = match start(&req, &shared, None).await {
        Ok((user, _)) => user,
        Err(answer) => return answer,
    };
    if query.get("userId").is_some_and(|u| *u != user) {
        return forbidden();
    }
    let Some(device) = find(
        &shared,
        query.get("macAddress").map(String::as_str),
        query.get("additionalValue").map(String::as_str),
    ) else {
        return not_found();
    };
    if query.get("controllerId") != Some(&device.spec().serial_number) {
        return not_found();
    }
    let mut tou_info = plan_for(&shared, device.mac());
    tou_info["controllerId"] = json!(device.spec().serial_number);
    tou_info["manufactureId"] = json!(device.spec().serial_number);
    success(json!({"registerPath": "wifi", "sourceType": "openei", "touInfo": tou_info}))
}

async fn tou_put(req: HttpRequest, shared: web::Data<Shared>, body: web::Bytes) -> HttpResponse {
    let body = match start(&req, &shared, Some(&body)).await {
        Ok((_, b)) => b,
        Err(answer) => return answer,
    };
    let Some(device) = body_device(&shared, &body) else {
        return not_found();
    };
    let Some(info) = body.get("touInfo").and_then(Value::as_object) else {
        return bad_request();
    };
    let zip = body
        .get("zipCode")
        .or_else(|| info.get("zipCode"))
        .and_then(|z| {
            z.as_i64()
                .or_else(|| z.as_str().and_then(|s| s.parse().ok()))
        })
        .unwrap_or(0);
    let plan = json!({
        "name": info.get("name").cloned().unwrap_or(Value::Null),
        "utility": info.get("utility").cloned().unwrap_or(Value::Null),
        "schedule": info.get("schedule").cloned().unwrap_or(json!([])),
        "zipCode": zip,
    });
    shared
        .rest_tou
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(device.mac().to_owned(), plan.clone());
    let mut tou_info = plan;
    tou_info["controllerId"] = json!(device.spec().serial_number);
    success(json!({"sourceType": "openei", "touInfo": tou_info}))
}

async fn push_token(req: HttpRequest, shared: web::Data<Shared>, body: web::Bytes) -> HttpResponse {
    match start(&req, &shared, Some(&body)).await {
        Ok(_) => envelope(StatusCode::OK, 200, "SUCCESS", None),
        Err(answer) => answer,
    }
}
