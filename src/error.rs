//! Typed errors of the library. The binary turns them into one-line messages
//! and exit code 2 (bad input) or 1 (anything else).

use std::fmt;
use std::path::PathBuf;

/// A field of an input that holds a value it must not hold.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// Dotted path of the field, e.g. `classes[0].arrival.rate`.
    pub field: String,
    /// The offending value as the user wrote it (or `(missing)`).
    pub value: String,
    /// What is wrong and what to do instead.
    pub message: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        value: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        FieldError {
            field: field.into(),
            value: value.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} = {}: {}",
            self.field,
            short(&self.value),
            self.message
        )
    }
}

impl std::error::Error for FieldError {}

/// A number written out in full (an f64 such as 1e300 or 1e-300 shows
/// hundreds of digits) in scientific notation; anything else unchanged.
fn short(value: &str) -> std::borrow::Cow<'_, str> {
    match value.parse::<f64>() {
        Ok(x) if value.len() > 24 && x.is_finite() => format!("{x:e}").into(),
        _ => value.into(),
    }
}

/// Errors that come from what the user gave us: the scenario file, flags.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// The file does not fit the scenario schema (unknown or missing field, wrong type).
    #[error("{}:{line}: {field}: {message}", path.display())]
    Schema {
        path: PathBuf,
        line: usize,
        field: String,
        message: String,
    },
    #[error("{}: {error}", path.display())]
    Field { path: PathBuf, error: FieldError },
    #[error("{0}")]
    Flag(FieldError),
}
