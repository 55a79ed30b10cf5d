//! The client side of a gateway connection as a byte stream, whether it is a WebSocket (MQTT in
//! binary frames) or plain TCP.

use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

type Ws = WebSocketStream<TcpStream>;

/// Receiving half.
pub(crate) enum ClientRx {
    Ws(SplitStream<Ws>),
    Tcp(OwnedReadHalf, Box<[u8]>),
}

/// Sending half.
pub(crate) enum ClientTx {
    Ws(SplitSink<Ws, Message>),
    Tcp(OwnedWriteHalf),
}

/// Splits a WebSocket into the two halves.
pub(crate) fn from_ws(ws: Ws) -> (ClientRx, ClientTx) {
    let (tx, rx) = ws.split();
    (ClientRx::Ws(rx), ClientTx::Ws(tx))
}

/// Splits a TCP stream into the two halves.
pub(crate) fn from_tcp(stream: TcpStream) -> (ClientRx, ClientTx) {
    let (rd, wr) = stream.into_split();
    (
        ClientRx::Tcp(rd, vec![0u8; 8192].into_boxed_slice()),
        ClientTx::Tcp(wr),
    )
}

impl ClientRx {
    /// The next chunk of MQTT bytes; `None` once the client closed or the link failed.
    /// Cancel-safe: only awaits cancel-safe reads.
    pub(crate) async fn next(&mut self) -> Option<Vec<u8>> {
        match self {
            ClientRx::Ws(rx) => loop {
                match rx.next().await? {
                    Ok(Message::Binary(data)) => return Some(data.to_vec()),
                    // Some clients send MQTT in text frames; AWS closes those, so do we.
                    Ok(Message::Text(_)) | Ok(Message::Close(_)) | Err(_) => return None,
                    // Pings are answered by the WebSocket layer itself.
                    Ok(Message::Ping(_)) | Ok(Message::Pong(_)) | Ok(Message::Frame(_)) => {}
                }
            },
            ClientRx::Tcp(rd, buf) => match rd.read(buf).await {
                Ok(0) | Err(_) => None,
                Ok(n) => Some(buf[..n].to_vec()),
            },
        }
    }
}

impl ClientTx {
    /// Sends bytes to the client; false when the link is gone.
    pub(crate) async fn send(&mut self, data: Vec<u8>) -> bool {
        match self {
            ClientTx::Ws(tx) => tx.send(Message::Binary(data.into())).await.is_ok(),
            ClientTx::Tcp(wr) => wr.write_all(&data).await.is_ok(),
        }
    }
}
