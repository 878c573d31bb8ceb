//! The `sessiondb` binary: parse the command line, run the command, and turn
//! errors into a one-line message and an exit status.

use clap::Parser;
use sessiondb::cli::Cli;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match sessiondb::cmd::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stopped early (`| head`) is not a failure.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sessiondb: {}", describe(&error));
            ExitCode::from(sessiondb::cmd::EXIT_FAILURE)
        }
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
