//! Subcommands whose work is more than a call into the library.

pub mod theory;
