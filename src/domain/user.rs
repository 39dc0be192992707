//! Login accounts and roles (DESIGN §11).

use super::validation::required_text;
use super::ValidationError;
use serde::{Deserialize, Serialize};

/// What an account may do. Ordered by nothing: roles are distinct, not a hierarchy,
/// except that an administrator may do what staff may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Runs entry, exit, rotation; manages accounts.
    Admin,
    /// Runs review events and keeps the registry.
    Staff,
    /// Keeps their own profile, answers invitations.
    Expert,
    /// Reads everything, changes nothing.
    Supervisor,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Admin, Role::Staff, Role::Expert, Role::Supervisor];

    /// Stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
            Role::Expert => "expert",
            Role::Supervisor => "supervisor",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == raw.trim())
            .ok_or_else(|| {
                ValidationError::new(
                    "role",
                    format!("'{}' is not admin, staff, expert or supervisor", raw.trim()),
                )
            })
    }

    /// Staff work (the registry, events) is open to staff and administrators.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Staff | Role::Admin)
    }

    /// Read access to everything (registry, draws, audit) for staff, admins and supervisors.
    pub fn can_read_all(self) -> bool {
        matches!(self, Role::Staff | Role::Admin | Role::Supervisor)
    }
}

/// A login name: 3–32 characters of letters, digits, `.`, `_`, `-`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Username(String);

impl Username {
    /// Parses and lower-cases a login name.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let name = required_text("username", raw, 32)?.to_lowercase();
        if name.chars().count() < 3
            || !name
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(ValidationError::new(
                "username",
                "use 3–32 letters, digits, '.', '_' or '-'",
            ));
        }
        Ok(Self(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password that meets the minimum policy (length ≥ 10, not all one class).
pub struct NewPassword(String);

impl NewPassword {
    /// Checks the policy.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let long_enough = raw.chars().count() >= 10 && raw.len() <= 256;
        let classes = [
            raw.chars().any(|c| c.is_lowercase()),
            raw.chars().any(|c| c.is_uppercase()),
            raw.chars().any(|c| c.is_ascii_digit()),
            raw.chars().any(|c| !c.is_alphanumeric()),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if !long_enough || classes < 2 {
            return Err(ValidationError::new(
                "password",
                "use at least 10 characters mixing letters, digits or symbols",
            ));
        }
        Ok(Self(raw.to_string()))
    }

    /// The password text (to be hashed, never stored).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused() {
        assert!(NewPassword::parse("short1").is_err());
        assert!(NewPassword::parse("alllowercaseletters").is_err());
        assert!(NewPassword::parse("Long-enough-1").is_ok());
    }

    #[test]
    fn usernames_are_lowercased() {
        assert_eq!(Username::parse(" Admin ").unwrap().as_str(), "admin");
        assert!(Username::parse("a b").is_err());
    }
}
