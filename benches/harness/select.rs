//! Which cases `--only` selects.

/// Whether `--only <only>` selects the case `id`: equal, or a prefix ending at a `/`
/// (so `embedded/1` does not select `embedded/100`).
pub fn selects(only: &str, id: &str) -> bool {
    let only = only.trim_end_matches('/');
    id.strip_prefix(only)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}
