//! SIGINT (Ctrl-C) and, on Unix, SIGTERM.

use std::future::pending;

/// Resolves with the signal's name when SIGINT or SIGTERM arrives. A handler that
/// cannot be installed is logged and never fires (the other exits still work).
pub async fn shutdown() -> &'static str {
    tokio::select! {
        () = ctrl_c() => "SIGINT",
        () = terminate() => "SIGTERM",
    }
}

async fn ctrl_c() {
    if let Err(error) = tokio::signal::ctrl_c().await {
        tracing::warn!(%error, "cannot listen for SIGINT");
        pending::<()>().await;
    }
}

#[cfg(unix)]
async fn terminate() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            if term.recv().await.is_none() {
                pending::<()>().await;
            }
        }
        Err(error) => {
            tracing::warn!(%error, "cannot listen for SIGTERM");
            pending::<()>().await;
        }
    }
}

#[cfg(not(unix))]
async fn terminate() {
    pending::<()>().await;
}
