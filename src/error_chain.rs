//! Shows an error with its sources. The crate's errors name only their own level and
//! reach the cause below through [`Error::source`]; logs and events that show one error
//! print the whole chain with these.

use std::error::Error;
use std::fmt;

/// An error and its sources, outermost first, joined by `": "`: what an event's
/// `reason` or a log line's `error` field shows.
pub(crate) struct Chain<'a>(pub(crate) &'a (dyn Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        if self.0.source().is_some() {
            write!(f, ": {}", Causes(self.0))?;
        }
        Ok(())
    }
}

/// The sources of an error, outermost first, joined by `": "` (empty when it has
/// none): for a log line that shows an error with `%e` and its causes next to it.
pub(crate) struct Causes<'a>(pub(crate) &'a (dyn Error + 'static));

impl fmt::Display for Causes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut source = self.0.source();
        let mut first = true;
        while let Some(s) = source {
            if !first {
                f.write_str(": ")?;
            }
            write!(f, "{s}")?;
            first = false;
            source = s.source();
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The messages of `e` and of each of its sources, outermost first.
    pub(crate) fn chain(e: &(dyn Error + 'static)) -> Vec<String> {
        let mut messages = vec![e.to_string()];
        let mut source = e.source();
        while let Some(s) = source {
            messages.push(s.to_string());
            source = s.source();
        }
        messages
    }

    /// Asserts that no level of `e`'s chain repeats the next one, and that no level
    /// is empty. Returns the chain.
    pub(crate) fn assert_no_repetition(e: &(dyn Error + 'static)) -> Vec<String> {
        let levels = chain(e);
        for pair in levels.windows(2) {
            assert!(
                !pair[0].contains(&pair[1]),
                "{:?} repeats its source {:?}",
                pair[0],
                pair[1]
            );
        }
        for level in &levels {
            assert!(!level.is_empty(), "an empty level in {levels:?}");
        }
        levels
    }

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn a_chain_shows_every_level_once() {
        let e = Outer(std::io::Error::other("inner"));
        assert_eq!(Chain(&e).to_string(), "outer: inner");
        assert_eq!(Causes(&e).to_string(), "inner");
        let alone = std::io::Error::other("alone");
        assert_eq!(Chain(&alone).to_string(), "alone");
        assert_eq!(Causes(&alone).to_string(), "");
        assert_eq!(assert_no_repetition(&e), ["outer", "inner"]);
    }
}
