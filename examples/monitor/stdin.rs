//! Reads stdin lines on a plain thread.
//!
//! A thread rather than `tokio::io::stdin`: a blocking read cannot be cancelled, and
//! a runtime-owned one would hold up the exit until the user presses Enter.

use std::io::BufRead;

use tokio::sync::mpsc;

/// Starts the reader. The receiver yields each line (invalid UTF-8 replaced) and
/// closes at the end of stdin or on a read error; the monitor keeps running either way.
pub fn lines() -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel(16);
    let spawned = std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || read_lines(std::io::stdin().lock(), &tx));
    if let Err(error) = spawned {
        tracing::warn!(%error, "cannot read stdin; commands are disabled");
    }
    rx
}

fn read_lines(mut input: impl BufRead, tx: &mpsc::Sender<String>) {
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        match input.read_until(b'\n', &mut buffer) {
            Ok(0) => return,
            Ok(_) => {
                let line = String::from_utf8_lossy(&buffer).into_owned();
                if tx.blocking_send(line).is_err() {
                    return;
                }
            }
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => {
                tracing::warn!(%error, "stdin read failed; commands are disabled");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_then_close_at_the_end() {
        let (tx, mut rx) = mpsc::channel(4);
        let input: &[u8] = b"power on\nmode \xffelectric\nquit";
        std::thread::spawn(move || read_lines(input, &tx));
        assert_eq!(rx.blocking_recv().as_deref(), Some("power on\n"));
        assert_eq!(
            rx.blocking_recv().as_deref(),
            Some("mode \u{fffd}electric\n")
        );
        assert_eq!(rx.blocking_recv().as_deref(), Some("quit"));
        assert_eq!(rx.blocking_recv(), None);
    }
}
