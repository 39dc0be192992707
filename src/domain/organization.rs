//! Organizations: employers of experts and applicants of items.

use super::expert::Region;
use super::validation::{optional_text, required_text};
use super::ValidationError;
use serde::{Deserialize, Serialize};

/// An organization, keyed by a short slug (`lzu`, `bygroup`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    /// Slug id.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// university, institute, enterprise, government, hospital.
    pub kind: String,
    /// Region relative to the city.
    pub region: Region,
    /// City.
    pub city: String,
}

/// Organization kinds accepted.
pub const ORG_KINDS: &[&str] = &[
    "university",
    "institute",
    "enterprise",
    "government",
    "hospital",
    "other",
];

/// Raw organization input.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OrganizationInput {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub kind: String,
    pub region: String,
    pub city: String,
}

impl TryFrom<OrganizationInput> for Organization {
    type Error = ValidationError;
    fn try_from(raw: OrganizationInput) -> Result<Self, Self::Error> {
        let id = required_text("id", &raw.id, 64)?;
        if !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        {
            return Err(ValidationError::new(
                "id",
                format!("'{id}' may use only a-z, 0-9, _ and -"),
            ));
        }
        let kind = raw.kind.trim().to_string();
        if !ORG_KINDS.contains(&kind.as_str()) {
            return Err(ValidationError::new(
                "kind",
                format!("'{kind}' is not one of: {}", ORG_KINDS.join(", ")),
            ));
        }
        Ok(Organization {
            id,
            name_zh: required_text("name_zh", &raw.name_zh, 128)?,
            name_en: optional_text("name_en", &raw.name_en, 256)?,
            kind,
            region: Region::parse(&raw.region)?,
            city: optional_text("city", &raw.city, 64)?,
        })
    }
}
