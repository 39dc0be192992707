//! The profile form: what staff and experts type (lists as text, one entry per line or `;`),
//! turned into the domain's raw input, and a stored profile turned back into it.

use crate::domain::expert::{ExpertInput, ExpertProfile, RelationInput};
use crate::domain::ValidationError;
use serde::Serialize;

/// The profile form: lists as text, one entry per line or separated by `;`.
#[derive(Debug, Clone, Default, FromForm, Serialize)]
pub(super) struct ProfileForm {
    #[field(default = String::new())]
    code: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    gender: String,
    #[field(default = String::new())]
    birth_year: String,
    #[field(default = String::new())]
    title: String,
    #[field(default = String::new())]
    position: String,
    #[field(default = String::new())]
    org_id: String,
    #[field(default = String::new())]
    region: String,
    #[field(default = String::new())]
    disciplines: String,
    #[field(default = String::new())]
    keywords_zh: String,
    #[field(default = String::new())]
    keywords_en: String,
    #[field(default = String::new())]
    summary: String,
    types: Vec<String>,
    #[field(default = String::new())]
    email: String,
    #[field(default = String::new())]
    phone: String,
    /// `org:from-to` per line.
    #[field(default = String::new())]
    employments: String,
    /// `kind,person name,org,since,until` per line.
    #[field(default = String::new())]
    relations: String,
    /// `YYYY-MM-DD..YYYY-MM-DD` per line.
    #[field(default = String::new())]
    unavailable: String,
    #[field(default = String::new())]
    field_since: String,
    #[field(default = String::new())]
    distinction: String,
    #[serde(skip)]
    #[field(default = String::new())]
    pub(super) csrf: String,
}

fn items(text: &str) -> Vec<String> {
    text.split(['\n', ';', '；'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

impl ProfileForm {
    pub(super) fn into_input(self) -> Result<ExpertInput, ValidationError> {
        let employments = crate::dataset::parse_past_orgs(&items(&self.employments).join(";"))
            .map_err(|e| {
                ValidationError::new(e.field.replace("past_orgs", "employments"), e.message)
            })?;
        let relations = self
            .relations
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|line| {
                let f: Vec<String> = line
                    .split([',', '，'])
                    .map(|s| s.trim().to_string())
                    .collect();
                let get = |i: usize| f.get(i).cloned().unwrap_or_default();
                RelationInput {
                    kind: get(0),
                    person_name: get(1),
                    org_id: get(2),
                    since: get(3),
                    until: get(4),
                }
            })
            .collect();
        Ok(ExpertInput {
            code: self.code,
            name: self.name,
            gender: self.gender,
            birth_year: self.birth_year,
            title: self.title,
            position: self.position,
            org_id: self.org_id,
            region: self.region,
            disciplines: items(&self.disciplines),
            keywords_zh: items(&self.keywords_zh),
            keywords_en: items(&self.keywords_en),
            summary: self.summary,
            types: self.types,
            email: self.email,
            phone: self.phone,
            employments,
            relations,
            unavailable: items(&self.unavailable),
            field_since: self.field_since,
            distinction: self.distinction,
        })
    }

    /// The form as shown again after an error: the values kept, the old token not.
    pub(super) fn without_token(&self) -> Self {
        ProfileForm {
            csrf: String::new(),
            ..self.clone()
        }
    }

    pub(super) fn from_profile(p: &ExpertProfile) -> Self {
        let year = |y: Option<i32>| y.map(|y| y.to_string()).unwrap_or_default();
        ProfileForm {
            code: p.code.clone(),
            name: p.name.clone(),
            gender: p.gender.as_str().into(),
            birth_year: p.birth_year.to_string(),
            field_since: year(p.field_since),
            distinction: p
                .distinction
                .map(|d| d.as_str().to_string())
                .unwrap_or_default(),
            title: p.title.as_str().into(),
            position: p.position.clone(),
            org_id: p.org_id.clone(),
            region: p.region.as_str().into(),
            disciplines: p
                .disciplines
                .iter()
                .map(|d| d.as_str())
                .collect::<Vec<_>>()
                .join(";"),
            keywords_zh: p.keywords_zh.join(";"),
            keywords_en: p.keywords_en.join(";"),
            summary: p.summary.clone(),
            types: p.types.iter().map(|t| t.as_str().to_string()).collect(),
            email: p
                .email
                .as_ref()
                .map(|e| e.as_str().to_string())
                .unwrap_or_default(),
            phone: p.phone.clone(),
            employments: p
                .employments
                .iter()
                .map(|e| format!("{}:{}-{}", e.org_id, year(e.from), year(e.to)))
                .collect::<Vec<_>>()
                .join("\n"),
            relations: p
                .relations
                .iter()
                .map(|r| {
                    format!(
                        "{},{},{},{},{}",
                        r.kind,
                        r.person_name.clone().unwrap_or_default(),
                        r.org_id.clone().unwrap_or_default(),
                        year(r.since),
                        year(r.until)
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
            unavailable: p
                .unavailable
                .iter()
                .map(|u| u.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
            csrf: String::new(),
        }
    }
}
