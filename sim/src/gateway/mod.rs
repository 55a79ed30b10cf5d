//! The IoT gateway in front of the broker: a signing WebSocket listener (`ws://…/mqtt`) and a
//! plain MQTT-over-TCP listener, both subject to the fault switches, both logging every
//! connection.

mod delay;
mod link;
mod proxy;
pub(crate) mod registry;
mod upgrade;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};

use crate::conn_log::{ConnectionOutcome, Transport};
use crate::shared::Shared;

/// Longest time a client may take for the WebSocket handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts connections on `listener` forever.
pub(crate) async fn serve(shared: Arc<Shared>, listener: TcpListener, transport: Transport) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Typically EMFILE; back off briefly instead of spinning.
                tracing::warn!(error = %e, "gateway: accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let id = shared.log.open(transport, peer);
        let net = shared.faults.net();
        let restarting = net.down_until.is_some_and(|t| Instant::now() < t);
        if net.refuse || restarting {
            // Reset rather than close gracefully: the client sees "connection reset".
            let _ = stream.set_zero_linger();
            drop(stream);
            shared
                .log
                .close(id, ConnectionOutcome::Refused, Instant::now());
            continue;
        }
        tokio::spawn(handle(shared.clone(), id, stream, peer, transport));
    }
}

// The upgrade callback's error type (`http::Response`) is fixed by tungstenite.
#[allow(clippy::result_large_err)]
async fn handle(
    shared: Arc<Shared>,
    id: u64,
    stream: TcpStream,
    peer: SocketAddr,
    transport: Transport,
) {
    if shared.faults.net().blackhole {
        // A black hole answers nothing, not even the WebSocket handshake.
        let (rx, tx) = link::from_tcp(stream);
        proxy::run(shared, id, rx, tx, transport, true).await;
        return;
    }
    let (rx, tx) = match transport {
        Transport::Tcp => link::from_tcp(stream),
        Transport::WebSocket => {
            let mut rejection: Option<String> = None;
            let callback =
                |request: &Request, response: Response| -> Result<Response, ErrorResponse> {
                    match upgrade::check(&shared, request) {
                        Ok(()) => Ok(upgrade::accept_subprotocol(request, response)),
                        Err(reason) => {
                            let answer = upgrade::forbidden(&reason);
                            rejection = Some(reason);
                            Err(answer)
                        }
                    }
                };
            let handshake = tokio::time::timeout(
                HANDSHAKE_TIMEOUT,
                tokio_tungstenite::accept_hdr_async(stream, callback),
            )
            .await;
            match handshake {
                Ok(Ok(ws)) => link::from_ws(ws),
                Ok(Err(_)) | Err(_) => {
                    let outcome = match rejection {
                        Some(reason) => {
                            tracing::info!(conn = id, %peer, %reason, "gateway: upgrade rejected with 403");
                            ConnectionOutcome::Rejected(reason)
                        }
                        None => ConnectionOutcome::ProtocolError,
                    };
                    shared.log.close(id, outcome, Instant::now());
                    return;
                }
            }
        }
    };
    proxy::run(shared, id, rx, tx, transport, false).await;
}
