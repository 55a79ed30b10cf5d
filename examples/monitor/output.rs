//! Where events go: JSON lines, plain lines, or a view redrawn in place on a terminal.

use std::io::{self, Write};
use std::time::SystemTime;

use nwp500::events::TimestampedEvent;
use nwp500::UnitSystem;

use crate::frame;
use crate::view::View;

/// How stdout is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// One JSON object per line.
    Json,
    /// One human line per event (stdout is not a terminal).
    Lines,
    /// The view, redrawn in place (stdout is a terminal).
    Screen,
}

/// The monitor's stdout (and its messages to the user on stderr).
pub struct Output<W: Write> {
    out: W,
    style: Style,
    view: View,
}

impl<W: Write> Output<W> {
    /// An output in `style` whose first line will be `title`.
    pub fn new(out: W, style: Style, title: String, unit: UnitSystem) -> Self {
        Self {
            out,
            style,
            view: View::new(title, unit, Vec::new()),
        }
    }

    /// The first line: what is monitored. On stdout for people, on stderr in JSON mode
    /// (stdout holds only event objects there).
    pub fn banner(&mut self) -> io::Result<()> {
        match self.style {
            Style::Json => {
                eprintln!("{}", self.view.title);
                Ok(())
            }
            Style::Lines | Style::Screen => {
                writeln!(self.out, "{}", self.view.title)?;
                self.out.flush()
            }
        }
    }

    /// A second line (where the monitor connects), printed like the banner; on a
    /// terminal it stays under the title of the view.
    pub fn subtitle(&mut self, text: String) -> io::Result<()> {
        let printed = match self.style {
            Style::Json => {
                eprintln!("{text}");
                Ok(())
            }
            Style::Lines | Style::Screen => {
                writeln!(self.out, "{text}").and_then(|()| self.out.flush())
            }
        };
        self.view.subtitle = Some(text);
        printed
    }

    /// Sets the devices shown (MAC, name), in order.
    pub fn set_devices(&mut self, devices: Vec<(String, String)>) -> io::Result<()> {
        self.view.set_devices(devices);
        self.redraw()
    }

    /// The name shown for a device.
    pub fn device_name(&self, mac: &str) -> String {
        self.view.device_name(mac)
    }

    /// Writes one event. An error means stdout is gone.
    pub fn event(&mut self, event: &TimestampedEvent) -> io::Result<()> {
        match self.style {
            Style::Json => match serde_json::to_string(event) {
                Ok(line) => {
                    writeln!(self.out, "{line}")?;
                    self.out.flush()
                }
                Err(error) => {
                    // Only a timestamp outside years 0000-9999 can do this.
                    tracing::warn!(%error, event = event.event.name(), "event not serialisable");
                    Ok(())
                }
            },
            Style::Lines => {
                let line = self.view.apply(event);
                writeln!(self.out, "{line}")?;
                self.out.flush()
            }
            Style::Screen => {
                self.view.apply(event);
                self.redraw()
            }
        }
    }

    /// A message for the user (a refused input line, a refused command): on stderr,
    /// and in the terminal view's history too.
    pub fn note(&mut self, message: &str) -> io::Result<()> {
        if self.style == Style::Screen {
            self.view.note(SystemTime::now(), message);
            self.redraw()?;
        }
        eprintln!("{message}");
        Ok(())
    }

    fn redraw(&mut self) -> io::Result<()> {
        if self.style != Style::Screen {
            return Ok(());
        }
        write!(self.out, "{}{}", frame::CLEAR, frame::render(&self.view))?;
        self.out.flush()
    }

    /// The underlying writer (tests).
    #[cfg(test)]
    pub fn into_inner(self) -> W {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use nwp500::events::Event;

    use super::*;

    fn stamped(event: Event) -> TimestampedEvent {
        event.at(SystemTime::UNIX_EPOCH + Duration::from_millis(1_234))
    }

    #[test]
    fn json_is_one_flushed_object_per_line() {
        let mut out = Output::new(Vec::new(), Style::Json, "t".into(), UnitSystem::UsCustomary);
        out.banner().unwrap();
        out.event(&stamped(Event::Disconnected)).unwrap();
        out.event(&stamped(Event::Interrupted {
            error: "reset".into(),
        }))
        .unwrap();
        let text = String::from_utf8(out.into_inner()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "the banner is not on stdout: {text}");
        let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(
            first,
            serde_json::json!({"ts": "1970-01-01T00:00:01.234Z", "event": "disconnected"})
        );
        let second: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(second["event"], "interrupted");
        assert_eq!(second["error"], "reset");
    }

    #[test]
    fn lines_start_with_the_banner_and_describe_each_event() {
        let mut out = Output::new(
            Vec::new(),
            Style::Lines,
            "banner".into(),
            UnitSystem::UsCustomary,
        );
        out.banner().unwrap();
        out.subtitle("subtitle".into()).unwrap();
        out.set_devices(vec![("aabbccddeeff".into(), "Garage".into())])
            .unwrap();
        out.event(&stamped(Event::CommandSent {
            device: nwp500::MacAddress::new("aabbccddeeff").unwrap(),
            command: 33_554_434,
        }))
        .unwrap();
        let text = String::from_utf8(out.into_inner()).unwrap();
        assert_eq!(text, "banner\nsubtitle\n00:00:01 sent Power on to Garage\n");
    }

    #[test]
    fn the_screen_is_redrawn_in_place() {
        let mut out = Output::new(
            Vec::new(),
            Style::Screen,
            "banner".into(),
            UnitSystem::UsCustomary,
        );
        out.banner().unwrap();
        out.subtitle("subtitle".into()).unwrap();
        out.event(&stamped(Event::Disconnected)).unwrap();
        let text = String::from_utf8(out.into_inner()).unwrap();
        assert!(text.starts_with("banner\nsubtitle\n"));
        assert!(text.contains(&format!("{}banner\nsubtitle\n", frame::CLEAR)));
        assert_eq!(text.matches(frame::CLEAR).count(), 1);
        assert!(text.contains("Connection  disconnected"));
    }
}
