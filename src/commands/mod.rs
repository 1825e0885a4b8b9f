//! Subcommands whose work is more than a call into the library.

/// `schedlab optimize`: optimal bounds (kept apart so that other subcommands merge cleanly).
pub mod optimize;

pub mod gantt;
pub mod merge;
pub mod plot;
pub mod run;
pub mod size;
pub mod sweep;
pub mod theory;
pub mod validate;
pub mod workflow;
