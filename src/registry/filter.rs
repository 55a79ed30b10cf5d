//! MQTT topic filters: validation and the reference (level-by-level) matcher.

use std::fmt;

use thiserror::Error;

/// Longest filter or topic MQTT can carry (a UTF-8 string with a 16-bit length).
pub const MAX_TOPIC_LEN: usize = 65_535;

/// Why a topic filter was refused. The filter text itself is not repeated: filters
/// usually contain a device MAC, which must not reach the logs.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FilterError {
    /// The filter is the empty string.
    #[error("topic filter is empty")]
    Empty,
    /// The filter is longer than MQTT allows.
    #[error("topic filter is {len} bytes long; at most {MAX_TOPIC_LEN} are allowed")]
    TooLong {
        /// Length in bytes.
        len: usize,
    },
    /// The filter contains a NUL character.
    #[error("topic filter contains a NUL character")]
    NulCharacter,
    /// `+` or `#` shares a level with other characters (e.g. `navilink-+`).
    #[error("topic filter level {level} mixes a wildcard with other characters")]
    PartialWildcard {
        /// 0-based index of the offending level.
        level: usize,
    },
    /// `#` is not the last level.
    #[error("'#' must be the last level of a topic filter (found at level {level})")]
    HashNotLast {
        /// 0-based index of the `#` level.
        level: usize,
    },
}

/// A validated MQTT topic filter: `+` matches exactly one level, `#` (last level
/// only) matches its parent level and everything below. Wildcards are whole levels.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicFilter(String);

impl TopicFilter {
    /// Validates `filter`.
    ///
    /// ```
    /// use nwp500::registry::TopicFilter;
    /// assert!(TopicFilter::new("cmd/52/navilink-aabbccddeeff/#").is_ok());
    /// assert!(TopicFilter::new("cmd/52/navilink-+/st").is_err());
    /// assert!(TopicFilter::new("cmd/#/st").is_err());
    /// ```
    pub fn new(filter: &str) -> Result<Self, FilterError> {
        if filter.is_empty() {
            return Err(FilterError::Empty);
        }
        if filter.len() > MAX_TOPIC_LEN {
            return Err(FilterError::TooLong { len: filter.len() });
        }
        if filter.contains('\0') {
            return Err(FilterError::NulCharacter);
        }
        let levels = filter.split('/').count();
        for (level, text) in filter.split('/').enumerate() {
            let whole_wildcard = text == "+" || text == "#";
            if !whole_wildcard && (text.contains('+') || text.contains('#')) {
                return Err(FilterError::PartialWildcard { level });
            }
            if text == "#" && level + 1 != levels {
                return Err(FilterError::HashNotLast { level });
            }
        }
        Ok(Self(filter.to_owned()))
    }

    /// The filter text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the filter contains `+` or `#`.
    pub fn has_wildcards(&self) -> bool {
        self.0.split('/').any(|l| l == "+" || l == "#")
    }

    /// Whether `topic` matches this filter. This is the straightforward
    /// level-by-level reference matcher; the registry uses an index that must agree
    /// with it. Invalid topic names (see [`is_valid_topic`]) match nothing, and
    /// topics starting with `$` are not matched by a leading wildcard (MQTT 4.7.2).
    pub fn matches(&self, topic: &str) -> bool {
        if !is_valid_topic(topic) {
            return false;
        }
        let dollar = topic.starts_with('$');
        let mut filter_levels = self.0.split('/');
        let mut topic_levels = topic.split('/');
        let mut first = true;
        loop {
            match (filter_levels.next(), topic_levels.next()) {
                (Some("#"), _) => return !(first && dollar),
                (Some("+"), Some(_)) if !(first && dollar) => {}
                (Some(f), Some(t)) if f == t => {}
                (None, None) => return true,
                _ => return false,
            }
            first = false;
        }
    }
}

impl fmt::Display for TopicFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for TopicFilter {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Whether `topic` is a valid MQTT topic *name* (what a PUBLISH carries): non-empty,
/// not too long, no wildcard and no NUL character.
pub fn is_valid_topic(topic: &str) -> bool {
    !topic.is_empty() && topic.len() <= MAX_TOPIC_LEN && !topic.contains(['+', '#', '\0'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        for ok in [
            "a",
            "#",
            "+",
            "a/+/b",
            "a/#",
            "+/+/#",
            "/",
            "a//b",
            "$aws/things/x",
        ] {
            assert!(TopicFilter::new(ok).is_ok(), "{ok}");
        }
        assert_eq!(TopicFilter::new(""), Err(FilterError::Empty));
        assert_eq!(
            TopicFilter::new("a/b+"),
            Err(FilterError::PartialWildcard { level: 1 })
        );
        assert_eq!(
            TopicFilter::new("navilink-#"),
            Err(FilterError::PartialWildcard { level: 0 })
        );
        assert_eq!(
            TopicFilter::new("a/#/b"),
            Err(FilterError::HashNotLast { level: 1 })
        );
        assert_eq!(TopicFilter::new("a\0"), Err(FilterError::NulCharacter));
        let long = "a".repeat(MAX_TOPIC_LEN + 1);
        assert_eq!(
            TopicFilter::new(&long),
            Err(FilterError::TooLong {
                len: MAX_TOPIC_LEN + 1
            })
        );
    }

    #[test]
    fn reference_matching() {
        let m = |f: &str, t: &str| TopicFilter::new(f).unwrap().matches(t);
        assert!(m(
            "cmd/52/navilink-aabbccddeeff/#",
            "cmd/52/navilink-aabbccddeeff/st"
        ));
        assert!(m(
            "cmd/52/navilink-aabbccddeeff/#",
            "cmd/52/navilink-aabbccddeeff"
        ));
        assert!(m(
            "cmd/52/+/res/#",
            "cmd/52/navien-client-0a1b2c3d/res/rsv/rd"
        ));
        assert!(!m("cmd/52/+/res", "cmd/52/a/b/res"));
        assert!(m("a/+", "a/"));
        assert!(!m("a/+", "a"));
        assert!(m("+/#", "a"));
        assert!(m("#", "a/b/c"));
        assert!(!m("#", "$SYS/x"));
        assert!(!m("+/x", "$SYS/x"));
        assert!(m("$SYS/#", "$SYS/x"));
        assert!(!m("a/b", "a/b/c"));
        assert!(!m("a/b/c", "a/b"));
        assert!(!m("a/+", "a/+"), "topic names with wildcards are invalid");
        assert!(!m("#", ""));
    }
}
