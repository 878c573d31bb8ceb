//! The session-rule options that `import` and `resessionize` share.

use crate::rules::{self, CampaignRule, RulesPreset, SessionRules};
use crate::timestamp::InputZone;
use anyhow::{Result, bail};

#[derive(Debug, Clone, clap::Args)]
pub struct RulesArgs {
    /// Start from another tool's session rules: ga4, ua, matomo, posthog or
    /// plausible (the README says what each means); the options below
    /// change them.
    #[arg(long, value_parser = super::choice_arg::choice::<RulesPreset>(), value_name = "TOOL")]
    pub rules: Option<RulesPreset>,

    /// Inactivity that ends a session: 90s, 30m, 1h, 1h30m [default: 30m].
    #[arg(long, value_name = "DURATION", value_parser = rules::parse_timeout)]
    pub timeout: Option<i64>,

    /// A session ends at most this long after its first event, e.g. 24h.
    #[arg(long, value_name = "DURATION", value_parser = rules::parse_max_length)]
    pub max_length: Option<i64>,

    /// A session ends at midnight in this zone: UTC, +02:00, Europe/Paris.
    #[arg(long, value_name = "ZONE")]
    pub split_midnight: Option<InputZone>,

    /// A session ends where an event brings a new campaign: utm (another
    /// utm_source, utm_medium or utm_campaign), or utm+referrer (also
    /// another external referrer when there is no utm; the default when no
    /// value is given).
    #[arg(
        long,
        value_parser = super::choice_arg::choice::<CampaignRule>(),
        value_name = "WHAT",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "utm+referrer"
    )]
    pub split_on_campaign: Option<CampaignRule>,

    /// The site's own domains, comma-separated: referrers there are
    /// internal links, never a new campaign.
    #[arg(long, value_name = "DOMAINS", value_delimiter = ',')]
    pub internal_domain: Vec<String>,
}

/// The ids of the options above, for `conflicts_with_all`.
pub const RULE_OPTIONS: [&str; 6] = [
    "rules",
    "timeout",
    "max_length",
    "split_midnight",
    "split_on_campaign",
    "internal_domain",
];

impl RulesArgs {
    /// The rules these options ask for, or `None` when none is given.
    /// Prints a warning for a rule that is likely not what was meant.
    pub fn requested(&self) -> Result<Option<SessionRules>> {
        let rules = self.rules_asked()?;
        if let Some(warning) = rules.as_ref().and_then(SessionRules::warning) {
            note!("warning: {warning}");
        }
        Ok(rules)
    }

    fn rules_asked(&self) -> Result<Option<SessionRules>> {
        let given = self.rules.is_some()
            || self.timeout.is_some()
            || self.max_length.is_some()
            || self.split_midnight.is_some()
            || self.split_on_campaign.is_some()
            || !self.internal_domain.is_empty();
        if !given {
            return Ok(None);
        }
        let mut rules = match self.rules {
            Some(preset) => preset.rules(self.split_midnight),
            None => SessionRules::default(),
        };
        if let Some(timeout_ms) = self.timeout {
            rules.timeout_ms = timeout_ms;
        }
        if let Some(length_ms) = self.max_length {
            rules.max_length_ms = Some(length_ms);
        }
        if let Some(zone) = self.split_midnight {
            rules.split_at_midnight = Some(zone);
        }
        if let Some(rule) = self.split_on_campaign {
            rules.split_on_campaign = Some(rule);
        }
        if !self.internal_domain.is_empty() {
            if rules.split_on_campaign.is_none() {
                bail!(
                    "--internal-domain only matters with --split-on-campaign (or --rules ua|matomo)"
                );
            }
            let mut domains: Vec<String> = self
                .internal_domain
                .iter()
                .map(|d| normalize_domain(d))
                .filter(|d| !d.is_empty())
                .collect();
            domains.sort();
            domains.dedup();
            rules.internal_domains = domains;
        }
        Ok(Some(rules))
    }
}

/// `WWW.Example.com.` → `example.com`, as referrer domains are compared.
fn normalize_domain(text: &str) -> String {
    let lower = text.trim().trim_end_matches('.').to_ascii_lowercase();
    lower.strip_prefix("www.").unwrap_or(&lower).to_string()
}
