//! Sorted runs of records and their k-way merge: an external sort whose
//! memory is one run buffer, however large the import.
//!
//! A full buffer is sorted and written to an unlinked temporary file (it
//! vanishes with the process, even on SIGKILL); the last one stays in
//! memory. Merging reads every run sequentially.

use super::record::{self, Key};
use std::cmp::Ordering;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

const READ_BUFFER: usize = 1 << 20;

/// The order of the records in `bytes`: their offsets, sorted by key.
pub fn sort_records(bytes: &[u8]) -> Vec<u32> {
    let mut entries: Vec<(u64, u32)> = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        entries.push((record::user_prefix(&bytes[at..]), at as u32));
        at += record::record_len(&bytes[at..]);
    }
    entries.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0).then_with(|| {
            record::key(&bytes[a.1 as usize..]).cmp(&record::key(&bytes[b.1 as usize..]))
        })
    });
    entries.into_iter().map(|(_, offset)| offset).collect()
}

/// One sorted run.
pub enum Run {
    File(File),
    Memory { bytes: Vec<u8>, order: Vec<u32> },
}

impl Run {
    /// Writes the records of `bytes` in `order` to a temporary file in `dir`.
    pub fn spill(bytes: &[u8], order: &[u32], dir: &Path) -> io::Result<Run> {
        let file = tempfile::tempfile_in(dir)?;
        let mut writer = BufWriter::with_capacity(READ_BUFFER, file);
        for &offset in order {
            let at = offset as usize;
            writer.write_all(&bytes[at..at + record::record_len(&bytes[at..])])?;
        }
        let mut file = writer.into_inner().map_err(|e| e.into_error())?;
        io::Seek::rewind(&mut file)?;
        Ok(Run::File(file))
    }
}

/// A run being read: its current record.
enum Source {
    File {
        reader: BufReader<File>,
        current: Vec<u8>,
    },
    Memory {
        bytes: Vec<u8>,
        order: Vec<u32>,
        position: usize,
    },
}

impl Source {
    /// The current record, exactly (no bytes after it).
    fn current(&self) -> &[u8] {
        match self {
            Source::File { current, .. } => current,
            Source::Memory {
                bytes,
                order,
                position,
            } => {
                let at = order[*position] as usize;
                &bytes[at..at + record::record_len(&bytes[at..])]
            }
        }
    }

    /// Moves to the next record; false at the end of the run.
    fn advance(&mut self) -> io::Result<bool> {
        match self {
            Source::File { reader, current } => read_record(reader, current),
            Source::Memory {
                order, position, ..
            } => {
                *position += 1;
                Ok(*position < order.len())
            }
        }
    }

    fn key(&self) -> Key<'_> {
        record::key(self.current())
    }
}

/// Reads the next record of a stream of records into `bytes`; false at the
/// end of the stream.
pub fn read_record(reader: &mut impl Read, bytes: &mut Vec<u8>) -> io::Result<bool> {
    let mut length = [0u8; 4];
    match reader.read_exact(&mut length) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => return Ok(false),
        Err(error) => return Err(error),
    }
    bytes.clear();
    bytes.extend_from_slice(&length);
    bytes.resize(4 + u32::from_le_bytes(length) as usize, 0);
    reader.read_exact(&mut bytes[4..])?;
    Ok(true)
}

/// Merges runs into one stream in key order.
pub struct Merger {
    sources: Vec<Source>,
    /// A binary min-heap of source indexes, ordered by their current keys.
    heap: Vec<usize>,
    /// The source whose record was handed out last, to advance next time.
    taken: Option<usize>,
}

impl Merger {
    pub fn new(runs: Vec<Run>) -> io::Result<Merger> {
        let mut sources = Vec::new();
        for run in runs {
            let mut source = match run {
                Run::File(file) => Source::File {
                    reader: BufReader::with_capacity(READ_BUFFER, file),
                    current: Vec::new(),
                },
                Run::Memory { bytes, order } => {
                    if order.is_empty() {
                        continue;
                    }
                    sources.push(Source::Memory {
                        bytes,
                        order,
                        position: 0,
                    });
                    continue;
                }
            };
            if source.advance()? {
                sources.push(source);
            }
        }
        let mut merger = Merger {
            heap: (0..sources.len()).collect(),
            sources,
            taken: None,
        };
        for index in (0..merger.heap.len() / 2).rev() {
            merger.sift_down(index);
        }
        Ok(merger)
    }

    /// The next record in key order; valid until the next call.
    pub fn next_record(&mut self) -> io::Result<Option<&[u8]>> {
        if let Some(source) = self.taken.take() {
            if self.sources[source].advance()? {
                self.sift_down(0);
            } else {
                let last = self.heap.len() - 1;
                self.heap.swap(0, last);
                self.heap.pop();
                self.sift_down(0);
            }
        }
        let Some(&top) = self.heap.first() else {
            return Ok(None);
        };
        self.taken = Some(top);
        Ok(Some(self.sources[top].current()))
    }

    fn less(&self, a: usize, b: usize) -> bool {
        self.sources[a].key().cmp(&self.sources[b].key()) == Ordering::Less
    }

    fn sift_down(&mut self, mut index: usize) {
        loop {
            let (left, right) = (2 * index + 1, 2 * index + 2);
            let mut smallest = index;
            if left < self.heap.len() && self.less(self.heap[left], self.heap[smallest]) {
                smallest = left;
            }
            if right < self.heap.len() && self.less(self.heap[right], self.heap[smallest]) {
                smallest = right;
            }
            if smallest == index {
                return;
            }
            self.heap.swap(index, smallest);
            index = smallest;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use proptest::prelude::*;

    fn encode_all(events: &[(u8, i64, u8)], first_seq: u64) -> Vec<u8> {
        let mut bytes = Vec::new();
        for (i, (user, ts, id)) in events.iter().enumerate() {
            let event = Event {
                user_id: format!("user{user}"),
                ts_ms: *ts,
                event_id: format!("id{id}"),
                event_type: "x".into(),
                ..Event::default()
            };
            record::encode(&event, first_seq + i as u64, 0, &mut bytes);
        }
        bytes
    }

    proptest! {
        #[test]
        fn merging_runs_gives_every_record_in_key_order(
            chunks in prop::collection::vec(prop::collection::vec((0u8..4, -3i64..3, 0u8..5), 0..40), 1..6),
            in_memory_last in any::<bool>(),
        ) {
            let dir = tempfile::tempdir().expect("temp dir");
            let mut runs = Vec::new();
            let mut expected: Vec<(Vec<u8>, i64, Vec<u8>, u64)> = Vec::new();
            let mut seq = 0;
            for (n, chunk) in chunks.iter().enumerate() {
                let bytes = encode_all(chunk, seq);
                seq += chunk.len() as u64;
                let order = sort_records(&bytes);
                for &offset in &order {
                    let k = record::key(&bytes[offset as usize..]);
                    expected.push((k.user.to_vec(), k.ts_ms, k.event_id.to_vec(), k.seq));
                }
                if in_memory_last && n == chunks.len() - 1 {
                    runs.push(Run::Memory { bytes, order });
                } else {
                    runs.push(Run::spill(&bytes, &order, dir.path()).expect("spill"));
                }
            }
            expected.sort();
            let mut merger = Merger::new(runs).expect("merge");
            let mut got = Vec::new();
            while let Some(bytes) = merger.next_record().expect("read") {
                prop_assert_eq!(bytes.len(), record::record_len(bytes), "exactly one record");
                let k = record::key(bytes);
                got.push((k.user.to_vec(), k.ts_ms, k.event_id.to_vec(), k.seq));
            }
            prop_assert_eq!(got, expected);
        }
    }
}
