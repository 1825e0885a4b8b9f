//! Subcommands whose work is more than a call into the library.

pub mod gantt;
pub mod optimize;
pub mod theory;
