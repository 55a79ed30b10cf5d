//! The IoT gateway in front of the broker: a signing WebSocket listener (`ws://…/mqtt`) and a
//! plain MQTT-over-TCP listener, both subject to the fault switches, both logging every
//! connection.

pub(crate) mod connect_rate;
mod delay;
mod handshake;
mod link;
mod proxy;
pub(crate) mod registry;
mod upgrade;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};

use crate::conn_log::{ConnectionOutcome, Transport};
use crate::shared::Shared;

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
        Transport::WebSocket => match handshake::websocket(&shared, id, stream, peer).await {
            Some(link) => link,
            None => return,
        },
    };
    proxy::run(shared, id, rx, tx, transport, false).await;
}
