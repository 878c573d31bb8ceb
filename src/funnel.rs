//! Funnel steps as the command line gives them (`page_view:/pricing`,
//! `signup`), and the SQL that counts an ad-hoc funnel with the saved
//! funnels' view, its steps given as values instead of the table.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub event_type: String,
    /// A GLOB pattern the event's page must match; `None`: any page.
    pub page_pattern: Option<String>,
}

impl std::str::FromStr for Step {
    type Err = String;

    /// `TYPE` or `TYPE:PAGE` (the page a GLOB pattern: `page_view:/blog/*`).
    fn from_str(text: &str) -> Result<Step, String> {
        let (event_type, page) = match text.split_once(':') {
            Some((event_type, page)) => (event_type, Some(page)),
            None => (text, None),
        };
        if event_type.trim().is_empty() {
            return Err(format!(
                "{text:?}: a step is EVENT_TYPE or EVENT_TYPE:PAGE, e.g. page_view:/pricing"
            ));
        }
        if page.is_some_and(str::is_empty) {
            return Err(format!(
                "{text:?}: the page after ':' is empty (leave out ':' for any page)"
            ));
        }
        Ok(Step {
            event_type: event_type.trim().to_string(),
            page_pattern: page.map(str::to_string),
        })
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.page_pattern {
            Some(page) => write!(f, "{}:{page}", self.event_type),
            None => f.write_str(&self.event_type),
        }
    }
}

/// The `funnels` view's query over `steps` (values bound from `?3` on)
/// rather than the saved ones (`view_body` is the view's query); with
/// `days`, sessions are those starting between `?1` and `?2`.
pub fn ad_hoc_sql(view_body: &str, steps: usize, days: bool) -> String {
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
    if days {
        ctes.push(
            "session_records AS (SELECT * FROM main.session_records WHERE day BETWEEN ?1 AND ?2)"
                .to_string(),
        );
    }
    format!(
        "SELECT step, event_type, page_pattern, sessions, from_previous_rate, from_first_rate FROM ({})",
        crate::store::views::with_ctes(&ctes.join(", "), view_body)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_parse_with_or_without_a_page() {
        let step: Step = "page_view:/pricing".parse().expect("valid");
        assert_eq!(step.event_type, "page_view");
        assert_eq!(step.page_pattern.as_deref(), Some("/pricing"));
        assert_eq!(step.to_string(), "page_view:/pricing");
        let step: Step = "signup".parse().expect("valid");
        assert_eq!(step.page_pattern, None);
        assert!("".parse::<Step>().is_err());
        assert!(":/x".parse::<Step>().is_err());
        assert!("page_view:".parse::<Step>().is_err());
    }

    #[test]
    fn the_ad_hoc_query_shadows_the_saved_steps() {
        let sql = ad_hoc_sql("WITH RECURSIVE reached AS (SELECT 1) SELECT 2", 2, false);
        assert_eq!(
            sql,
            "SELECT step, event_type, page_pattern, sessions, from_previous_rate, from_first_rate FROM (WITH RECURSIVE funnel_steps (funnel, step, event_type, page_pattern) AS (VALUES ('', ?3, ?4, ?5), ('', ?6, ?7, ?8)), reached AS (SELECT 1) SELECT 2)"
        );
    }
}
