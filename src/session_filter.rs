//! `--filter FIELD=VALUE`: which sessions a report describes. A filter is
//! a condition on a session's fields; the reports are then computed from
//! the matching sessions only (README, "Filters").

use crate::quote::sql_literal;
use std::fmt;

/// A field of a session that a filter can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterField {
    Channel,
    ReferrerDomain,
    UtmSource,
    UtmMedium,
    UtmCampaign,
    LandingPage,
    Device,
    Country,
    Converted,
    Bounced,
}

impl FilterField {
    pub const ALL: [FilterField; 10] = [
        FilterField::Channel,
        FilterField::ReferrerDomain,
        FilterField::UtmSource,
        FilterField::UtmMedium,
        FilterField::UtmCampaign,
        FilterField::LandingPage,
        FilterField::Device,
        FilterField::Country,
        FilterField::Converted,
        FilterField::Bounced,
    ];

    /// Its name on the command line, which is also its column in
    /// `session_records` (but for `channel`).
    pub fn name(self) -> &'static str {
        match self {
            FilterField::Channel => "channel",
            FilterField::ReferrerDomain => "referrer_domain",
            FilterField::UtmSource => "utm_source",
            FilterField::UtmMedium => "utm_medium",
            FilterField::UtmCampaign => "utm_campaign",
            FilterField::LandingPage => "landing_page",
            FilterField::Device => "device",
            FilterField::Country => "country",
            FilterField::Converted => "converted",
            FilterField::Bounced => "bounced",
        }
    }

    fn is_flag(self) -> bool {
        matches!(self, FilterField::Converted | FilterField::Bounced)
    }
}

/// One `FIELD=VALUE` as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub field: FilterField,
    /// The value; `None` for a field the session does not have (`FIELD=`).
    pub value: Option<String>,
}

impl std::str::FromStr for Condition {
    type Err = String;

    fn from_str(text: &str) -> Result<Condition, String> {
        let Some((name, value)) = text.split_once('=') else {
            return Err(format!(
                "{text:?}: a filter is FIELD=VALUE, e.g. country=FR or channel=Email"
            ));
        };
        let name = name.trim();
        let Some(field) = FilterField::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
        else {
            let names: Vec<&str> = FilterField::ALL.iter().map(|f| f.name()).collect();
            return Err(format!(
                "{name:?} is not a field a filter can test; the fields are: {}",
                names.join(", ")
            ));
        };
        let value = if field.is_flag() {
            match value.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" => Some("1".to_string()),
                "0" | "false" | "no" => Some("0".to_string()),
                _ => {
                    return Err(format!(
                        "{}={value}: the value is yes or no (1 or 0, true or false)",
                        field.name()
                    ));
                }
            }
        } else {
            Some(value.to_string()).filter(|v| !v.is_empty())
        };
        Ok(Condition { field, value })
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}={}",
            self.field.name(),
            self.value.as_deref().unwrap_or("")
        )
    }
}

/// Every condition of a command line: conditions on one field are
/// alternatives (any of the values), conditions on different fields must
/// all hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionFilter {
    pub conditions: Vec<Condition>,
}

impl SessionFilter {
    pub fn new(conditions: Vec<Condition>) -> Self {
        SessionFilter { conditions }
    }

    pub fn is_empty(&self) -> bool {
        self.conditions.is_empty()
    }

    /// The condition as SQL over a row of `session_records` (its columns
    /// unqualified); `channel` is looked up in the `traffic_sources` view,
    /// where the channel grouping is defined.
    pub fn to_sql(&self) -> String {
        let mut fields: Vec<FilterField> = Vec::new();
        for condition in &self.conditions {
            if !fields.contains(&condition.field) {
                fields.push(condition.field);
            }
        }
        let clauses: Vec<String> = fields
            .into_iter()
            .map(|field| {
                let alternatives: Vec<String> = self
                    .conditions
                    .iter()
                    .filter(|c| c.field == field)
                    .map(|c| condition_sql(field, c.value.as_deref()))
                    .collect();
                format!("({})", alternatives.join(" OR "))
            })
            .collect();
        if clauses.is_empty() {
            "1".to_string()
        } else {
            clauses.join(" AND ")
        }
    }
}

impl fmt::Display for SessionFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.conditions.iter().map(Condition::to_string).collect();
        f.write_str(&parts.join(" "))
    }
}

fn condition_sql(field: FilterField, value: Option<&str>) -> String {
    match (field, value) {
        (FilterField::Channel, Some(channel)) => format!(
            "(coalesce(referrer_domain, ''), coalesce(utm_source, ''), coalesce(utm_medium, ''),
                  coalesce(utm_campaign, '')) IN
                 (SELECT coalesce(t.referrer_domain, ''), coalesce(t.utm_source, ''),
                      coalesce(t.utm_medium, ''), coalesce(t.utm_campaign, '')
                  FROM main.traffic_sources t WHERE t.channel = {})",
            sql_literal(channel)
        ),
        // Every session has a channel.
        (FilterField::Channel, None) => "0".to_string(),
        (field, Some(value)) if field.is_flag() => format!("{} = {value}", field.name()),
        (field, Some(value)) => format!("{} = {}", field.name(), sql_literal(value)),
        (field, None) => format!("{} IS NULL", field.name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(args: &[&str]) -> SessionFilter {
        SessionFilter::new(
            args.iter()
                .map(|a| a.parse().expect("a valid condition"))
                .collect(),
        )
    }

    #[test]
    fn conditions_parse_with_their_errors() {
        let c: Condition = "Country=FR".parse().expect("valid");
        assert_eq!(
            (c.field, c.value.as_deref()),
            (FilterField::Country, Some("FR"))
        );
        let c: Condition = "utm_source=".parse().expect("valid");
        assert_eq!(c.value, None);
        let c: Condition = "converted=yes".parse().expect("valid");
        assert_eq!(c.value.as_deref(), Some("1"));
        assert!("country".parse::<Condition>().is_err());
        assert!(
            "colour=red"
                .parse::<Condition>()
                .unwrap_err()
                .contains("channel")
        );
        assert!("bounced=maybe".parse::<Condition>().is_err());
    }

    #[test]
    fn one_field_is_any_of_its_values_and_fields_all_hold() {
        let sql = filter(&["country=FR", "device=mobile", "country=DE'x"]).to_sql();
        assert_eq!(
            sql,
            "(country = 'FR' OR country = 'DE''x') AND (device = 'mobile')"
        );
        assert_eq!(filter(&["bounced=0"]).to_sql(), "(bounced = 0)");
        assert_eq!(
            filter(&["landing_page="]).to_sql(),
            "(landing_page IS NULL)"
        );
        assert_eq!(filter(&[]).to_sql(), "1");
    }
}
