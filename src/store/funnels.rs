//! Saved funnels (`funnel_steps`): storing, listing and deleting them. The
//! view `funnels` computes them; `sessiondb funnel` runs ad-hoc ones with
//! the same SQL.

use super::Store;
use crate::funnel::Step;
use crate::rows::{RowSink, Value};
use crate::session_filter::SessionFilter;
use anyhow::{Result, bail};

impl Store {
    /// Counts an ad-hoc funnel with the `funnels` view's SQL, its steps
    /// given as values; `days`: sessions starting in that range.
    pub fn run_funnel(
        &self,
        steps: &[Step],
        days: Option<&(String, String)>,
        filter: &SessionFilter,
        sink: &mut dyn RowSink,
    ) -> Result<u64> {
        let view = super::views::find("funnels").expect("registered");
        let sql = ad_hoc_sql(view.body(), steps.len(), days.is_some(), filter);
        let (from, to) = days.cloned().unwrap_or_default();
        let mut params = vec![Value::Text(from), Value::Text(to)];
        for (index, step) in steps.iter().enumerate() {
            params.push(Value::Integer(index as i64 + 1));
            params.push(Value::Text(step.event_type.clone()));
            params.push(step.page_pattern.clone().map_or(Value::Null, Value::Text));
        }
        self.run_query(&sql, &params, sink)
    }

    /// Prints a saved funnel's rows of the `funnels` view.
    pub fn run_saved_funnel(
        &self,
        name: &str,
        days: Option<&(String, String)>,
        filter: &SessionFilter,
        sink: &mut dyn RowSink,
    ) -> Result<u64> {
        let view = super::views::find("funnels").expect("registered");
        let sessions = chosen_sessions(true, filter).expect("a day range is always given");
        let sql = format!(
            "SELECT step, event_type, page_pattern, sessions, from_previous_rate, from_first_rate
             FROM ({}) WHERE funnel = ?3",
            super::views::with_ctes(&sessions, view.body())
        );
        let (from, to) = days
            .cloned()
            .unwrap_or_else(|| ("0000-01-01".into(), "9999-12-31".into()));
        self.run_query(
            &sql,
            &[
                Value::Text(from),
                Value::Text(to),
                Value::Text(name.to_string()),
            ],
            sink,
        )
    }

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

/// The `funnels` view's query over `steps` (values bound from `?3` on)
/// rather than the saved ones (`view_body` is the view's query); with
/// `days`, sessions are those starting between `?1` and `?2`.
fn ad_hoc_sql(view_body: &str, steps: usize, days: bool, filter: &SessionFilter) -> String {
    let values: Vec<String> = (0..steps)
        .map(|i| {
            let first = 3 + 3 * i;
            format!("('', ?{first}, ?{}, ?{})", first + 1, first + 2)
        })
        .collect();
    let mut ctes = vec![format!(
        "funnel_steps (funnel, step, event_type, page_pattern) AS (VALUES {})",
        values.join(", ")
    )];
    if let Some(sessions) = chosen_sessions(days, filter) {
        ctes.push(sessions);
    }
    format!(
        "SELECT step, event_type, page_pattern, sessions, from_previous_rate, from_first_rate FROM ({})",
        super::views::with_ctes(&ctes.join(", "), view_body)
    )
}

/// The sessions a funnel counts, shadowing `session_records`: those of
/// the day range `?1`..`?2` when `days`, and those `filter` keeps.
fn chosen_sessions(days: bool, filter: &SessionFilter) -> Option<String> {
    let mut conditions = Vec::new();
    if days {
        conditions.push("day BETWEEN ?1 AND ?2".to_string());
    }
    if !filter.is_empty() {
        conditions.push(filter.to_sql());
    }
    (!conditions.is_empty()).then(|| {
        format!(
            "session_records AS (SELECT * FROM main.session_records WHERE {})",
            conditions.join(" AND ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ad_hoc_query_shadows_the_saved_steps() {
        let sql = ad_hoc_sql(
            "WITH RECURSIVE reached AS (SELECT 1) SELECT 2",
            2,
            false,
            &SessionFilter::default(),
        );
        assert_eq!(
            sql,
            "SELECT step, event_type, page_pattern, sessions, from_previous_rate, from_first_rate FROM (WITH RECURSIVE funnel_steps (funnel, step, event_type, page_pattern) AS (VALUES ('', ?3, ?4, ?5), ('', ?6, ?7, ?8)), reached AS (SELECT 1) SELECT 2)"
        );
    }
}
