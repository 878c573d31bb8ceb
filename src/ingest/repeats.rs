//! Numbering of identical rows, so that each is its own event: the first
//! copy is 0, the next 1, and so on. Re-reading the same file numbers them
//! the same way, so a re-import still finds them as duplicates. Rows are
//! remembered for ten minutes of event time, which bounds memory and covers
//! logs that are out of order within a few minutes.

use std::collections::{HashMap, VecDeque};

const WINDOW_MS: i64 = 10 * 60 * 1000;

#[derive(Default)]
pub struct Repeats {
    counts: HashMap<u128, u32>,
    recent: VecDeque<(i64, u128)>,
}

impl Repeats {
    /// How many rows with this hash came before, within the window.
    pub fn occurrence(&mut self, hash: u128, ts_ms: i64) -> u32 {
        while let Some(&(old_ts, old_hash)) = self.recent.front() {
            if ts_ms - old_ts <= WINDOW_MS {
                break;
            }
            self.recent.pop_front();
            if let Some(count) = self.counts.get_mut(&old_hash) {
                *count -= 1;
                if *count == 0 {
                    self.counts.remove(&old_hash);
                }
            }
        }
        let count = self.counts.entry(hash).or_insert(0);
        *count += 1;
        self.recent.push_back((ts_ms, hash));
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
    fn copies_are_numbered_and_forgotten_after_the_window() {
        let mut repeats = Repeats::default();
        assert_eq!(repeats.numbered("a".into(), 0), "a");
        assert_eq!(repeats.numbered("a".into(), 1000), "a#1");
        assert_eq!(repeats.numbered("b".into(), 1000), "b");
        assert_eq!(repeats.numbered("a".into(), 2 * WINDOW_MS), "a");
    }
}
