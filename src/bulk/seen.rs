//! Which event ids an import may have seen already: a scalable, blocked
//! Bloom filter. "No" is certain, so those rows go the fast way; "maybe"
//! rows (the duplicates, plus one or two rows in a thousand by chance) go
//! through the exact path, where the database decides. Memory grows by
//! about 2 bytes per event, a tenth of what a set of ids would take.

use xxhash_rust::xxh3::xxh3_128;

const FIRST_CAPACITY: u64 = 1 << 20;
/// Bits per id and probes per id: about one false positive in ten thousand
/// per layer, with every probe of an id inside one 64-byte block, so a
/// lookup costs one cache miss instead of one per probe. (A false positive
/// costs a trip through the slow exact path, so they are worth avoiding.)
const BITS_PER_ID: u64 = 24;
const PROBES: u32 = 10;
const BLOCK_WORDS: usize = 8;

struct Layer {
    blocks: Vec<[u64; BLOCK_WORDS]>,
    capacity: u64,
    count: u64,
}

impl Layer {
    fn new(capacity: u64) -> Layer {
        let blocks = (capacity * BITS_PER_ID).div_ceil(512) as usize;
        Layer {
            blocks: vec![[0; BLOCK_WORDS]; blocks],
            capacity,
            count: 0,
        }
    }

    /// The block of `hash`, and the (word, bit) of each probe within it.
    fn probes(&self, hash: u128) -> (usize, impl Iterator<Item = (usize, u64)> + use<>) {
        let block = (u64::from(hash as u32) % self.blocks.len() as u64) as usize;
        let bits = hash >> 32;
        // Ten 9-bit slices of the upper 96 bits pick bits 0..512 of the block.
        let probes = (0..PROBES).map(move |i| {
            let bit = (bits >> (i * 9)) as usize & 511;
            (bit / 64, 1u64 << (bit % 64))
        });
        (block, probes)
    }

    fn contains(&self, hash: u128) -> bool {
        let (block, mut probes) = self.probes(hash);
        let words = &self.blocks[block];
        probes.all(|(word, mask)| words[word] & mask != 0)
    }

    fn insert(&mut self, hash: u128) {
        let (block, probes) = self.probes(hash);
        let words = &mut self.blocks[block];
        for (word, mask) in probes {
            words[word] |= mask;
        }
        self.count += 1;
    }
}

#[derive(Default)]
pub struct SeenIds {
    layers: Vec<Layer>,
}

impl SeenIds {
    /// Records `id`; returns whether it may have been recorded before.
    pub fn check_and_insert(&mut self, id: &[u8]) -> bool {
        let hash = xxh3_128(id);
        if self.layers.iter().any(|layer| layer.contains(hash)) {
            return true;
        }
        let full = self
            .layers
            .last()
            .is_none_or(|layer| layer.count >= layer.capacity);
        if full {
            let capacity = self
                .layers
                .last()
                .map_or(FIRST_CAPACITY, |layer| layer.capacity * 2);
            self.layers.push(Layer::new(capacity));
        }
        // A layer was pushed just above if there was none.
        self.layers.last_mut().expect("a layer").insert(hash);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_always_caught_and_new_ids_rarely_flagged() {
        let mut seen = SeenIds::default();
        let ids: Vec<String> = (0..3_000_000).map(|i| format!("e{i:09}")).collect();
        let false_positives = ids
            .iter()
            .filter(|id| seen.check_and_insert(id.as_bytes()))
            .count();
        assert!(
            false_positives < 3_000_000 / 2000,
            "{false_positives} false positives"
        );
        assert!(
            ids.iter()
                .step_by(997)
                .all(|id| seen.check_and_insert(id.as_bytes()))
        );
    }
}
