//! Closed sets of named values that options take (`--rules ua`,
//! `--format csv`): each engine type lists its values with a name and a
//! line of help, and the command line (`cmd::choice_arg`) offers them,
//! so the engine knows nothing of clap.

/// A value among a fixed few, named as users type it.
pub trait Choice: Copy + Send + Sync + 'static {
    /// Every value, in the order help lists them.
    const ALL: &'static [Self];
    /// The name users type.
    fn name(self) -> &'static str;
    /// What the value means, in a few words.
    fn help(self) -> &'static str;
}
