//! The profile form as people fill it: disciplines and organizations picked by name (or
//! code) from suggestion lists, work history, relations and unavailable dates as rows; turned
//! into the domain's raw input (names resolved to codes here, at the edge), and a stored
//! profile turned back into rows with names.

use crate::domain::expert::{EmploymentInput, ExpertInput, ExpertProfile, RelationInput};
use crate::domain::ValidationError;
use serde::Serialize;
use std::collections::BTreeMap;

/// Names and codes of the reference data the pickers offer.
pub(crate) struct Pickers {
    /// Organization code → name in the reader's language.
    pub orgs: BTreeMap<String, String>,
    /// Discipline code → name.
    pub disciplines: BTreeMap<String, String>,
}

impl Pickers {
    /// An organization typed or picked: its name, its code, or `name（code）`.
    fn org_code(&self, typed: &str) -> String {
        let typed = typed.trim();
        if let Some(code) = inner_code(typed) {
            return code;
        }
        if self.orgs.contains_key(typed) {
            return typed.to_string();
        }
        self.orgs
            .iter()
            .find(|(_, name)| name.as_str() == typed)
            .map_or_else(|| typed.to_string(), |(code, _)| code.clone())
    }

    /// A discipline typed or picked: `45020 冶金工程`, `45020` or `冶金工程`.
    fn discipline_code(&self, typed: &str) -> String {
        let typed = typed.trim();
        let first = typed.split_whitespace().next().unwrap_or_default();
        if first.chars().all(|c| c.is_ascii_digit()) && !first.is_empty() {
            return first.to_string();
        }
        self.disciplines
            .iter()
            .find(|(_, name)| name.as_str() == typed)
            .map_or_else(|| typed.to_string(), |(code, _)| code.clone())
    }

    fn org_label(&self, code: &str) -> String {
        self.orgs
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_string())
    }

    fn discipline_label(&self, code: &str) -> String {
        match self.disciplines.get(code) {
            Some(name) => format!("{code} {name}"),
            None => code.to_string(),
        }
    }
}

/// `兰州大学（lzu）` or `兰州大学 (lzu)` → `lzu`.
fn inner_code(typed: &str) -> Option<String> {
    let open = typed.rfind(['（', '('])?;
    let inner = typed[open..]
        .trim_start_matches(['（', '('])
        .trim_end_matches(['）', ')']);
    (!inner.is_empty()
        && inner
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
    .then(|| inner.to_string())
}

/// A past employer with its years.
#[derive(Debug, Clone, Default, FromForm, Serialize)]
pub(super) struct JobRow {
    #[field(default = String::new())]
    org: String,
    #[field(default = String::new())]
    from: String,
    #[field(default = String::new())]
    to: String,
}

/// A declared relation: kind, the person and/or the organization, the years.
#[derive(Debug, Clone, Default, FromForm, Serialize)]
pub(super) struct RelationRow {
    #[field(default = String::new())]
    kind: String,
    #[field(default = String::new())]
    person: String,
    #[field(default = String::new())]
    org: String,
    #[field(default = String::new())]
    since: String,
    #[field(default = String::new())]
    until: String,
}

/// Dates the expert cannot serve.
#[derive(Debug, Clone, Default, FromForm, Serialize)]
pub(super) struct AwayRow {
    #[field(default = String::new())]
    from: String,
    #[field(default = String::new())]
    to: String,
}

/// The profile form.
#[derive(Debug, Clone, Default, FromForm, Serialize)]
pub(crate) struct ProfileForm {
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
    /// The employer as typed or picked (name or code).
    #[field(default = String::new())]
    org: String,
    #[field(default = String::new())]
    region: String,
    /// One picker per discipline, the primary first.
    #[field(default = Vec::new())]
    disciplines: Vec<String>,
    #[field(default = String::new())]
    keywords_zh: String,
    #[field(default = String::new())]
    keywords_en: String,
    #[field(default = String::new())]
    summary: String,
    #[field(default = Vec::new())]
    types: Vec<String>,
    #[field(default = String::new())]
    email: String,
    #[field(default = String::new())]
    phone: String,
    #[field(default = Vec::new())]
    jobs: Vec<JobRow>,
    #[field(default = Vec::new())]
    relations: Vec<RelationRow>,
    #[field(default = Vec::new())]
    away: Vec<AwayRow>,
    #[field(default = String::new())]
    field_since: String,
    #[field(default = String::new())]
    distinction: String,
    #[serde(skip)]
    #[field(default = String::new())]
    pub(crate) csrf: String,
    /// What an application to a call adds (`app.note`, `app.pledge`, `app.go`); the expert
    /// forms leave it out.
    #[serde(skip)]
    #[field(default = <ApplicationExtras as Default>::default())]
    pub(crate) app: ApplicationExtras,
}

/// The fields an application form has beyond the profile.
#[derive(Debug, Clone, Default, FromForm)]
pub(crate) struct ApplicationExtras {
    /// A note to the reviewers.
    #[field(default = String::new())]
    pub(crate) note: String,
    /// The pledge is ticked.
    #[field(default = false)]
    pub(crate) pledge: bool,
    /// `save` or `submit`.
    #[field(default = String::new())]
    pub(crate) go: String,
}

fn words(text: &str) -> Vec<String> {
    text.split(['\n', ';', '；', ',', '，', '、'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// Rows left empty are not entries: the form always offers a few blank ones.
fn blank(cells: &[&str]) -> bool {
    cells.iter().all(|c| c.trim().is_empty())
}

impl ProfileForm {
    pub(crate) fn into_input(self, pick: &Pickers) -> Result<ExpertInput, ValidationError> {
        let employments = self
            .jobs
            .iter()
            .filter(|j| !blank(&[&j.org, &j.from, &j.to]))
            .map(|j| EmploymentInput {
                org_id: pick.org_code(&j.org),
                from: j.from.trim().to_string(),
                to: j.to.trim().to_string(),
            })
            .collect();
        let relations = self
            .relations
            .iter()
            .filter(|r| !blank(&[&r.person, &r.org, &r.since, &r.until]))
            .map(|r| RelationInput {
                kind: r.kind.clone(),
                person_name: r.person.trim().to_string(),
                org_id: match r.org.trim() {
                    "" => String::new(),
                    org => pick.org_code(org),
                },
                since: r.since.trim().to_string(),
                until: r.until.trim().to_string(),
            })
            .collect();
        let unavailable = self
            .away
            .iter()
            .filter(|a| !blank(&[&a.from, &a.to]))
            .map(|a| match (a.from.trim(), a.to.trim()) {
                (from, "") => from.to_string(),
                ("", to) => to.to_string(),
                (from, to) => format!("{from}..{to}"),
            })
            .collect();
        Ok(ExpertInput {
            code: self.code,
            name: self.name,
            gender: self.gender,
            birth_year: self.birth_year,
            title: self.title,
            position: self.position,
            org_id: pick.org_code(&self.org),
            region: self.region,
            disciplines: self
                .disciplines
                .iter()
                .filter(|d| !d.trim().is_empty())
                .map(|d| pick.discipline_code(d))
                .collect(),
            keywords_zh: words(&self.keywords_zh),
            keywords_en: words(&self.keywords_en),
            summary: self.summary,
            types: self.types,
            email: self.email,
            phone: self.phone,
            employments,
            relations,
            unavailable,
            field_since: self.field_since,
            distinction: self.distinction,
        })
    }

    /// The disciplines filled in (blank rows left out).
    pub(crate) fn disciplines_typed(&self) -> impl Iterator<Item = &str> {
        self.disciplines
            .iter()
            .map(|d| d.trim())
            .filter(|d| !d.is_empty())
    }

    /// The form as shown again after an error: the values kept, the old token not, and
    /// blank rows to add more.
    pub(crate) fn without_token(&self) -> Self {
        ProfileForm {
            csrf: String::new(),
            ..self.clone()
        }
        .with_blank_rows()
    }

    /// Two empty rows under each list, for adding entries without script.
    pub(crate) fn with_blank_rows(mut self) -> Self {
        self.disciplines.retain(|d| !d.trim().is_empty());
        self.jobs.retain(|j| !blank(&[&j.org, &j.from, &j.to]));
        self.relations
            .retain(|r| !blank(&[&r.person, &r.org, &r.since, &r.until]));
        self.away.retain(|a| !blank(&[&a.from, &a.to]));
        for _ in 0..2 {
            self.disciplines.push(String::new());
            self.jobs.push(JobRow::default());
            self.relations.push(RelationRow::default());
            self.away.push(AwayRow::default());
        }
        self
    }

    /// The form of a profile as typed (an application's draft, which may not parse yet):
    /// codes shown by name where they resolve.
    pub(crate) fn from_input(p: &ExpertInput, pick: &Pickers) -> Self {
        let label = |code: &str| match code {
            "" => String::new(),
            code => pick.org_label(code),
        };
        ProfileForm {
            code: p.code.clone(),
            name: p.name.clone(),
            gender: p.gender.clone(),
            birth_year: p.birth_year.clone(),
            title: p.title.clone(),
            position: p.position.clone(),
            org: label(&p.org_id),
            region: p.region.clone(),
            disciplines: p
                .disciplines
                .iter()
                .map(|d| pick.discipline_label(d))
                .collect(),
            keywords_zh: p.keywords_zh.join("；"),
            keywords_en: p.keywords_en.join("; "),
            summary: p.summary.clone(),
            types: p.types.clone(),
            email: p.email.clone(),
            phone: p.phone.clone(),
            jobs: p
                .employments
                .iter()
                .map(|e| JobRow {
                    org: label(&e.org_id),
                    from: e.from.clone(),
                    to: e.to.clone(),
                })
                .collect(),
            relations: p
                .relations
                .iter()
                .map(|r| RelationRow {
                    kind: r.kind.clone(),
                    person: r.person_name.clone(),
                    org: label(&r.org_id),
                    since: r.since.clone(),
                    until: r.until.clone(),
                })
                .collect(),
            away: p
                .unavailable
                .iter()
                .map(|u| match u.split_once("..") {
                    Some((from, to)) => AwayRow {
                        from: from.to_string(),
                        to: to.to_string(),
                    },
                    None => AwayRow {
                        from: u.clone(),
                        to: u.clone(),
                    },
                })
                .collect(),
            field_since: p.field_since.clone(),
            distinction: p.distinction.clone(),
            ..Default::default()
        }
        .with_blank_rows()
    }

    pub(crate) fn from_profile(p: &ExpertProfile, pick: &Pickers) -> Self {
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
            org: pick.org_label(&p.org_id),
            region: p.region.as_str().into(),
            disciplines: p
                .disciplines
                .iter()
                .map(|d| pick.discipline_label(d.as_str()))
                .collect(),
            keywords_zh: p.keywords_zh.join("；"),
            keywords_en: p.keywords_en.join("; "),
            summary: p.summary.clone(),
            types: p.types.iter().map(|t| t.as_str().to_string()).collect(),
            email: p
                .email
                .as_ref()
                .map(|e| e.as_str().to_string())
                .unwrap_or_default(),
            phone: p.phone.clone(),
            jobs: p
                .employments
                .iter()
                .map(|e| JobRow {
                    org: pick.org_label(&e.org_id),
                    from: year(e.from),
                    to: year(e.to),
                })
                .collect(),
            relations: p
                .relations
                .iter()
                .map(|r| RelationRow {
                    kind: r.kind.to_string(),
                    person: r.person_name.clone().unwrap_or_default(),
                    org: r
                        .org_id
                        .as_deref()
                        .map(|o| pick.org_label(o))
                        .unwrap_or_default(),
                    since: year(r.since),
                    until: year(r.until),
                })
                .collect(),
            away: p
                .unavailable
                .iter()
                .map(|u| AwayRow {
                    from: u.from.to_string(),
                    to: u.to.to_string(),
                })
                .collect(),
            csrf: String::new(),
            app: ApplicationExtras::default(),
        }
        .with_blank_rows()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pickers() -> Pickers {
        Pickers {
            orgs: [("lzu".to_string(), "兰州大学".to_string())].into(),
            disciplines: [("45020".to_string(), "冶金工程".to_string())].into(),
        }
    }

    #[test]
    fn names_codes_and_labels_all_resolve_to_codes() {
        let p = pickers();
        for typed in ["兰州大学", "lzu", "兰州大学（lzu）", " 兰州大学 (lzu) "] {
            assert_eq!(p.org_code(typed), "lzu", "{typed}");
        }
        assert_eq!(
            p.org_code("不存在的大学"),
            "不存在的大学",
            "left for the checks to name"
        );
        for typed in ["45020 冶金工程", "45020", "冶金工程"] {
            assert_eq!(p.discipline_code(typed), "45020", "{typed}");
        }
    }

    #[test]
    fn blank_rows_are_no_entries_and_dates_make_ranges() {
        let form = ProfileForm {
            org: "兰州大学".into(),
            disciplines: vec!["冶金工程".into(), " ".into()],
            jobs: vec![
                JobRow {
                    org: "兰州大学（lzu）".into(),
                    from: "2001".into(),
                    to: "2010".into(),
                },
                JobRow::default(),
            ],
            away: vec![
                AwayRow {
                    from: "2026-12-01".into(),
                    to: "2026-12-03".into(),
                },
                AwayRow::default(),
            ],
            keywords_zh: "土壤，重金属；修复".into(),
            ..Default::default()
        };
        let input = form.into_input(&pickers()).unwrap();
        assert_eq!(input.org_id, "lzu");
        assert_eq!(input.disciplines, vec!["45020"]);
        assert_eq!(input.employments.len(), 1);
        assert_eq!(input.employments[0].org_id, "lzu");
        assert_eq!(input.unavailable, vec!["2026-12-01..2026-12-03"]);
        assert_eq!(input.keywords_zh, vec!["土壤", "重金属", "修复"]);
    }
}
