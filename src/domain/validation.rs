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

/// Trims `raw` and rejects it when longer than `max` characters or when it holds control
/// characters other than line breaks (a tab or carriage return has no place in the bureau's
/// data and can turn a spreadsheet cell into a formula); empty is allowed.
pub fn optional_text(field: &str, raw: &str, max: usize) -> Result<String, ValidationError> {
    let text = raw.trim();
    if text.chars().count() > max {
        return Err(ValidationError::new(
            field,
            format!("is longer than {max} characters"),
        ));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ValidationError::new(
            field,
            "contains a control character (tab, carriage return or similar)",
        ));
    }
    Ok(text.to_string())
}

/// Like [`required_text`], on one line: names and keywords.
pub fn one_line(field: &str, raw: &str, max: usize) -> Result<String, ValidationError> {
    let text = required_text(field, raw, max)?;
    if text.contains('\n') {
        return Err(ValidationError::new(field, "must fit on one line"));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_and_line_breaks_only_where_text_may_have_them() {
        assert!(optional_text("summary", "第一行\n第二行", 100).is_ok());
        assert_eq!(
            optional_text("summary", "a\tb", 100).unwrap_err().field,
            "summary"
        );
        assert!(one_line("name", "王\r芳", 10).is_err());
        assert!(one_line("name", "王\n芳", 10).is_err());
        assert_eq!(one_line("name", " 王芳 ", 10).unwrap(), "王芳");
    }
}
