//! The TCP fronts of the REST server. The REST port's front relays every connection to the
//! actix-web server behind it and applies the REST outages that strike below HTTP: connections
//! reset as if the server were down, or held unanswered (a black hole). The control port's
//! front relays untouched, so the control API stays reachable meanwhile. (One actix listener
//! behind two fronts, rather than two actix listeners: a second listener doubles the cost of
//! starting and stopping a simulator.)
//!
//! Black-hole semantics: while it lasts nothing is read on either side, so nothing sent meanwhile
//! ever reaches the server; when it lifts, a connection on which the client sent anything (a
//! request, or its close) is reset, and an idle one (e.g. pooled keep-alive) carries on.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::faults::RestOutage;
use crate::shared::{CounterCells, Shared};

/// The next connection on `listener`.
async fn accept(listener: &TcpListener) -> TcpStream {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                return stream;
            }
            Err(e) => {
                // Typically EMFILE; back off briefly instead of spinning.
                tracing::warn!(error = %e, "REST front: accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Accepts connections on the control port forever, relaying them to `upstream` untouched.
pub(crate) async fn serve_control(listener: TcpListener, upstream: SocketAddr) {
    loop {
        let mut client = accept(&listener).await;
        tokio::spawn(async move {
            if let Ok(mut server) = TcpStream::connect(upstream).await {
                let _ = server.set_nodelay(true);
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            }
        });
    }
}

/// Accepts connections on the public REST port forever, relaying them to `upstream`.
pub(crate) async fn serve(shared: Arc<Shared>, listener: TcpListener, upstream: SocketAddr) {
    loop {
        let stream = accept(&listener).await;
        if shared.faults.rest_outage() == Some(RestOutage::Refuse) {
            reset(&stream);
            CounterCells::bump(&shared.counters.rest_connections_refused);
            continue;
        }
        tokio::spawn(relay(shared.clone(), stream, upstream));
    }
}

/// Makes the coming close of `stream` a reset (zero linger), as from a host whose server is
/// down.
fn reset(stream: &TcpStream) {
    let _ = stream.set_zero_linger();
}

/// How a connection came out of a black hole.
enum Lifted {
    /// The outage is over and the client sent nothing meanwhile: carry on.
    Resume,
    /// The client sent something (or closed) meanwhile; it is lost, so the connection is reset.
    Lost,
    /// The outage turned into a refusing one.
    Refuse,
    /// The simulator is going away.
    Gone,
}

/// Waits while the REST outage is a black hole, reading nothing, and counts the connection
/// once. Returns at once when there is no black hole. `client_spoke`: bytes were already
/// swallowed by the black hole, so the connection cannot carry on.
async fn hold_while_blackholed(
    shared: &Shared,
    outage: &mut watch::Receiver<Option<RestOutage>>,
    client_rd: &OwnedReadHalf,
    counted: &mut bool,
    mut client_spoke: bool,
) -> Lifted {
    loop {
        match *outage.borrow_and_update() {
            Some(RestOutage::Refuse) => return Lifted::Refuse,
            Some(RestOutage::Blackhole) => {
                if !*counted {
                    *counted = true;
                    CounterCells::bump(&shared.counters.rest_connections_blackholed);
                }
            }
            Some(RestOutage::Status(_)) | None if client_spoke => return Lifted::Lost,
            Some(RestOutage::Status(_)) | None => return Lifted::Resume,
        }
        tokio::select! {
            changed = outage.changed() => if changed.is_err() {
                return Lifted::Gone;
            },
            // Readiness, not a read: the bytes stay unread, and are never delivered.
            _ = client_rd.readable(), if !client_spoke => client_spoke = true,
        }
    }
}

/// Relays one connection until both sides are done or an outage ends it.
async fn relay(shared: Arc<Shared>, client: TcpStream, upstream: SocketAddr) {
    let mut outage = shared.faults.watch_rest_outage();
    let mut counted = false;
    let (mut client_rd, mut client_wr) = client.into_split();

    // Accepted during a black hole: connect to the server only once it lifts.
    match hold_while_blackholed(&shared, &mut outage, &client_rd, &mut counted, false).await {
        Lifted::Resume => {}
        Lifted::Lost => return finish_reset(client_wr),
        Lifted::Refuse => return refuse(&shared, client_wr),
        Lifted::Gone => return,
    }
    let Ok(server) = TcpStream::connect(upstream).await else {
        tracing::warn!("REST front: the REST server is unreachable");
        return finish_reset(client_wr);
    };
    let _ = server.set_nodelay(true);
    let (mut server_rd, mut server_wr) = server.into_split();

    let mut up = vec![0u8; 8192];
    let mut down = vec![0u8; 8192];
    let (mut client_open, mut server_open) = (true, true);
    let mut watching = true;
    while client_open || server_open {
        let event = tokio::select! {
            changed = outage.changed(), if watching => Event::Changed(changed.is_ok()),
            read = client_rd.read(&mut up), if client_open => Event::FromClient(read),
            read = server_rd.read(&mut down), if server_open => Event::FromServer(read),
        };
        // The switch may have flipped after the last change was seen: bytes read after it obey
        // it, and are lost.
        let swallowed = !matches!(event, Event::Changed(_)) && stopped(&outage);
        if swallowed || matches!(event, Event::Changed(true)) {
            // A status outage is answered by the server itself: that resumes at once.
            match hold_while_blackholed(&shared, &mut outage, &client_rd, &mut counted, swallowed)
                .await
            {
                Lifted::Resume => continue,
                Lifted::Lost => return finish_reset(client_wr),
                Lifted::Refuse => return refuse(&shared, client_wr),
                Lifted::Gone => return,
            }
        }
        match event {
            // The simulator is going away; relay what is left.
            Event::Changed(_) => watching = false,
            Event::FromClient(Ok(n)) if n > 0 => {
                if server_wr.write_all(&up[..n]).await.is_err() {
                    return;
                }
            }
            Event::FromClient(_) => {
                client_open = false;
                let _ = server_wr.shutdown().await;
            }
            Event::FromServer(Ok(n)) if n > 0 => {
                if client_wr.write_all(&down[..n]).await.is_err() {
                    return;
                }
            }
            Event::FromServer(_) => {
                server_open = false;
                let _ = client_wr.shutdown().await;
            }
        }
    }
}

/// What woke a relayed connection.
enum Event {
    /// The outage changed (`false`: no more changes will come).
    Changed(bool),
    FromClient(std::io::Result<usize>),
    FromServer(std::io::Result<usize>),
}

/// Whether an outage that stops relaying (reset or black hole) is in force now.
fn stopped(outage: &watch::Receiver<Option<RestOutage>>) -> bool {
    matches!(
        *outage.borrow(),
        Some(RestOutage::Refuse | RestOutage::Blackhole)
    )
}

/// Resets a relayed connection as the refusing outage does, and counts it.
fn refuse(shared: &Shared, client_wr: OwnedWriteHalf) {
    CounterCells::bump(&shared.counters.rest_connections_refused);
    finish_reset(client_wr);
}

/// Resets a relayed connection: the socket closes when the caller's read half drops.
fn finish_reset(client_wr: OwnedWriteHalf) {
    reset(client_wr.as_ref());
    // A plain drop of the write half would send a FIN before the reset; the client must see
    // only the reset.
    client_wr.forget();
}
