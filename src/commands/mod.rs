//! Subcommands whose work is more than a call into the library.

pub mod gantt;
pub mod plot;
pub mod run;
pub mod sweep;
pub mod theory;
pub mod validate;
