//! An expert's own changes to the attributes that decide eligibility, held for staff.

use super::{Distinction, ExpertProfile, ExpertType, Region, Title};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

impl ExpertProfile {
    /// Names of the fields whose change needs staff verification (they affect eligibility).
    pub fn fields_to_verify(&self, before: &ExpertProfile) -> Vec<&'static str> {
        PendingAttributes::between(before, self).fields()
    }

    /// The profile with `pending` applied (what staff accept).
    pub fn with(&self, pending: &PendingAttributes) -> ExpertProfile {
        let mut p = self.clone();
        if let Some(v) = pending.title {
            p.title = v;
        }
        if let Some(v) = &pending.types {
            p.types = v.clone();
        }
        if let Some(v) = pending.region {
            p.region = v;
        }
        if let Some(v) = pending.birth_year {
            p.birth_year = v;
        }
        if let Some(v) = &pending.org_id {
            p.org_id = v.clone();
        }
        if let Some(v) = pending.field_since {
            p.field_since = v;
        }
        if let Some(v) = pending.distinction {
            p.distinction = v;
        }
        p
    }

    /// This profile with the attributes that need verification taken from `verified`: what is
    /// stored when an expert edits their own profile.
    pub fn keeping_verified(&self, verified: &ExpertProfile) -> ExpertProfile {
        let mut p = self.clone();
        p.title = verified.title;
        p.types = verified.types.clone();
        p.region = verified.region;
        p.birth_year = verified.birth_year;
        p.org_id = verified.org_id.clone();
        p.field_since = verified.field_since;
        p.distinction = verified.distinction;
        p
    }
}

/// Changes an expert made to the attributes that decide eligibility and panel composition
/// (title, types, region, birth year, employer), waiting for staff: until verified, the
/// engine and the entry rules see the verified values only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingAttributes {
    /// Proposed title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Title>,
    /// Proposed types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub types: Option<BTreeSet<ExpertType>>,
    /// Proposed region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
    /// Proposed birth year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_year: Option<i32>,
    /// Proposed employer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    /// Proposed start year in the field (`Some(None)`: remove it).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub field_since: Option<Option<i32>>,
    /// Proposed distinction (`Some(None)`: remove it).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub distinction: Option<Option<Distinction>>,
}

/// A field that is present (even as `null`, meaning "remove") is a proposal; a missing one
/// (serde's `default`) is not.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

impl PendingAttributes {
    /// What `proposed` changes against `verified`.
    pub fn between(verified: &ExpertProfile, proposed: &ExpertProfile) -> Self {
        PendingAttributes {
            title: (proposed.title != verified.title).then_some(proposed.title),
            types: (proposed.types != verified.types).then(|| proposed.types.clone()),
            region: (proposed.region != verified.region).then_some(proposed.region),
            birth_year: (proposed.birth_year != verified.birth_year).then_some(proposed.birth_year),
            org_id: (proposed.org_id != verified.org_id).then(|| proposed.org_id.clone()),
            field_since: (proposed.field_since != verified.field_since)
                .then_some(proposed.field_since),
            distinction: (proposed.distinction != verified.distinction)
                .then_some(proposed.distinction),
        }
    }

    /// The field names with a pending change.
    pub fn fields(&self) -> Vec<&'static str> {
        [
            ("title", self.title.is_some()),
            ("types", self.types.is_some()),
            ("region", self.region.is_some()),
            ("birth_year", self.birth_year.is_some()),
            ("org_id", self.org_id.is_some()),
            ("field_since", self.field_since.is_some()),
            ("distinction", self.distinction.is_some()),
        ]
        .into_iter()
        .filter(|(_, set)| *set)
        .map(|(f, _)| f)
        .collect()
    }

    /// Nothing pending.
    pub fn is_empty(&self) -> bool {
        self.fields().is_empty()
    }
}
