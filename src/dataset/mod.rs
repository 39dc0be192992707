//! The sample data folder format (shared/data/README.md): CSV and JSON files read into domain
//! types, with every error naming the file, the line and the field. Used by `import`, and by
//! `draw` / `conflicts` which run the engine on the files without a database; `export` writes
//! the format (`Dataset::write`).

pub mod events;
mod export;
mod rows;
pub mod sheet;

pub use events::{EventFile, EventSpec};
pub use export::{ExportError, Written};
pub use rows::{DisciplineRow as DisciplineCsv, HistoryRow, MembershipRow};

use crate::assign::problem::{Item, TeamMember};
use crate::domain::discipline::Discipline;
use crate::domain::expert::{EmploymentInput, ExpertInput, ExpertProfile, RelationInput};
use crate::domain::organization::{Organization, OrganizationInput};
use crate::domain::{DisciplineCode, ValidationError};
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// A load error: file, line and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file} line {line}, field {field}: {message}")]
pub struct LoadError {
    /// File name.
    pub file: String,
    /// 1-based line (1 = header), 0 when the whole file is at fault.
    pub line: u64,
    /// Field name.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl LoadError {
    fn file(file: &str, message: impl Into<String>) -> Self {
        LoadError {
            file: file.into(),
            line: 0,
            field: "-".into(),
            message: message.into(),
        }
    }
    fn at(file: &str, line: u64, e: ValidationError) -> Self {
        LoadError {
            file: file.into(),
            line,
            field: e.field,
            message: e.message,
        }
    }
}

/// Reads a CSV file with a header into rows of `T`, each with its line number.
pub fn read_csv<T: DeserializeOwned>(dir: &Path, file: &str) -> Result<Vec<(u64, T)>, LoadError> {
    let text = std::fs::read_to_string(dir.join(file))
        .map_err(|e| LoadError::file(file, e.to_string()))?;
    parse_csv(file, &text)
}

/// Parses CSV text with a header into rows of `T`.
pub fn parse_csv<T: DeserializeOwned>(file: &str, text: &str) -> Result<Vec<(u64, T)>, LoadError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| LoadError::file(file, e.to_string()))?
        .clone();
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            // Said plainly (the reader's own text names records and bytes, not rows).
            let message = match e.kind() {
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => format!("the row has {len} cells, the header {expected_len}"),
                csv::ErrorKind::Utf8 { .. } => "the row is not UTF-8 text".to_string(),
                _ => e.to_string(),
            };
            LoadError {
                file: file.into(),
                line,
                field: "-".into(),
                message,
            }
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let row: T = record.deserialize(Some(&headers)).map_err(|e| {
            let (field, message) = match e.kind() {
                csv::ErrorKind::Deserialize { err, .. } => (
                    err.field()
                        .and_then(|i| headers.get(i as usize))
                        .unwrap_or("-")
                        .to_string(),
                    err.kind().to_string(),
                ),
                _ => ("-".into(), e.to_string()),
            };
            LoadError {
                file: file.into(),
                line,
                field,
                message,
            }
        })?;
        out.push((line, row));
    }
    Ok(out)
}

fn split_list(raw: &str) -> Vec<String> {
    raw.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// Everything in a sample folder.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// organizations.csv
    pub organizations: Vec<Organization>,
    /// disciplines.csv
    pub disciplines: Vec<Discipline>,
    /// experts.csv with relations.csv merged in.
    pub experts: Vec<ExpertProfile>,
    /// memberships.csv (optional).
    pub memberships: Vec<MembershipRow>,
    /// history.csv (optional).
    pub history: Vec<HistoryRow>,
    /// projects.csv (optional).
    pub projects: Vec<Item>,
    /// events.json (optional).
    pub events: Vec<EventSpec>,
}

impl Dataset {
    /// Loads a folder; every reference (organization, discipline, expert) is checked.
    pub fn load(dir: &Path) -> Result<Self, LoadError> {
        if !dir.is_dir() {
            return Err(LoadError::file(
                &dir.display().to_string(),
                "is not a folder",
            ));
        }
        let mut data = Dataset::default();
        for (line, row) in read_csv::<OrganizationInput>(dir, "organizations.csv")? {
            data.organizations.push(
                Organization::try_from(row)
                    .map_err(|e| LoadError::at("organizations.csv", line, e))?,
            );
        }
        let embedded;
        let disciplines = if dir.join("disciplines.csv").exists() {
            read_csv::<rows::DisciplineRow>(dir, "disciplines.csv")?
        } else {
            embedded = parse_csv::<rows::DisciplineRow>(
                "disciplines.csv",
                crate::domain::discipline::CLASSIFICATION_CSV,
            )?;
            embedded
        };
        for (line, row) in disciplines {
            data.disciplines.push(
                row.into_domain()
                    .map_err(|e| LoadError::at("disciplines.csv", line, e))?,
            );
        }
        let known_codes: std::collections::HashSet<&str> =
            data.disciplines.iter().map(|d| d.code.as_str()).collect();
        let known_orgs: std::collections::HashSet<&str> =
            data.organizations.iter().map(|o| o.id.as_str()).collect();
        let org_regions: HashMap<&str, crate::domain::expert::Region> = data
            .organizations
            .iter()
            .map(|o| (o.id.as_str(), o.region))
            .collect();

        let mut relations: BTreeMap<String, Vec<RelationInput>> = BTreeMap::new();
        if dir.join("relations.csv").exists() {
            for (_, row) in read_csv::<rows::RelationRow>(dir, "relations.csv")? {
                relations
                    .entry(row.expert_id.clone())
                    .or_default()
                    .push(row.into_input());
            }
        }
        let mut lines_by_expert = BTreeMap::new();
        for (line, row) in read_csv::<rows::ExpertRow>(dir, "experts.csv")? {
            let mut input: ExpertInput = row
                .into_input()
                .map_err(|e| LoadError::at("experts.csv", line, e))?;
            input.relations = relations.remove(&input.code).unwrap_or_default();
            let code = input.code.clone();
            let profile = ExpertProfile::try_from(input)
                .map_err(|e| LoadError::at("experts.csv", line, e))?;
            check_refs(&profile, &known_codes, &known_orgs)
                .and_then(|()| match org_regions.get(profile.org_id.as_str()) {
                    Some(&region) => profile.check_region(region),
                    None => Ok(()),
                })
                .map_err(|e| LoadError::at("experts.csv", line, e))?;
            if lines_by_expert.insert(code.clone(), line).is_some() {
                return Err(LoadError::at(
                    "experts.csv",
                    line,
                    ValidationError::new("id", format!("{code} appears twice")),
                ));
            }
            data.experts.push(profile);
        }
        if let Some((expert, _)) = relations.into_iter().next() {
            return Err(LoadError::file(
                "relations.csv",
                format!("expert {expert} is not in experts.csv"),
            ));
        }
        if dir.join("memberships.csv").exists() {
            for (line, row) in read_csv::<MembershipRow>(dir, "memberships.csv")? {
                row.validate(&lines_by_expert)
                    .map_err(|e| LoadError::at("memberships.csv", line, e))?;
                data.memberships.push(row);
            }
        }
        if dir.join("history.csv").exists() {
            for (line, row) in read_csv::<HistoryRow>(dir, "history.csv")? {
                row.validate(&lines_by_expert)
                    .map_err(|e| LoadError::at("history.csv", line, e))?;
                data.history.push(row);
            }
        }
        if dir.join("projects.csv").exists() {
            for (line, row) in read_csv::<rows::ProjectRow>(dir, "projects.csv")? {
                data.projects.push(
                    row.into_item(&known_codes, &known_orgs)
                        .map_err(|e| LoadError::at("projects.csv", line, e))?,
                );
            }
        }
        if dir.join("events.json").exists() {
            let text = std::fs::read_to_string(dir.join("events.json"))
                .map_err(|e| LoadError::file("events.json", e.to_string()))?;
            let file: EventFile = serde_json::from_str(&text).map_err(|e| LoadError {
                file: "events.json".into(),
                line: e.line() as u64,
                field: "-".into(),
                message: e.to_string(),
            })?;
            data.events = file.events;
        }
        Ok(data)
    }
}

fn check_refs(
    p: &ExpertProfile,
    codes: &std::collections::HashSet<&str>,
    orgs: &std::collections::HashSet<&str>,
) -> Result<(), ValidationError> {
    for (i, d) in p.disciplines.iter().enumerate() {
        if !codes.contains(d.as_str()) {
            return Err(ValidationError::new(
                format!("disciplines[{i}]"),
                format!("{d} is not in the classification"),
            ));
        }
    }
    if !orgs.contains(p.org_id.as_str()) {
        return Err(ValidationError::new(
            "org_id",
            format!("unknown organization '{}'", p.org_id),
        ));
    }
    for (i, e) in p.employments.iter().enumerate() {
        if !orgs.contains(e.org_id.as_str()) {
            return Err(ValidationError::new(
                format!("past_orgs[{i}]"),
                format!("unknown organization '{}'", e.org_id),
            ));
        }
    }
    Ok(())
}

/// Parses the `past_orgs` field `org:from-to;…`.
pub fn parse_past_orgs(raw: &str) -> Result<Vec<EmploymentInput>, ValidationError> {
    split_list(raw)
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let (org, span) = part.split_once(':').ok_or_else(|| {
                ValidationError::new(
                    format!("past_orgs[{i}]"),
                    format!("'{part}' is not org:from-to"),
                )
            })?;
            let (from, to) = span.split_once('-').unwrap_or((span, ""));
            Ok(EmploymentInput {
                org_id: org.into(),
                from: from.into(),
                to: to.into(),
            })
        })
        .collect()
}

/// Parses a team `name@org;…`.
pub fn parse_team(raw: &str) -> Result<Vec<TeamMember>, ValidationError> {
    split_list(raw)
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let (name, org) = part.rsplit_once('@').ok_or_else(|| {
                ValidationError::new(format!("team[{i}]"), format!("'{part}' is not name@org"))
            })?;
            Ok(TeamMember {
                name: name.trim().into(),
                org_id: org.trim().into(),
                identifier: None,
            })
        })
        .collect()
}

/// Parses discipline codes of a `;` list, checking they exist.
pub fn parse_codes(
    field: &str,
    raw: &str,
    known: &std::collections::HashSet<&str>,
) -> Result<Vec<DisciplineCode>, ValidationError> {
    split_list(raw)
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let code = DisciplineCode::parse(c)
                .map_err(|e| ValidationError::new(format!("{field}[{i}]"), e.message))?;
            if known.contains(code.as_str()) {
                Ok(code)
            } else {
                Err(ValidationError::new(
                    format!("{field}[{i}]"),
                    format!("{code} is not in the classification"),
                ))
            }
        })
        .collect()
}

/// Parses items in the projects.csv format (`id,title_zh,title_en,applicant_org_id,team,
/// disciplines,keywords_zh,abstract_zh,requested_avoid`), checking codes and organizations
/// and refusing a repeated id; errors name the line and the field.
pub fn parse_items(
    file: &str,
    text: &str,
    codes: &std::collections::HashSet<&str>,
    orgs: &std::collections::HashSet<&str>,
) -> Result<Vec<Item>, LoadError> {
    let mut out: Vec<Item> = Vec::new();
    for (line, row) in parse_csv::<rows::ProjectRow>(file, text)? {
        let item = row
            .into_item(codes, orgs)
            .map_err(|e| LoadError::at(file, line, e))?;
        if out.iter().any(|i| i.key == item.key) {
            return Err(LoadError::at(
                file,
                line,
                ValidationError::new("id", format!("{} appears twice", item.key)),
            ));
        }
        out.push(item);
    }
    if out.is_empty() {
        return Err(LoadError::file(
            file,
            "no items: the file has a header but no rows",
        ));
    }
    Ok(out)
}
