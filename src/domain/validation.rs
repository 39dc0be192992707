//! The error every parser in `domain` returns: which field, and what is wrong with it.

use std::fmt;

/// A value that failed to parse; `field` names the input field so the UI can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// Input field name, e.g. `birth_year` or `disciplines[2]`.
    pub field: String,
    /// Human-readable explanation (English; the pages translate the common ones).
    pub message: String,
}

impl ValidationError {
    /// Builds an error for `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same error, with its field nested under `prefix` (e.g. `relations[1].kind`).
    pub fn within(self, prefix: &str) -> Self {
        Self {
            field: format!("{prefix}.{}", self.field),
            message: self.message,
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for ValidationError {}

/// Trims `raw` and rejects it when empty or longer than `max` characters.
pub fn required_text(field: &str, raw: &str, max: usize) -> Result<String, ValidationError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(ValidationError::new(field, "is required"));
    }
    optional_text(field, text, max)
}

/// Trims `raw` and rejects it when longer than `max` characters; empty is allowed.
pub fn optional_text(field: &str, raw: &str, max: usize) -> Result<String, ValidationError> {
    let text = raw.trim();
    if text.chars().count() > max {
        return Err(ValidationError::new(
            field,
            format!("is longer than {max} characters"),
        ));
    }
    Ok(text.to_string())
}
