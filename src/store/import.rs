//! One import: a single write transaction that stores events (skipping
//! duplicates by `event_id`), records rejected rows and per-file counts, and
//! finally re-sessionizes the users it touched.
//!
//! Dropping an [`Importer`] without [`Importer::commit`] rolls everything
//! back, so a failed or aborted import leaves the file as it was.

use super::Store;
use super::sessions::{self, SessionChanges};
use crate::event::{Event, RejectReason};
use crate::rules::SessionRules;
use crate::timestamp::format_utc_ms;
use anyhow::{Context, Result, bail};
use rusqlite::{Transaction, params};
use std::collections::{HashMap, HashSet};

/// Rejected rows keep at most this much of their raw text.
const MAX_RAW_BYTES: usize = 4096;

/// What happened to the rows of one file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileCounts {
    pub read: u64,
    pub imported: u64,
    pub duplicates: u64,
    pub rejected: u64,
}

pub struct Importer<'a> {
    tx: Transaction<'a>,
    rules: SessionRules,
    conversion_types: HashSet<String>,
    /// For each user with new events: the earliest and latest new timestamp.
    touched: HashMap<String, (i64, i64)>,
}

impl<'a> Importer<'a> {
    /// Starts the import transaction. The database's stored rules are used;
    /// `requested` rules that differ from them are refused, since mixing
    /// rules would make sessions depend on import history.
    pub fn begin(store: &'a mut Store, requested: Option<SessionRules>) -> Result<Importer<'a>> {
        let path = store.path.display().to_string();
        let tx = store.write()?;
        let rules = match sessions::stored_rules(&tx)? {
            Some(stored) => {
                if let Some(requested) = requested.filter(|r| *r != stored) {
                    bail!(
                        "{path} was built with {stored}; to rebuild its sessions with {requested}, run `sessiondb resessionize {requested}`"
                    );
                }
                stored
            }
            None => {
                let rules = requested.unwrap_or_default();
                sessions::store_rules(&tx, &rules)?;
                rules
            }
        };
        let conversion_types = super::conversions::conversion_types(&tx)?;
        Ok(Importer {
            tx,
            rules,
            conversion_types,
            touched: HashMap::new(),
        })
    }

    pub fn rules(&self) -> SessionRules {
        self.rules
    }

    /// Records the start of one file; returns its `import_id`.
    pub fn start_file(&mut self, name: &str, format: &str) -> Result<i64> {
        let now = format_utc_ms(chrono::Utc::now().timestamp_millis());
        self.tx.execute(
            "INSERT INTO imports (file, format, started_at, rules) VALUES (?1, ?2, ?3, ?4)",
            params![name, format, now, self.rules.to_json()],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Stores an event unless its `event_id` is already stored; returns
    /// whether it was stored.
    pub fn insert_event(&mut self, import_id: i64, event: &Event) -> Result<bool> {
        let mut insert = self.tx.prepare_cached(
            "INSERT INTO events (event_id, user_id, ts_ms, event_type, page, referrer, utm_source,
                 utm_medium, utm_campaign, device, country, revenue, properties, import_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
             ON CONFLICT (event_id) DO NOTHING",
        )?;
        let inserted = insert.execute(params![
            event.event_id,
            event.user_id,
            event.ts_ms,
            event.event_type,
            event.page,
            event.referrer,
            event.utm_source,
            event.utm_medium,
            event.utm_campaign,
            event.device,
            event.country,
            event.revenue,
            event.properties,
            import_id,
        ])? == 1;
        if inserted {
            match self.touched.get_mut(&event.user_id) {
                Some((first, last)) => {
                    *first = (*first).min(event.ts_ms);
                    *last = (*last).max(event.ts_ms);
                }
                None => {
                    self.touched
                        .insert(event.user_id.clone(), (event.ts_ms, event.ts_ms));
                }
            }
        }
        Ok(inserted)
    }

    pub fn insert_rejected(
        &mut self,
        import_id: i64,
        file: &str,
        line: u64,
        reason: &RejectReason,
        raw: &[u8],
    ) -> Result<()> {
        let mut insert = self.tx.prepare_cached(
            "INSERT INTO rejected_rows (import_id, file, line, reason, message, raw) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        insert.execute(params![
            import_id,
            file,
            line as i64,
            reason.code(),
            reason.to_string(),
            truncated_text(raw)
        ])?;
        Ok(())
    }

    /// Records what happened to the file's rows, and its size and SHA-256.
    pub fn finish_file(
        &mut self,
        import_id: i64,
        counts: &FileCounts,
        size_bytes: u64,
        sha256: &str,
    ) -> Result<()> {
        debug_assert_eq!(
            counts.read,
            counts.imported + counts.duplicates + counts.rejected
        );
        self.tx.execute(
            "UPDATE imports SET rows_read = ?2, imported = ?3, duplicates = ?4, rejected = ?5,
                 size_bytes = ?6, sha256 = ?7
             WHERE import_id = ?1",
            params![
                import_id,
                counts.read as i64,
                counts.imported as i64,
                counts.duplicates as i64,
                counts.rejected as i64,
                size_bytes as i64,
                sha256
            ],
        )?;
        Ok(())
    }

    /// Re-sessionizes every user this import gave new events; returns early
    /// (with partial changes, to be rolled back) once `should_stop` is true.
    pub fn assign_sessions(&mut self, should_stop: &dyn Fn() -> bool) -> Result<SessionChanges> {
        let mut users: Vec<(String, (i64, i64))> = self.touched.drain().collect();
        // A fixed order keeps the file's page layout reproducible.
        users.sort_unstable();
        sessions::resessionize_users(
            &self.tx,
            users,
            &self.rules,
            &self.conversion_types,
            should_stop,
        )
    }

    pub fn commit(self) -> Result<()> {
        self.tx.commit().context("cannot commit the import")
    }
}

fn truncated_text(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    if text.len() <= MAX_RAW_BYTES {
        return text.into_owned();
    }
    let mut end = MAX_RAW_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_text_is_lossy_and_truncated_on_a_char_boundary() {
        assert_eq!(truncated_text(b"a\xffb"), "a\u{fffd}b");
        let long = "é".repeat(MAX_RAW_BYTES);
        let cut = truncated_text(long.as_bytes());
        assert!(cut.len() <= MAX_RAW_BYTES + "…".len());
        assert!(cut.ends_with('…'));
    }
}
