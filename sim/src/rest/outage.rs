//! The REST outage that is answered in HTTP: every API request gets an error status, as from a
//! load balancer whose service is down. Control paths are exempt (they are reachable on the REST
//! port as well, for compatibility).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::ContentType;
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpResponse};

use super::CONTROL_PREFIX;
use crate::faults::RestOutage;
use crate::shared::{CounterCells, Shared};

/// Middleware: answers with the outage status, or passes the request on.
pub(crate) async fn middleware<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let status = match req.app_data::<web::Data<Shared>>() {
        Some(shared) if !req.path().starts_with(CONTROL_PREFIX) => {
            match shared.faults.rest_outage() {
                Some(RestOutage::Status(status)) => {
                    CounterCells::bump(&shared.counters.rest_outage_answers);
                    Some(status)
                }
                _ => None,
            }
        }
        _ => None,
    };
    match status {
        Some(status) => Ok(req.into_response(answer(status)).map_into_right_body()),
        None => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body),
    }
}

/// A load balancer's error page: HTML, not the API's JSON envelope.
fn answer(status: u16) -> HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let line = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    HttpResponse::build(status)
        .content_type(ContentType::html())
        .body(format!(
            "<html>\r\n<head><title>{line}</title></head>\r\n<body>\r\n<center><h1>{line}</h1></center>\r\n</body>\r\n</html>\r\n"
        ))
}
