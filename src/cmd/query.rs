//! `sessiondb query "SQL"`: runs one statement on a read-only connection and
//! prints the rows; `-` reads the SQL from standard input.

use crate::output::{self, OutputFormat, TableStyle};
use crate::store::Store;
use anyhow::{Context, Result, bail};
use std::io::Read;
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// One SQL statement, or `-` to read it from standard input.
    #[arg(value_name = "SQL")]
    sql: String,

    /// Output format [default: table on a terminal, csv otherwise].
    #[arg(long, value_parser = super::choice_arg::choice::<OutputFormat>())]
    format: Option<OutputFormat>,
}

pub fn run(db: &Path, args: Args, wait: std::time::Duration) -> Result<()> {
    let sql = if args.sql == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read SQL from standard input")?;
        text
    } else {
        args.sql
    };
    if sql.trim().is_empty() {
        bail!("the SQL statement is empty");
    }
    let store = Store::open_read(db, wait)?;
    let format = super::output_format(args.format);
    let mut sink = output::sink(format, TableStyle::Raw, std::io::stdout().lock());
    store.run_query(&sql, &[], sink.as_mut())?;
    Ok(())
}
