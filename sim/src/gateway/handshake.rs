//! The WebSocket handshake of a gateway connection, and the faults that strike there: the
//! upgrade request read and left unanswered, an HTTP error status instead of 101, a 403.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};

use super::link::{self, ClientRx, ClientTx};
use super::upgrade;
use crate::conn_log::ConnectionOutcome;
use crate::shared::Shared;

/// Longest time a client may take for the WebSocket handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest upgrade request head read when the request is to be left unanswered.
const MAX_REQUEST_HEAD: usize = 16 * 1024;

/// Performs the upgrade; `None` when the connection ended there (its outcome is logged).
pub(super) async fn websocket(
    shared: &Shared,
    id: u64,
    stream: TcpStream,
    peer: SocketAddr,
) -> Option<(ClientRx, ClientTx)> {
    let outcome = if shared.faults.net().close_during_handshake {
        read_and_close(stream).await
    } else {
        match upgrade_or_refuse(shared, stream).await {
            Ok(link) => return Some(link),
            Err(outcome) => outcome,
        }
    };
    match &outcome {
        ConnectionOutcome::Rejected(reason) => {
            tracing::info!(conn = id, %peer, %reason, "gateway: upgrade rejected with 403");
        }
        other => tracing::info!(conn = id, %peer, outcome = ?other, "gateway: upgrade failed"),
    }
    shared.log.close(id, outcome, Instant::now());
    None
}

// The upgrade callback's error type (`http::Response`) is fixed by tungstenite.
#[allow(clippy::result_large_err)]
async fn upgrade_or_refuse(
    shared: &Shared,
    stream: TcpStream,
) -> Result<(ClientRx, ClientTx), ConnectionOutcome> {
    let mut refusal: Option<ConnectionOutcome> = None;
    let callback = |request: &Request, response: Response| -> Result<Response, ErrorResponse> {
        // Read when the request is in, so a switch flipped after the accept still applies.
        // An error status comes before any signature check, as from a failing front end.
        if let Some(status) = shared.faults.net().upgrade_status {
            refusal = Some(ConnectionOutcome::UpgradeStatus(status));
            return Err(upgrade::error_status(status));
        }
        match upgrade::check(shared, request) {
            Ok(()) => Ok(upgrade::accept_subprotocol(request, response)),
            Err(reason) => {
                let answer = upgrade::forbidden(&reason);
                refusal = Some(ConnectionOutcome::Rejected(reason));
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
        Ok(Ok(ws)) => Ok(link::from_ws(ws)),
        Ok(Err(_)) | Err(_) => Err(refusal.unwrap_or(ConnectionOutcome::ProtocolError)),
    }
}

/// Reads the upgrade request head, then drops the socket without a word.
async fn read_and_close(mut stream: TcpStream) -> ConnectionOutcome {
    let mut head = Vec::new();
    let mut chunk = [0u8; 2048];
    let complete = tokio::time::timeout(HANDSHAKE_TIMEOUT, async {
        loop {
            if head.windows(4).any(|w| w == b"\r\n\r\n") {
                return true;
            }
            if head.len() > MAX_REQUEST_HEAD {
                return false;
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => head.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    // Everything the client sent was read, so dropping the stream sends a FIN, not a reset:
    // the client sees the connection closed before any answer.
    drop(stream);
    match complete {
        Ok(true) => ConnectionOutcome::ClosedDuringHandshake,
        Ok(false) | Err(_) => ConnectionOutcome::ProtocolError,
    }
}
