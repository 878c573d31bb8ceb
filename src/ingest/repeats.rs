//! Numbering of identical rows, so that each is its own event: the first
//! copy is 0, the next 1, and so on. Re-reading the same file numbers them
//! the same way, so a re-import still finds them as duplicates.
//!
//! Identical rows carry the same timestamp, so counts are kept per
//! timestamp, and forgotten once the newest time seen is an hour past it:
//! memory stays an hour of rows, and copies up to an hour apart in a file
//! that is out of order are still told apart.

use std::collections::{BTreeMap, HashMap};

const WINDOW_MS: i64 = 60 * 60 * 1000;

pub struct Repeats {
    by_time: BTreeMap<i64, HashMap<u128, u32>>,
    newest: i64,
}

impl Default for Repeats {
    fn default() -> Self {
        // Not zero: events before 1970 must also be forgotten.
        Repeats {
            by_time: BTreeMap::new(),
            newest: i64::MIN,
        }
    }
}

impl Repeats {
    /// How many rows with this hash and time came before.
    pub fn occurrence(&mut self, hash: u128, ts_ms: i64) -> u32 {
        if ts_ms > self.newest {
            self.newest = ts_ms;
            let keep = self
                .by_time
                .split_off(&self.newest.saturating_sub(WINDOW_MS));
            self.by_time = keep;
        }
        let count = self
            .by_time
            .entry(ts_ms)
            .or_default()
            .entry(hash)
            .or_insert(0);
        *count += 1;
        *count - 1
    }

    /// `id` for the first copy, `id` and `#N` for the later ones.
    pub fn numbered(&mut self, id: String, ts_ms: i64) -> String {
        let hash = xxhash_rust::xxh3::xxh3_128(id.as_bytes());
        match self.occurrence(hash, ts_ms) {
            0 => id,
            n => format!("{id}#{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_numbered_and_forgotten_an_hour_later() {
        let mut repeats = Repeats::default();
        assert_eq!(repeats.numbered("a".into(), 0), "a");
        assert_eq!(repeats.numbered("b".into(), 1000), "b");
        // A row far ahead in time does not make the next copy of "a" new.
        assert_eq!(repeats.numbered("c".into(), WINDOW_MS - 1), "c");
        assert_eq!(repeats.numbered("a".into(), 0), "a#1");
        assert_eq!(repeats.numbered("d".into(), 2 * WINDOW_MS), "d");
        assert_eq!(repeats.numbered("a".into(), 0), "a");
    }

    #[test]
    fn times_before_1970_are_forgotten_too() {
        let mut repeats = Repeats::default();
        let old = -10 * WINDOW_MS;
        assert_eq!(repeats.numbered("a".into(), old), "a");
        assert_eq!(repeats.numbered("b".into(), old + 2 * WINDOW_MS), "b");
        assert_eq!(
            repeats.by_time.len(),
            1,
            "the bucket two hours old is dropped"
        );
    }
}
