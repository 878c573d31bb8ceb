//! Other tools' exports, as named mappings (`--preset`): which of their
//! columns or keys are sessiondb's fields. `--map` and `--set` given with a
//! preset override its entries.

use super::fields::Mapping;
use crate::event::Field;
use crate::timestamp::TimeFormat;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// Snowplow canonical events ("atomic.events"), CSV, TSV or JSON.
    Snowplow,
    /// Segment warehouse tables (pages or tracks), CSV or JSON.
    Segment,
    /// GA4's BigQuery export, as JSON lines.
    Ga4,
}

/// A preset's mapping, and how its timestamps read.
pub struct PresetMapping {
    pub mapping: Mapping,
    pub time_format: TimeFormat,
}

fn pairs(list: &[(Field, &str)]) -> Vec<(Field, String)> {
    list.iter()
        .map(|(field, source)| (*field, source.to_string()))
        .collect()
}

impl crate::choice::Choice for Preset {
    const ALL: &'static [Self] = &[Preset::Snowplow, Preset::Segment, Preset::Ga4];

    fn name(self) -> &'static str {
        match self {
            Preset::Snowplow => "snowplow",
            Preset::Segment => "segment",
            Preset::Ga4 => "ga4",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Preset::Snowplow => "Snowplow canonical events (atomic.events), CSV, TSV or JSON",
            Preset::Segment => "Segment warehouse tables (pages or tracks), CSV or JSON",
            Preset::Ga4 => "GA4's BigQuery export, as JSON lines",
        }
    }
}

impl Preset {
    pub fn mapping(self) -> PresetMapping {
        use Field::*;
        let (sources, defaults, time_format) = match self {
            Preset::Snowplow => (
                pairs(&[
                    (EventId, "event_id"),
                    (UserId, "domain_userid"),
                    (Timestamp, "derived_tstamp"),
                    (EventType, "event"),
                    (Page, "page_urlpath"),
                    (Referrer, "page_referrer"),
                    (UtmSource, "mkt_source"),
                    (UtmMedium, "mkt_medium"),
                    (UtmCampaign, "mkt_campaign"),
                    (Device, "dvce_type"),
                    (Country, "geo_country"),
                ]),
                vec![],
                TimeFormat::Auto,
            ),
            Preset::Segment => (
                pairs(&[
                    (EventId, "id"),
                    (UserId, "anonymous_id"),
                    (Timestamp, "timestamp"),
                    (Page, "path"),
                    (Referrer, "referrer"),
                    (UtmSource, "context_campaign_source"),
                    (UtmMedium, "context_campaign_medium"),
                    (UtmCampaign, "context_campaign_name"),
                ]),
                // The pages table has no event column: each row is a page view.
                pairs(&[(EventType, "page_view")]),
                TimeFormat::Auto,
            ),
            Preset::Ga4 => (
                pairs(&[
                    (UserId, "user_pseudo_id"),
                    (Timestamp, "event_timestamp"),
                    (EventType, "event_name"),
                    (Page, "event_params[key=page_location].value.string_value"),
                    (
                        Referrer,
                        "event_params[key=page_referrer].value.string_value",
                    ),
                    (UtmSource, "traffic_source.source"),
                    (UtmMedium, "traffic_source.medium"),
                    (UtmCampaign, "traffic_source.name"),
                    (Device, "device.category"),
                    (Country, "geo.country"),
                ]),
                vec![],
                TimeFormat::EpochMicros,
            ),
        };
        PresetMapping {
            mapping: Mapping {
                sources,
                defaults,
                ..Mapping::default()
            },
            time_format,
        }
    }
}

impl Mapping {
    /// This mapping with `other`'s entries replacing its own, field by field.
    pub fn overridden_by(mut self, other: &Mapping) -> Mapping {
        for (field, source) in &other.sources {
            self.sources.retain(|(f, _)| f != field);
            self.defaults.retain(|(f, _)| f != field);
            self.sources.push((*field, source.clone()));
        }
        for (field, value) in &other.constants {
            self.sources.retain(|(f, _)| f != field);
            self.defaults.retain(|(f, _)| f != field);
            self.constants.push((*field, value.clone()));
        }
        self
    }
}
