//! The arguments of `conversions` and `page-views`, which show or change a
//! set of event types the same way: `list`, `set A,B`, `add A`, `remove A`;
//! and the run both share.

use crate::store::Store;
use anyhow::Result;
use std::io::Write;
use std::path::Path;

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Print the event types of the set.
    List,
    /// Replace the set, e.g. `set purchase,signup,subscribe`.
    Set {
        /// Comma-separated event types.
        #[arg(value_name = "TYPES", value_delimiter = ',', required = true)]
        types: Vec<String>,
    },
    /// Add event types to the set.
    Add {
        #[arg(value_name = "TYPE", value_delimiter = ',', required = true)]
        types: Vec<String>,
    },
    /// Remove event types from the set.
    Remove {
        #[arg(value_name = "TYPE", value_delimiter = ',', required = true)]
        types: Vec<String>,
    },
}

impl Action {
    /// The set after the change, from the `current` one; `None` for `list`.
    pub fn apply(self, current: Vec<String>) -> Option<Vec<String>> {
        match self {
            Action::List => None,
            Action::Set { types } => Some(types),
            Action::Add { types } => Some(current.into_iter().chain(types).collect()),
            Action::Remove { types } => {
                Some(current.into_iter().filter(|t| !types.contains(t)).collect())
            }
        }
    }
}

/// One set of event types in the store, as a command shows and changes it.
pub struct TypeSet {
    pub read: fn(&Store) -> Result<Vec<String>>,
    /// Replaces the set and recounts; returns what it counted.
    pub write: fn(&mut Store, &[String]) -> Result<u64>,
    /// How a warning names a member: "a conversion type".
    pub member: &'static str,
    /// What a failed checkpoint names: "the new conversion set".
    pub change: &'static str,
}

/// Runs `action` on `set`: prints the set for `list` (None), else changes
/// it, warns about types without events and returns the new set with what
/// the change counted. Opened for writing even to list, so that it
/// upgrades an older file (what read-only commands ask for).
pub fn run(
    db: &Path,
    action: Action,
    wait: std::time::Duration,
    set: &TypeSet,
) -> Result<Option<(Vec<String>, u64)>> {
    let mut store = Store::open_write_existing(db, wait)?;
    let Some(wanted) = action.apply((set.read)(&store)?) else {
        let types = (set.read)(&store)?;
        super::finish(store, "the upgrade of the database")?;
        let mut out = std::io::stdout().lock();
        for event_type in types {
            writeln!(out, "{event_type}")?;
        }
        return Ok(None);
    };
    let counted = (set.write)(&mut store, &wanted)?;
    let types = (set.read)(&store)?;
    let named: Vec<(String, String)> = types
        .iter()
        .map(|t| (t.clone(), set.member.to_string()))
        .collect();
    super::warn_unknown_event_types(&store, &named)?;
    super::finish(store, set.change)?;
    Ok(Some((types, counted)))
}
