//! A level trie over the wildcard filters, so matching a topic costs one walk over
//! its levels instead of one comparison per registered filter.

use std::collections::HashMap;

/// One level of the trie. Filters are identified by their registry sequence number.
#[derive(Debug, Default)]
struct Node {
    /// Literal next levels.
    children: HashMap<String, Node>,
    /// The `+` next level.
    plus: Option<Box<Node>>,
    /// A filter ending in `#` at this point.
    hash: Option<u64>,
    /// A filter ending exactly here.
    end: Option<u64>,
}

impl Node {
    fn is_empty(&self) -> bool {
        self.children.is_empty() && self.plus.is_none() && self.hash.is_none() && self.end.is_none()
    }

    fn insert<'a>(&mut self, mut levels: impl Iterator<Item = &'a str>, seq: u64) {
        match levels.next() {
            None => self.end = Some(seq),
            Some("#") => self.hash = Some(seq),
            Some("+") => self
                .plus
                .get_or_insert_with(Box::default)
                .insert(levels, seq),
            Some(level) => self
                .children
                .entry(level.to_owned())
                .or_default()
                .insert(levels, seq),
        }
    }

    /// Removes the filter spelled by `levels`; prunes nodes left empty.
    fn remove<'a>(&mut self, mut levels: impl Iterator<Item = &'a str>) {
        match levels.next() {
            None => self.end = None,
            Some("#") => self.hash = None,
            Some("+") => {
                if let Some(plus) = self.plus.as_mut() {
                    plus.remove(levels);
                    if plus.is_empty() {
                        self.plus = None;
                    }
                }
            }
            Some(level) => {
                if let Some(child) = self.children.get_mut(level) {
                    child.remove(levels);
                    if child.is_empty() {
                        self.children.remove(level);
                    }
                }
            }
        }
    }

    /// Pushes every filter matching `levels[i..]`. `dollar` is set for topics
    /// starting with `$`, which wildcards in the first level must not match.
    fn collect(&self, levels: &[&str], i: usize, dollar: bool, out: &mut Vec<u64>) {
        let wildcards_allowed = !(i == 0 && dollar);
        if wildcards_allowed {
            // `#` also matches its parent level, so it applies before the end check.
            out.extend(self.hash);
        }
        let Some(level) = levels.get(i) else {
            out.extend(self.end);
            return;
        };
        if let Some(child) = self.children.get(*level) {
            child.collect(levels, i + 1, dollar, out);
        }
        if wildcards_allowed {
            if let Some(plus) = &self.plus {
                plus.collect(levels, i + 1, dollar, out);
            }
        }
    }
}

/// The wildcard-filter index.
#[derive(Debug, Default)]
pub(crate) struct WildcardIndex {
    root: Node,
}

impl WildcardIndex {
    pub(crate) fn insert(&mut self, filter: &str, seq: u64) {
        self.root.insert(filter.split('/'), seq);
    }

    pub(crate) fn remove(&mut self, filter: &str) {
        self.root.remove(filter.split('/'));
    }

    /// Appends the sequence numbers of the filters matching `topic` (a valid topic
    /// name) to `out`, in no particular order.
    pub(crate) fn collect(&self, topic: &str, out: &mut Vec<u64>) {
        let levels: Vec<&str> = topic.split('/').collect();
        self.root.collect(&levels, 0, topic.starts_with('$'), out);
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.root.is_empty()
    }
}
