//! Funnel steps as the command line gives them (`page_view:/pricing`,
//! `signup`).

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
}
