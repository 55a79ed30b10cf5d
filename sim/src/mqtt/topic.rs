//! Topic names, topic filters and MQTT 3.1.1 wildcard matching.

/// Whether `filter` is a valid subscription filter: `+` and `#` only as whole levels, `#` last.
///
/// AWS IoT applies the same rule, so a filter such as `cmd/52/navilink-+/#` is refused.
pub(crate) fn is_valid_filter(filter: &str) -> bool {
    if filter.is_empty() || filter.contains('\0') {
        return false;
    }
    let levels: Vec<&str> = filter.split('/').collect();
    let last = levels.len() - 1;
    levels.iter().enumerate().all(|(i, level)| match *level {
        "#" => i == last,
        "+" => true,
        other => !other.contains('+') && !other.contains('#'),
    })
}

/// Whether `topic` is a valid topic name to publish on (no wildcards, not empty).
pub(crate) fn is_valid_topic(topic: &str) -> bool {
    !topic.is_empty() && !topic.contains(['+', '#', '\0'])
}

/// Whether `topic` matches `filter` (`+` = exactly one level, `#` = this level and all below).
pub(crate) fn matches(filter: &str, topic: &str) -> bool {
    // Topics starting with `$` are not matched by a leading wildcard (MQTT 3.1.1 §4.7.2).
    if topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
        return false;
    }
    let mut f = filter.split('/');
    let mut t = topic.split('/');
    loop {
        match (f.next(), t.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(fl), Some(tl)) if fl == tl => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_whole_levels() {
        let wildcard = "cmd/52/navilink-aabbccddeeff/#";
        assert!(matches(wildcard, "cmd/52/navilink-aabbccddeeff/st"));
        assert!(matches(
            wildcard,
            "cmd/52/navilink-aabbccddeeff/ctrl/rsv/rd"
        ));
        assert!(matches(wildcard, "cmd/52/navilink-aabbccddeeff"));
        assert!(!matches(wildcard, "cmd/52/navilink-aabbccddee00/st"));
        assert!(matches("cmd/+/x", "cmd/52/x"));
        assert!(!matches("cmd/+/x", "cmd/52/y/x"));
        assert!(!matches("cmd/+", "cmd"));
        assert!(matches("a/b", "a/b"));
        assert!(!matches("a/b", "a/b/c"));
        assert!(matches("#", "anything/at/all"));
        assert!(!matches("#", "$SYS/x"));
    }

    #[test]
    fn filters_are_validated_like_aws() {
        assert!(is_valid_filter("cmd/52/navilink-aabbccddeeff/#"));
        assert!(is_valid_filter("cmd/+/x/+"));
        assert!(!is_valid_filter("cmd/52/navilink-+/#"));
        assert!(!is_valid_filter("cmd/#/x"));
        assert!(!is_valid_filter(""));
        assert!(is_valid_topic("cmd/52/x/st"));
        assert!(!is_valid_topic("cmd/+/x"));
    }
}
