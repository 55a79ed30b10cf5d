//! An error with its sources. The library's errors name only their own level and reach
//! the cause below through `source()`; a message for a person shows every level.

use std::error::Error;
use std::fmt;

/// An error and its sources, outermost first, joined by `": "`.
pub struct Chain<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Chain;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot start")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn every_level_is_shown_once() {
        let e = Outer(std::io::Error::other("refused"));
        assert_eq!(Chain(&e).to_string(), "cannot start: refused");
    }
}
