//! What each subcommand does, and how errors become messages and exit codes.

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::error::{FieldError, InputError};

/// Exit code for input the user must fix.
pub const EXIT_BAD_INPUT: u8 = 2;

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::report::tree::handle_interrupts();
    let result = match cli.command {
        Command::Run(args) => crate::commands::run::run(&args),
        Command::Sweep(args) => crate::commands::sweep::run(&args),
        Command::Merge(args) => crate::commands::merge::run(&args),
        Command::Plot(args) => crate::commands::plot::run(&args),
        Command::Theory(args) => crate::commands::theory::run(&args),
        Command::Optimize(command) => crate::commands::optimize::run(&command),
        Command::Gantt(args) => crate::commands::gantt::run(&args),
        Command::Validate(args) => crate::commands::validate::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let code = if e.downcast_ref::<InputError>().is_some() {
                EXIT_BAD_INPUT
            } else {
                1
            };
            eprintln!("error: {e:#}");
            ExitCode::from(code)
        }
    }
}

pub(crate) fn flag(name: &str, value: impl ToString, message: &str) -> anyhow::Error {
    InputError::Flag(FieldError::new(name, value.to_string(), message)).into()
}
