//! Discipline codes of GB/T 13745-2009: 3-digit first level, 5-digit second level.

use super::ValidationError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A syntactically valid discipline code (`430` or `43045`). Whether it exists in the
/// classification is checked against the stored table by the caller that has it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DisciplineCode(String);

impl DisciplineCode {
    /// Accepts 3 or 5 ASCII digits; `430.45` (the dotted spelling) is read as `43045`.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let code: String = raw.trim().chars().filter(|c| *c != '.').collect();
        if (code.len() == 3 || code.len() == 5) && code.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(code))
        } else {
            Err(ValidationError::new(
                "discipline",
                format!("'{}' is not a 3- or 5-digit discipline code", raw.trim()),
            ))
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// 1 for a first-level code, 2 for a second-level code.
    pub fn level(&self) -> u8 {
        if self.0.len() == 3 {
            1
        } else {
            2
        }
    }

    /// The first-level code this code belongs to (itself when first-level).
    pub fn first_level(&self) -> &str {
        &self.0[..3]
    }

    /// How closely two codes agree: 2 = same second-level code, 1 = same first level only,
    /// 0 = unrelated. (The classification shipped here has no third level.)
    pub fn shared_depth(&self, other: &DisciplineCode) -> u8 {
        if self.first_level() != other.first_level() {
            0
        } else if self.level() == 2 && self.0 == other.0 {
            2
        } else {
            1
        }
    }
}

impl fmt::Display for DisciplineCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for DisciplineCode {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<DisciplineCode> for String {
    fn from(code: DisciplineCode) -> Self {
        code.0
    }
}

/// One row of the classification table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Discipline {
    /// The code.
    pub code: DisciplineCode,
    /// First-level parent, `None` for first-level codes.
    pub parent: Option<DisciplineCode>,
    /// Chinese name as in the standard.
    pub name_zh: String,
    /// English name (our translation).
    pub name_en: String,
}

/// The shipped classification (GB/T 13745-2009, first and second levels) as CSV:
/// `code,parent_code,level,name_zh,name_en`.
pub const CLASSIFICATION_CSV: &str = include_str!("disciplines.csv");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_codes_are_read_as_five_digits() {
        assert_eq!(DisciplineCode::parse("430.45").unwrap().as_str(), "43045");
    }

    #[test]
    fn malformed_codes_are_refused() {
        for bad in ["", "43", "4304", "4304a", "430450"] {
            assert!(DisciplineCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shared_depth_follows_the_hierarchy() {
        let a = DisciplineCode::parse("43045").unwrap();
        let b = DisciplineCode::parse("43015").unwrap();
        let c = DisciplineCode::parse("45025").unwrap();
        let top = DisciplineCode::parse("430").unwrap();
        assert_eq!(a.shared_depth(&a), 2);
        assert_eq!(a.shared_depth(&b), 1);
        assert_eq!(a.shared_depth(&top), 1);
        assert_eq!(a.shared_depth(&c), 0);
    }
}
