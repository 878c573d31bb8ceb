//! Saved funnels (`funnel_steps`): storing, listing and deleting them. The
//! view `funnels` computes them; `sessiondb funnel` runs ad-hoc ones with
//! the same SQL.

use super::Store;
use crate::funnel::Step;
use anyhow::{Result, bail};

impl Store {
    /// Saves (or replaces) a funnel, in one transaction.
    pub fn save_funnel(&mut self, name: &str, steps: &[Step]) -> Result<()> {
        if name.trim().is_empty() {
            bail!("a funnel needs a name");
        }
        let tx = self.write()?;
        tx.execute("DELETE FROM funnel_steps WHERE funnel = ?1", [name])?;
        for (index, step) in steps.iter().enumerate() {
            tx.execute(
                "INSERT INTO funnel_steps (funnel, step, event_type, page_pattern) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![name, index as i64 + 1, step.event_type, step.page_pattern],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Deletes a saved funnel; false when there was none of that name.
    pub fn delete_funnel(&mut self, name: &str) -> Result<bool> {
        let tx = self.write()?;
        let deleted = tx.execute("DELETE FROM funnel_steps WHERE funnel = ?1", [name])?;
        tx.commit()?;
        Ok(deleted > 0)
    }

    /// Every saved funnel, by name, with its steps.
    pub fn saved_funnels(&self) -> Result<Vec<(String, Vec<Step>)>> {
        let mut select = self.conn.prepare(
            "SELECT funnel, event_type, page_pattern FROM funnel_steps ORDER BY funnel, step",
        )?;
        let rows = select.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Step {
                    event_type: r.get(1)?,
                    page_pattern: r.get(2)?,
                },
            ))
        })?;
        let mut funnels: Vec<(String, Vec<Step>)> = Vec::new();
        for row in rows {
            let (name, step) = row?;
            match funnels.last_mut() {
                Some((last, steps)) if *last == name => steps.push(step),
                _ => funnels.push((name, vec![step])),
            }
        }
        Ok(funnels)
    }
}
