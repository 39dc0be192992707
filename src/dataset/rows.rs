//! Row shapes of the sample CSV files, converted into domain input at the edge.

use super::{parse_codes, parse_past_orgs, parse_team, split_list};
use crate::assign::problem::Item;
use crate::domain::discipline::Discipline;
use crate::domain::expert::{parse_date, ExpertInput, RelationInput};
use crate::domain::validation::{optional_text, required_text};
use crate::domain::{DisciplineCode, ValidationError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// A row of disciplines.csv.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct DisciplineRow {
    code: String,
    #[serde(default)]
    parent_code: String,
    /// Follows from the code and is not checked: a field so that an exported file has the
    /// format's columns.
    #[serde(default)]
    level: String,
    name_zh: String,
    #[serde(default)]
    name_en: String,
}

impl DisciplineRow {
    /// Converts into the domain type.
    pub fn into_domain(self) -> Result<Discipline, ValidationError> {
        let code = DisciplineCode::parse(&self.code)
            .map_err(|e| ValidationError::new("code", e.message))?;
        let parent = if self.parent_code.is_empty() {
            None
        } else {
            Some(
                DisciplineCode::parse(&self.parent_code)
                    .map_err(|e| ValidationError::new("parent_code", e.message))?,
            )
        };
        if code.level() == 2 && parent.as_ref().map(|p| p.as_str()) != Some(code.first_level()) {
            return Err(ValidationError::new(
                "parent_code",
                format!("{code} must have parent {}", code.first_level()),
            ));
        }
        Ok(Discipline {
            code,
            parent,
            name_zh: required_text("name_zh", &self.name_zh, 128)?,
            name_en: self.name_en,
        })
    }
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub(super) struct RelationRow {
    pub(super) expert_id: String,
    kind: String,
    #[serde(default)]
    person_name: String,
    #[serde(default)]
    person_org_id: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
}

impl RelationRow {
    pub(super) fn into_input(self) -> RelationInput {
        RelationInput {
            kind: self.kind,
            person_name: self.person_name,
            org_id: self.person_org_id,
            since: self.since,
            until: self.until,
        }
    }
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub(super) struct ExpertRow {
    id: String,
    name: String,
    gender: String,
    birth_year: String,
    title: String,
    #[serde(default)]
    position: String,
    org_id: String,
    region: String,
    #[serde(default)]
    past_orgs: String,
    disciplines: String,
    #[serde(default)]
    keywords_zh: String,
    #[serde(default)]
    keywords_en: String,
    #[serde(default)]
    summary_zh: String,
    #[serde(default)]
    types: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    unavailable: String,
    /// Optional: year started in the field.
    #[serde(default)]
    field_since: String,
    /// Optional: `academician`, `national` or empty.
    #[serde(default)]
    distinction: String,
}

impl ExpertRow {
    pub(super) fn into_input(self) -> Result<ExpertInput, ValidationError> {
        Ok(ExpertInput {
            code: self.id,
            name: self.name,
            gender: self.gender,
            birth_year: self.birth_year,
            title: self.title,
            position: self.position,
            org_id: self.org_id,
            region: self.region,
            disciplines: split_list(&self.disciplines),
            keywords_zh: split_list(&self.keywords_zh),
            keywords_en: split_list(&self.keywords_en),
            summary: self.summary_zh,
            types: split_list(&self.types),
            email: self.email,
            phone: self.phone,
            employments: parse_past_orgs(&self.past_orgs)?,
            relations: vec![],
            unavailable: split_list(&self.unavailable),
            field_since: self.field_since,
            distinction: self.distinction,
        })
    }
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub(super) struct ProjectRow {
    id: String,
    title_zh: String,
    #[serde(default)]
    title_en: String,
    applicant_org_id: String,
    #[serde(default)]
    team: String,
    disciplines: String,
    #[serde(default)]
    keywords_zh: String,
    #[serde(default)]
    abstract_zh: String,
    /// `E00012` or `E00012:reason` entries.
    #[serde(default)]
    requested_avoid: String,
    /// Optional: `E00012:role` entries (drafted, guided or consulted on the item).
    #[serde(default)]
    prior_role: String,
    /// Optional: codes of earlier items this one continues.
    #[serde(default)]
    earlier_items: String,
}

/// Splits `KEY` / `KEY:text` entries (`;`-separated; a full-width colon works too) into the
/// keys in order and the texts given.
pub(super) fn keyed_notes(
    field: &str,
    raw: &str,
    require_text: bool,
) -> Result<(Vec<String>, BTreeMap<String, String>), ValidationError> {
    let mut keys = Vec::new();
    let mut notes = BTreeMap::new();
    for (i, entry) in raw.split([';', '；']).map(str::trim).enumerate() {
        if entry.is_empty() {
            continue;
        }
        let (key, text) = match entry.split_once([':', '：']) {
            Some((k, t)) => (k.trim(), t.trim()),
            None => (entry, ""),
        };
        if key.is_empty() || key.chars().any(char::is_whitespace) || key.chars().count() > 32 {
            return Err(ValidationError::new(
                format!("{field}[{i}]"),
                format!("'{entry}' does not start with an expert code"),
            ));
        }
        if require_text && text.is_empty() {
            return Err(ValidationError::new(
                format!("{field}[{i}]"),
                format!("{key}: say what the role was (E00012:drafted the application)"),
            ));
        }
        let text = optional_text(&format!("{field}[{i}]"), text, 200)?;
        if !keys.iter().any(|k| k == key) {
            keys.push(key.to_string());
        }
        if !text.is_empty() {
            notes.insert(key.to_string(), text);
        }
    }
    Ok((keys, notes))
}

impl ProjectRow {
    pub(super) fn into_item(
        self,
        codes: &HashSet<&str>,
        orgs: &HashSet<&str>,
    ) -> Result<Item, ValidationError> {
        let key = required_text("id", &self.id, 32)?;
        let applicant_orgs = split_list(&self.applicant_org_id);
        if applicant_orgs.is_empty() {
            return Err(ValidationError::new(
                "applicant_org_id",
                "at least one applicant organization is required",
            ));
        }
        for org in &applicant_orgs {
            if !orgs.contains(org.as_str()) {
                return Err(ValidationError::new(
                    "applicant_org_id",
                    format!("unknown organization '{org}'"),
                ));
            }
        }
        let disciplines = parse_codes("disciplines", &self.disciplines, codes)?;
        if disciplines.is_empty() {
            return Err(ValidationError::new(
                "disciplines",
                "at least one discipline code is required",
            ));
        }
        let title = required_text("title_zh", &self.title_zh, TITLE_ZH_MAX)?;
        let (requested_avoid, avoid_reasons) =
            keyed_notes("requested_avoid", &self.requested_avoid, false)?;
        let (_, prior_roles) = keyed_notes("prior_role", &self.prior_role, true)?;
        Ok(Item {
            key,
            title: if self.title_en.is_empty() {
                title
            } else {
                format!("{title} {}", self.title_en)
            },
            applicant_orgs,
            team: parse_team(&self.team)?,
            disciplines,
            keywords: split_list(&self.keywords_zh),
            abstract_text: self.abstract_zh,
            requested_avoid,
            avoid_reasons,
            prior_roles,
            earlier_items: split_list(&self.earlier_items),
        })
    }
}

/// A row of memberships.csv.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipRow {
    /// Expert code.
    pub expert_id: String,
    /// `review` or `advisory`.
    pub pool: String,
    /// applied, active, suspended, refused, exited.
    pub state: String,
    /// Application or approval date.
    pub since: String,
    /// End of term.
    #[serde(default)]
    pub term_end: String,
    /// Reason code.
    #[serde(default)]
    pub reason: String,
}

impl MembershipRow {
    pub(super) fn validate(&self, experts: &BTreeMap<String, u64>) -> Result<(), ValidationError> {
        if !experts.contains_key(&self.expert_id) {
            return Err(ValidationError::new(
                "expert_id",
                format!("{} is not in experts.csv", self.expert_id),
            ));
        }
        if !["review", "advisory"].contains(&self.pool.as_str()) {
            return Err(ValidationError::new(
                "pool",
                format!("'{}' is not review or advisory", self.pool),
            ));
        }
        if !["applied", "active", "suspended", "refused", "exited"].contains(&self.state.as_str()) {
            return Err(ValidationError::new(
                "state",
                format!("'{}' is not a membership state", self.state),
            ));
        }
        parse_date("since", &self.since)?;
        if !self.term_end.is_empty() {
            parse_date("term_end", &self.term_end)?;
        }
        Ok(())
    }
}

/// A row of history.csv: one past invitation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryRow {
    /// Expert code.
    pub expert_id: String,
    /// Past event id.
    pub event_id: String,
    /// Event kind.
    pub event_kind: String,
    /// Event date.
    pub event_date: String,
    /// accepted, declined, no_response.
    pub response: String,
    /// Why declined.
    #[serde(default)]
    pub decline_reason: String,
    /// attended, no_show.
    #[serde(default)]
    pub attendance: String,
    /// 1–5.
    #[serde(default)]
    pub rating_expertise: String,
    /// 1–5.
    #[serde(default)]
    pub rating_diligence: String,
    /// 1–5.
    #[serde(default)]
    pub rating_fairness: String,
}

impl HistoryRow {
    pub(super) fn validate(&self, experts: &BTreeMap<String, u64>) -> Result<(), ValidationError> {
        if !experts.contains_key(&self.expert_id) {
            return Err(ValidationError::new(
                "expert_id",
                format!("{} is not in experts.csv", self.expert_id),
            ));
        }
        parse_date("event_date", &self.event_date)?;
        if !["accepted", "declined", "no_response"].contains(&self.response.as_str()) {
            return Err(ValidationError::new(
                "response",
                format!(
                    "'{}' is not accepted, declined or no_response",
                    self.response
                ),
            ));
        }
        for (field, v) in [
            ("rating_expertise", &self.rating_expertise),
            ("rating_diligence", &self.rating_diligence),
            ("rating_fairness", &self.rating_fairness),
        ] {
            if !v.is_empty() && !matches!(v.parse::<u8>(), Ok(1..=5)) {
                return Err(ValidationError::new(
                    field,
                    format!("'{v}' is not a rating 1–5"),
                ));
            }
        }
        Ok(())
    }
}

// The rows of a folder that `export` writes: the inverse of the conversions above, so that
// a column added to a row struct is one more line here and its header comes from the struct.

/// Most characters of `title_zh` (the limit of `ProjectRow::into_item`).
const TITLE_ZH_MAX: usize = 300;

impl DisciplineRow {
    /// The row of a discipline.
    pub(super) fn from_domain(d: &Discipline) -> Self {
        DisciplineRow {
            code: d.code.to_string(),
            parent_code: d.parent.as_ref().map(|p| p.to_string()).unwrap_or_default(),
            level: d.code.level().to_string(),
            name_zh: d.name_zh.clone(),
            name_en: d.name_en.clone(),
        }
    }
}

impl RelationRow {
    /// The row of one of an expert's relations.
    pub(super) fn from_input(expert: &str, r: RelationInput) -> Self {
        RelationRow {
            expert_id: expert.into(),
            kind: r.kind,
            person_name: r.person_name,
            person_org_id: r.org_id,
            since: r.since,
            until: r.until,
        }
    }
}

impl ExpertRow {
    /// The row of a profile (its relations go to relations.csv).
    pub(super) fn from_input(p: ExpertInput) -> Self {
        let past_orgs: Vec<String> = p
            .employments
            .iter()
            .map(|e| format!("{}:{}-{}", e.org_id, e.from, e.to))
            .collect();
        ExpertRow {
            id: p.code,
            name: p.name,
            gender: p.gender,
            birth_year: p.birth_year,
            title: p.title,
            position: p.position,
            org_id: p.org_id,
            region: p.region,
            past_orgs: past_orgs.join(";"),
            disciplines: p.disciplines.join(";"),
            keywords_zh: p.keywords_zh.join(";"),
            keywords_en: p.keywords_en.join(";"),
            summary_zh: p.summary,
            types: p.types.join(";"),
            email: p.email,
            phone: p.phone,
            unavailable: p.unavailable.join(";"),
            field_since: p.field_since,
            distinction: p.distinction,
        }
    }
}

impl ProjectRow {
    /// The row of an item. Reading joins `title_zh` and `title_en` with a space into the one
    /// title an item keeps, so the title goes to `title_zh` whole, or split at a space when it
    /// is longer than `title_zh` may be.
    pub(super) fn from_item(i: &Item) -> Self {
        let (title_zh, title_en) = split_title(&i.title);
        let team: Vec<String> = i
            .team
            .iter()
            .map(|m| format!("{}@{}", m.name, m.org_id))
            .collect();
        let codes: Vec<&str> = i.disciplines.iter().map(|d| d.as_str()).collect();
        // `KEY` or `KEY:text`, as `keyed_notes` reads them back.
        let keyed = |keys: &mut dyn Iterator<Item = &String>, notes: &BTreeMap<String, String>| {
            keys.map(|k| match notes.get(k) {
                Some(text) => format!("{k}:{text}"),
                None => k.clone(),
            })
            .collect::<Vec<_>>()
            .join(";")
        };
        ProjectRow {
            id: i.key.clone(),
            title_zh: title_zh.into(),
            title_en: title_en.into(),
            applicant_org_id: i.applicant_orgs.join(";"),
            team: team.join(";"),
            disciplines: codes.join(";"),
            keywords_zh: i.keywords.join(";"),
            abstract_zh: i.abstract_text.clone(),
            requested_avoid: keyed(&mut i.requested_avoid.iter(), &i.avoid_reasons),
            prior_role: keyed(&mut i.prior_roles.keys(), &i.prior_roles),
            earlier_items: i.earlier_items.join(";"),
        }
    }
}

/// `(title_zh, title_en)` whose reading gives `title` back: the last single space that leaves
/// at most `TITLE_ZH_MAX` characters before it (a title without one stays whole; reading it
/// back then names the line).
fn split_title(title: &str) -> (&str, &str) {
    if title.chars().count() <= TITLE_ZH_MAX {
        return (title, "");
    }
    let chars: Vec<(usize, char)> = title.char_indices().collect();
    (1..chars.len().saturating_sub(1).min(TITLE_ZH_MAX + 1))
        .rev()
        .find(|&i| {
            chars[i].1 == ' ' && !chars[i - 1].1.is_whitespace() && !chars[i + 1].1.is_whitespace()
        })
        .map(|i| (&title[..chars[i].0], &title[chars[i].0 + 1..]))
        .unwrap_or((title, ""))
}
