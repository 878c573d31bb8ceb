//! The `sessiondb` binary: parse the command line, run the command, and turn
//! errors into a one-line message and an exit status (see README, "Exit
//! status").

#![forbid(unsafe_code)]

use clap::Parser;
use clap::error::ErrorKind;
use sessiondb::cli::Cli;
use sessiondb::cmd;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(error),
    };
    match cli.run() {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stopped early (`| head`) is not a failure.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            // Nothing more can be said if standard error is closed too.
            let _ = writeln!(std::io::stderr(), "sessiondb: {}", describe(&error));
            ExitCode::from(cmd::exit_code(&error))
        }
    }
}

/// Help and version go out as clap writes them; a mistake becomes one line.
fn usage_error(error: clap::Error) -> ExitCode {
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            // Printing help can only fail if stdout is gone; nothing to add then.
            let _ = error.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = error.print();
            ExitCode::from(cmd::EXIT_USAGE)
        }
        _ => {
            let rendered = error.render().to_string();
            // clap's message, before its blank line and usage block, on one line.
            let message = rendered.split("\n\n").next().unwrap_or_default();
            let message = message
                .trim_start_matches("error:")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let hint = suggestion(&error);
            let _ = writeln!(
                std::io::stderr(),
                "sessiondb: {message}{hint} (see sessiondb --help)"
            );
            ExitCode::from(cmd::EXIT_USAGE)
        }
    }
}

/// `; did you mean report?` for a subcommand, option or value close to
/// what was typed (clap finds them; its tips come after the line kept).
fn suggestion(error: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue};
    let mut close = Vec::new();
    for kind in [
        ContextKind::SuggestedSubcommand,
        ContextKind::SuggestedArg,
        ContextKind::SuggestedValue,
    ] {
        match error.get(kind) {
            Some(ContextValue::String(name)) => close.push(name.clone()),
            Some(ContextValue::Strings(names)) => close.extend(names.iter().cloned()),
            _ => {}
        }
    }
    // Clap's own ranking keeps names far from what was typed (`export` for
    // `reprot`): keep those sessiondb's edit distance finds close, if any.
    let typed = [
        ContextKind::InvalidSubcommand,
        ContextKind::InvalidArg,
        ContextKind::InvalidValue,
    ]
    .into_iter()
    .find_map(|kind| match error.get(kind) {
        Some(ContextValue::String(typed)) => Some(typed.clone()),
        _ => None,
    });
    if let Some(typed) = typed {
        let ranked = sessiondb::suggest::closest(&typed, close.iter().map(String::as_str));
        if !ranked.is_empty() {
            close = ranked.into_iter().map(str::to_string).collect();
        }
    }
    match close.is_empty() {
        true => String::new(),
        false => format!("; did you mean {}?", close.join(" or ")),
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The error and its causes on one line, without causes that only repeat.
fn describe(error: &anyhow::Error) -> String {
    error
        .chain()
        .filter(|cause| !sessiondb::store::is_redundant_cause(*cause))
        .map(|cause| cause.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}
