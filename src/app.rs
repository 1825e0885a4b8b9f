//! What each subcommand does, and how errors become messages and exit codes.

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::error::{FieldError, InputError};

/// Exit code for input the user must fix.
pub const EXIT_BAD_INPUT: u8 = 2;

/// Entry point of the binary.
pub fn main() -> ExitCode {
    // clap's own usage errors exit with 2, as bad input does.
    let cli = Cli::parse();
    crate::report::tree::handle_interrupts();
    crate::limits::set_enforced(!cli.no_limits);
    let result = match cli.command {
        Command::Run(args) => crate::commands::run::run(&args),
        Command::Sweep(args) => crate::commands::sweep::run(&args),
        Command::Merge(args) => crate::commands::merge::run(&args),
        Command::Plot(args) => crate::commands::plot::run(&args),
        Command::Theory(args) => crate::commands::theory::run(&args),
        Command::Optimize(command) => crate::commands::optimize::run(&command),
        Command::Gantt(args) => crate::commands::gantt::run(&args),
        Command::Validate(args) => crate::commands::validate::run(&args),
        Command::Workflow(args) => crate::commands::workflow::run(&args),
        Command::Size(args) => crate::commands::size::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let code = if e.downcast_ref::<InputError>().is_some() {
                EXIT_BAD_INPUT
            } else {
                1
            };
            eprintln!("error: {}", one_line(&e));
            ExitCode::from(code)
        }
    }
}

pub(crate) fn flag(name: &str, value: impl ToString, message: &str) -> anyhow::Error {
    InputError::Flag(FieldError::new(name, value.to_string(), message)).into()
}

/// The message of an error and its causes on one line: a cause whose text
/// the message already holds (an OS error quoted by its wrapper) is not
/// repeated, and control characters (a newline in a name) are escaped.
pub fn one_line(e: &anyhow::Error) -> String {
    let mut message = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !message.contains(&c) {
            message.push_str(": ");
            message.push_str(&c);
        }
    }
    escape_controls(&message)
}

/// Escapes control characters (`\n` for a newline, `\u{7}` for others).
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if ch.is_control() {
            out.extend(ch.escape_default());
        } else {
            out.push(ch);
        }
    }
    out
}
