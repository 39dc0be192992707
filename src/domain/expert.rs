//! An expert's profile (DESIGN §3) and the parsing of its raw input.

use super::validation::{one_line, optional_text, required_text};
use super::{DisciplineCode, ValidationError};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

text_enum!(
    /// Gender as recorded (used by composition rules such as a share of women).
    Gender, "gender" { Male = "M" | "m" | "男" | "male", Female = "F" | "f" | "女" | "female" }
);
text_enum!(
    /// Professional title rank.
    Title, "title" {
        /// 正高 (full senior).
        Senior = "正高" | "senior",
        /// 副高 (associate senior).
        AssociateSenior = "副高" | "associate_senior",
        /// 中级 (intermediate).
        Intermediate = "中级" | "intermediate",
        /// Anything else.
        Other = "other" | "其他"
    }
);
text_enum!(
    /// Where the employer is: the city itself, elsewhere in the province, or outside it.
    Region, "region" { Local = "local", Province = "province", Outside = "outside" }
);
text_enum!(
    /// Kind of expertise an expert brings to a panel.
    ExpertType, "types" {
        /// Technical / scientific reviewer.
        Technical = "technical",
        /// Finance and accounting (budget checks on acceptance panels).
        Finance = "finance",
        /// Management.
        Management = "management",
        /// Legal.
        Legal = "legal"
    }
);
text_enum!(
    /// A distinction that raises the entry age limit (DESIGN §2: ≤ 70 for academicians and
    /// nationally recognized experts).
    Distinction, "distinction" {
        /// 两院院士 (member of the Chinese Academy of Sciences or of Engineering).
        Academician = "academician" | "院士",
        /// 国家级人才 (a nationally recognized expert).
        National = "national" | "国家级"
    }
);
text_enum!(
    /// The kind of a declared personal relation (DESIGN §5 `relation`).
    RelationKind, "kind" {
        /// The person supervised the expert.
        Advisor = "advisor",
        /// The expert supervised the person.
        Student = "student",
        /// Research collaborator (time-limited conflict).
        Collaborator = "collaborator",
        /// Close relative.
        Relative = "relative",
        /// Anything else the expert wants declared.
        Other = "other"
    }
);

/// A syntactically plausible e-mail address, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// One `@`, a non-empty local part, a dotted domain, no white space.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let text = raw.trim().to_lowercase();
        let valid = match text.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
                    && !text.chars().any(char::is_whitespace)
                    && text.len() <= 254
            }
            None => false,
        };
        if valid {
            Ok(Self(text))
        } else {
            Err(ValidationError::new(
                "email",
                format!("'{}' is not an e-mail address", raw.trim()),
            ))
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

/// Earliest and latest birth year accepted; outside this an entry is certainly a typo.
pub const BIRTH_YEAR_RANGE: std::ops::RangeInclusive<i32> = 1920..=2010;

/// Parses a calendar year in a plausible range for `field`.
pub fn parse_year(field: &str, raw: &str) -> Result<i32, ValidationError> {
    raw.trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (1900..=2100).contains(y))
        .ok_or_else(|| ValidationError::new(field, format!("'{}' is not a year", raw.trim())))
}

/// Parses an optional year: empty means `None`.
pub fn parse_optional_year(field: &str, raw: &str) -> Result<Option<i32>, ValidationError> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        parse_year(field, raw).map(Some)
    }
}

/// An inclusive range of dates, `from <= to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DateRange {
    /// First day.
    pub from: NaiveDate,
    /// Last day (inclusive).
    pub to: NaiveDate,
}

impl DateRange {
    /// Parses `YYYY-MM-DD..YYYY-MM-DD`; a single date is a one-day range.
    pub fn parse(field: &str, raw: &str) -> Result<Self, ValidationError> {
        let raw = raw.trim();
        let (a, b) = raw.split_once("..").unwrap_or((raw, raw));
        let from = parse_date(field, a)?;
        let to = parse_date(field, b)?;
        if from > to {
            return Err(ValidationError::new(
                field,
                format!("range '{raw}' ends before it starts"),
            ));
        }
        Ok(Self { from, to })
    }

    /// Whether `day` falls inside the range.
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }
}

impl std::fmt::Display for DateRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}..{}", self.from, self.to)
    }
}

/// Parses an ISO date `YYYY-MM-DD`.
pub fn parse_date(field: &str, raw: &str) -> Result<NaiveDate, ValidationError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| {
        ValidationError::new(
            field,
            format!("'{}' is not a date (YYYY-MM-DD)", raw.trim()),
        )
    })
}

/// A past or current job: organization id and the years it lasted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Employment {
    /// Organization id (slug).
    pub org_id: String,
    /// First year, if known.
    pub from: Option<i32>,
    /// Last year; `None` while ongoing.
    pub to: Option<i32>,
}

/// A relation the expert declared (one-sided), to a person or to a whole organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relation {
    /// Kind of relation.
    pub kind: RelationKind,
    /// The person; `None` for an organization-level relation (standing consultant/partner).
    pub person_name: Option<String>,
    /// The person's organization, or the organization itself.
    pub org_id: Option<String>,
    /// First year, if known.
    pub since: Option<i32>,
    /// Last year; `None` while ongoing or lifelong.
    pub until: Option<i32>,
}

/// A complete, valid expert profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpertProfile {
    /// Public reference such as `E00001`.
    pub code: String,
    /// Full name as written (Chinese names carry no spaces).
    pub name: String,
    /// Gender.
    pub gender: Gender,
    /// Year of birth.
    pub birth_year: i32,
    /// Title rank.
    pub title: Title,
    /// Position text (教授, 正高级工程师 …).
    pub position: String,
    /// Current employer id.
    pub org_id: String,
    /// Employer's region.
    pub region: Region,
    /// Discipline codes, primary first (1 to 5).
    pub disciplines: Vec<DisciplineCode>,
    /// Chinese keywords.
    pub keywords_zh: Vec<String>,
    /// English keywords.
    pub keywords_en: Vec<String>,
    /// Research summary.
    pub summary: String,
    /// Expertise types.
    pub types: BTreeSet<ExpertType>,
    /// Contact e-mail.
    pub email: Option<Email>,
    /// Contact phone.
    pub phone: String,
    /// Earlier employers, oldest first.
    pub employments: Vec<Employment>,
    /// Declared relations.
    pub relations: Vec<Relation>,
    /// Dates the expert cannot serve.
    pub unavailable: Vec<DateRange>,
    /// The year the expert started working in their field (entry rule: years in the field).
    #[serde(default)]
    pub field_since: Option<i32>,
    /// Academician or nationally recognized expert.
    #[serde(default)]
    pub distinction: Option<Distinction>,
}

/// Raw profile input as it arrives from a form, the JSON API or a CSV row: all text.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ExpertInput {
    /// See [`ExpertProfile::code`]; empty lets the service assign one.
    pub code: String,
    pub name: String,
    pub gender: String,
    pub birth_year: String,
    pub title: String,
    pub position: String,
    pub org_id: String,
    pub region: String,
    pub disciplines: Vec<String>,
    pub keywords_zh: Vec<String>,
    pub keywords_en: Vec<String>,
    pub summary: String,
    pub types: Vec<String>,
    pub email: String,
    pub phone: String,
    pub employments: Vec<EmploymentInput>,
    pub relations: Vec<RelationInput>,
    /// `YYYY-MM-DD..YYYY-MM-DD` ranges.
    pub unavailable: Vec<String>,
    /// Year started in the field (empty: unknown).
    pub field_since: String,
    /// `academician`, `national` or empty.
    pub distinction: String,
}

/// Raw employment input.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EmploymentInput {
    pub org_id: String,
    pub from: String,
    pub to: String,
}

/// Raw relation input.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RelationInput {
    pub kind: String,
    pub person_name: String,
    pub org_id: String,
    pub since: String,
    pub until: String,
}

/// Most secondary disciplines an expert may list besides the primary one.
pub const MAX_SECONDARY_DISCIPLINES: usize = 4;

fn clean_list(field: &str, raw: &[String], max_len: usize) -> Result<Vec<String>, ValidationError> {
    let mut out: Vec<String> = Vec::new();
    for (i, item) in raw.iter().enumerate() {
        let field = format!("{field}[{i}]");
        let text = optional_text(&field, item, max_len)?;
        if text.contains('\n') {
            return Err(ValidationError::new(field, "must fit on one line"));
        }
        if !text.is_empty() && !out.contains(&text) {
            out.push(text);
        }
    }
    Ok(out)
}

impl TryFrom<ExpertInput> for ExpertProfile {
    type Error = ValidationError;

    fn try_from(input: ExpertInput) -> Result<Self, Self::Error> {
        let birth_year = parse_year("birth_year", &input.birth_year)?;
        if !BIRTH_YEAR_RANGE.contains(&birth_year) {
            return Err(ValidationError::new(
                "birth_year",
                format!(
                    "{birth_year} is outside {}..={}",
                    BIRTH_YEAR_RANGE.start(),
                    BIRTH_YEAR_RANGE.end()
                ),
            ));
        }
        let mut disciplines = Vec::new();
        for (i, raw) in input.disciplines.iter().enumerate() {
            if raw.trim().is_empty() {
                continue;
            }
            let code = DisciplineCode::parse(raw).map_err(|e| ValidationError {
                field: format!("disciplines[{i}]"),
                message: e.message,
            })?;
            if !disciplines.contains(&code) {
                disciplines.push(code);
            }
        }
        if disciplines.is_empty() {
            return Err(ValidationError::new(
                "disciplines",
                "at least one discipline code is required",
            ));
        }
        if disciplines.len() > 1 + MAX_SECONDARY_DISCIPLINES {
            return Err(ValidationError::new(
                "disciplines",
                format!(
                    "at most {} codes (primary + {MAX_SECONDARY_DISCIPLINES} secondary)",
                    1 + MAX_SECONDARY_DISCIPLINES
                ),
            ));
        }
        let mut types = BTreeSet::new();
        for raw in input.types.iter().filter(|t| !t.trim().is_empty()) {
            types.insert(ExpertType::parse(raw)?);
        }
        let email = if input.email.trim().is_empty() {
            None
        } else {
            Some(Email::parse(&input.email)?)
        };
        let phone = optional_text("phone", &input.phone, 30)?;
        if !phone
            .chars()
            .all(|c| c.is_ascii_digit() || "+- ()".contains(c))
        {
            return Err(ValidationError::new(
                "phone",
                format!("'{phone}' may hold only digits, spaces and + - ( )"),
            ));
        }
        let employments = input
            .employments
            .iter()
            .enumerate()
            .map(|(i, e)| {
                parse_employment(e).map_err(|err| err.within(&format!("employments[{i}]")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let relations = input
            .relations
            .iter()
            .enumerate()
            .map(|(i, r)| parse_relation(r).map_err(|err| err.within(&format!("relations[{i}]"))))
            .collect::<Result<Vec<_>, _>>()?;
        let mut unavailable = input
            .unavailable
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.trim().is_empty())
            .map(|(i, r)| DateRange::parse(&format!("unavailable[{i}]"), r))
            .collect::<Result<Vec<_>, _>>()?;
        unavailable.sort();
        let field_since = parse_optional_year("field_since", &input.field_since)?;
        if let Some(y) = field_since {
            if y < birth_year + 14 {
                return Err(ValidationError::new(
                    "field_since",
                    format!("{y} is before the expert was 14 (born {birth_year})"),
                ));
            }
        }
        let distinction = match input.distinction.trim() {
            "" => None,
            raw => Some(Distinction::parse(raw)?),
        };
        Ok(ExpertProfile {
            code: optional_text("code", &input.code, 32)?,
            name: one_line("name", &input.name, 64)?,
            gender: Gender::parse(&input.gender)?,
            birth_year,
            title: Title::parse(&input.title)?,
            position: optional_text("position", &input.position, 128)?,
            org_id: required_text("org_id", &input.org_id, 64)?,
            region: Region::parse(&input.region)?,
            disciplines,
            keywords_zh: clean_list("keywords_zh", &input.keywords_zh, 64)?,
            keywords_en: clean_list("keywords_en", &input.keywords_en, 128)?,
            summary: optional_text("summary", &input.summary, 4000)?,
            types,
            email,
            phone,
            employments,
            relations,
            unavailable,
            field_since,
            distinction,
        })
    }
}

fn parse_employment(raw: &EmploymentInput) -> Result<Employment, ValidationError> {
    let from = parse_optional_year("from", &raw.from)?;
    let to = parse_optional_year("to", &raw.to)?;
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(ValidationError::new("to", format!("{t} is before {f}")));
        }
    }
    Ok(Employment {
        org_id: required_text("org_id", &raw.org_id, 64)?,
        from,
        to,
    })
}

fn parse_relation(raw: &RelationInput) -> Result<Relation, ValidationError> {
    let since = parse_optional_year("since", &raw.since)?;
    let until = parse_optional_year("until", &raw.until)?;
    if let (Some(s), Some(u)) = (since, until) {
        if s > u {
            return Err(ValidationError::new("until", format!("{u} is before {s}")));
        }
    }
    let person_name = optional_text("person_name", &raw.person_name, 64)?;
    let org_id = optional_text("org_id", &raw.org_id, 64)?;
    if person_name.is_empty() && org_id.is_empty() {
        return Err(ValidationError::new(
            "person_name",
            "a relation names a person, an organization, or both",
        ));
    }
    Ok(Relation {
        kind: RelationKind::parse(&raw.kind)?,
        person_name: (!person_name.is_empty()).then_some(person_name),
        org_id: (!org_id.is_empty()).then_some(org_id),
        since,
        until,
    })
}

impl ExpertProfile {
    /// The raw input that parses back into this profile (used to prefill edit forms).
    pub fn to_input(&self) -> ExpertInput {
        let year = |y: Option<i32>| y.map(|v| v.to_string()).unwrap_or_default();
        ExpertInput {
            code: self.code.clone(),
            name: self.name.clone(),
            gender: self.gender.as_str().into(),
            birth_year: self.birth_year.to_string(),
            title: self.title.as_str().into(),
            position: self.position.clone(),
            org_id: self.org_id.clone(),
            region: self.region.as_str().into(),
            disciplines: self.disciplines.iter().map(|d| d.to_string()).collect(),
            keywords_zh: self.keywords_zh.clone(),
            keywords_en: self.keywords_en.clone(),
            summary: self.summary.clone(),
            types: self.types.iter().map(|t| t.as_str().into()).collect(),
            email: self
                .email
                .as_ref()
                .map(|e| e.as_str().into())
                .unwrap_or_default(),
            phone: self.phone.clone(),
            employments: self
                .employments
                .iter()
                .map(|e| EmploymentInput {
                    org_id: e.org_id.clone(),
                    from: year(e.from),
                    to: year(e.to),
                })
                .collect(),
            relations: self
                .relations
                .iter()
                .map(|r| RelationInput {
                    kind: r.kind.as_str().into(),
                    person_name: r.person_name.clone().unwrap_or_default(),
                    org_id: r.org_id.clone().unwrap_or_default(),
                    since: year(r.since),
                    until: year(r.until),
                })
                .collect(),
            unavailable: self.unavailable.iter().map(|r| r.to_string()).collect(),
            field_since: year(self.field_since),
            distinction: self
                .distinction
                .map(|d| d.as_str().to_string())
                .unwrap_or_default(),
        }
    }

    /// Whether the expert is unavailable on `day`.
    pub fn unavailable_on(&self, day: NaiveDate) -> bool {
        self.unavailable.iter().any(|r| r.contains(day))
    }

    /// The region must be the employer's (DESIGN §3: region is where the employer is): a
    /// local employer's expert counted as "from outside" would break every share rule.
    pub fn check_region(&self, employer_region: Region) -> Result<(), ValidationError> {
        if self.region == employer_region {
            Ok(())
        } else {
            Err(ValidationError::new(
                "region",
                format!(
                    "the employer {} is {employer_region}, not {}: the region is the employer's",
                    self.org_id, self.region
                ),
            ))
        }
    }

    /// The profile after an employer change: the employer it left joins the work history
    /// (ending this year) unless the history already has it, so that the `past_org` conflict
    /// rule keeps seeing it.
    pub fn keeping_past_employer(mut self, before: &ExpertProfile, year: i32) -> ExpertProfile {
        if before.org_id != self.org_id
            && !before.org_id.is_empty()
            && !self.employments.iter().any(|e| e.org_id == before.org_id)
        {
            self.employments.push(Employment {
                org_id: before.org_id.clone(),
                from: None,
                to: Some(year),
            });
        }
        self
    }

    /// The year the expert's career in the field began: the recorded year, else the first
    /// year of the earliest job in the work history.
    pub fn career_start(&self) -> Option<i32> {
        self.field_since
            .or_else(|| self.employments.iter().filter_map(|e| e.from).min())
    }
}

mod pending;
pub use pending::PendingAttributes;

#[cfg(test)]
mod tests;
