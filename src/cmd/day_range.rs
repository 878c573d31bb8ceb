//! `--from`/`--to`: the range of session days that `report` and `funnel`
//! keep.

use crate::timestamp::parse_day;
use anyhow::{Result, bail};
use chrono::NaiveDate;

const FIRST_DAY: NaiveDate = NaiveDate::from_ymd_opt(0, 1, 1).expect("a valid date");
const LAST_DAY: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date");

#[derive(Debug, Clone, clap::Args)]
pub struct DayRange {
    /// Only sessions that start on or after this day (YYYY-MM-DD, in the
    /// reporting time zone).
    #[arg(long, value_name = "DAY", value_parser = parse_day)]
    from: Option<NaiveDate>,

    /// Only sessions that start on or before this day (YYYY-MM-DD, in the
    /// reporting time zone).
    #[arg(long, value_name = "DAY", value_parser = parse_day)]
    to: Option<NaiveDate>,
}

impl DayRange {
    /// Both ends, when both are given.
    pub fn bounds(&self) -> Option<(NaiveDate, NaiveDate)> {
        self.from.zip(self.to)
    }

    /// `--from`, as given.
    pub fn from(&self) -> Option<NaiveDate> {
        self.from
    }

    /// `--to`, as given.
    pub fn to(&self) -> Option<NaiveDate> {
        self.to
    }

    /// A range of these two days.
    pub fn between(from: NaiveDate, to: NaiveDate) -> DayRange {
        DayRange {
            from: Some(from),
            to: Some(to),
        }
    }

    /// The first and last day as SQL compares them, or `None` for all.
    pub fn days(&self) -> Result<Option<(String, String)>> {
        if self.from.is_none() && self.to.is_none() {
            return Ok(None);
        }
        // Days compare as YYYY-MM-DD text in SQL, so the open ends must be
        // four-digit years too.
        let from = self.from.unwrap_or(FIRST_DAY);
        let to = self.to.unwrap_or(LAST_DAY);
        if from > to {
            bail!("--from {from} is after --to {to}");
        }
        Ok(Some((
            from.format("%Y-%m-%d").to_string(),
            to.format("%Y-%m-%d").to_string(),
        )))
    }
}
