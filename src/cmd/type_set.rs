//! The arguments of `conversions` and `page-views`, which show or change a
//! set of event types the same way: `list`, `set A,B`, `add A`, `remove A`.

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
