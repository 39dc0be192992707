//! Calls for experts (征集通知): a pool, a text, the dates applications are taken, the
//! disciplines and numbers sought, the documents required. Parsed once here; the web edge
//! turns discipline names into codes before.

use super::discipline::DisciplineCode;
use super::expert::parse_date;
use super::membership::Pool;
use super::validation::{optional_text, required_text};
use super::ValidationError;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

text_enum!(
    /// A document an applicant uploads.
    DocumentKind, "documents" {
        /// The professional title certificate (职称证书).
        TitleCertificate = "title_certificate",
        /// The employer's recommendation (单位推荐意见).
        Recommendation = "employer_recommendation",
        /// Anything else the call asks for.
        Other = "other"
    }
);

/// How many experts of a discipline (a code or a code prefix) the call seeks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sought {
    /// Discipline code (3 digits: the whole first level; 5: one second-level discipline).
    pub discipline: DisciplineCode,
    /// How many.
    pub count: u32,
}

/// Where a call stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    /// Not yet taking applications.
    Upcoming,
    /// Taking applications.
    Open,
    /// Past its closing date.
    Closed,
}

/// A call as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Call {
    /// Id.
    pub id: i64,
    /// The pool it recruits for.
    pub pool: Pool,
    /// Title.
    pub title: String,
    /// The call's text.
    pub body: String,
    /// First day applications are taken.
    pub opens_on: NaiveDate,
    /// Last day applications are taken.
    pub closes_on: NaiveDate,
    /// Disciplines and numbers sought.
    pub sought: Vec<Sought>,
    /// Documents required.
    pub documents: Vec<DocumentKind>,
}

impl Call {
    /// Where the call stands on `today`.
    pub fn status(&self, today: NaiveDate) -> CallStatus {
        if today < self.opens_on {
            CallStatus::Upcoming
        } else if today > self.closes_on {
            CallStatus::Closed
        } else {
            CallStatus::Open
        }
    }

    /// The sought entry an expert counts toward: the first whose code their primary
    /// discipline starts with.
    pub fn sought_for(&self, primary: &str) -> Option<usize> {
        self.sought
            .iter()
            .position(|s| primary.starts_with(s.discipline.as_str()))
    }
}

/// A call as typed: text fields, sought lines already turned into `code count` pairs.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CallInput {
    /// `review` or `advisory`.
    pub pool: String,
    /// Title.
    pub title: String,
    /// Text.
    #[serde(default)]
    pub body: String,
    /// `YYYY-MM-DD`.
    pub opens_on: String,
    /// `YYYY-MM-DD`.
    pub closes_on: String,
    /// `(discipline code, count)` per line sought.
    #[serde(default)]
    pub sought: Vec<(String, String)>,
    /// Document kinds required.
    #[serde(default)]
    pub documents: Vec<String>,
}

/// Longest title and text.
const TITLE_MAX: usize = 200;
const BODY_MAX: usize = 20_000;

impl CallInput {
    /// The call this input describes (id 0); errors name the field and the line.
    pub fn parse(&self) -> Result<Call, ValidationError> {
        let pool = Pool::parse(&self.pool)?;
        let title = required_text("title", &self.title, TITLE_MAX)?;
        let body = optional_text("body", &self.body, BODY_MAX).or_else(|e| {
            // A call's text has paragraphs: tabs and line breaks are fine, other control
            // characters are not.
            if self
                .body
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
            {
                Err(e)
            } else {
                Ok(self.body.trim().replace('\r', ""))
            }
        })?;
        let opens_on = parse_date("opens_on", &self.opens_on)?;
        let closes_on = parse_date("closes_on", &self.closes_on)?;
        if closes_on < opens_on {
            return Err(ValidationError::new(
                "closes_on",
                format!("{closes_on} is before {opens_on}"),
            ));
        }
        let mut sought: Vec<Sought> = Vec::new();
        for (i, (code, count)) in self.sought.iter().enumerate() {
            let field = format!("sought[{i}]");
            let discipline = DisciplineCode::parse(code).map_err(|e| e.within(&field))?;
            let count: u32 = count
                .trim()
                .parse()
                .ok()
                .filter(|n| (1..=10_000).contains(n))
                .ok_or_else(|| {
                    ValidationError::new(
                        format!("{field}.count"),
                        format!("'{}' is not a number of experts", count.trim()),
                    )
                })?;
            if sought.iter().any(|s| s.discipline == discipline) {
                return Err(ValidationError::new(
                    field,
                    format!("{} appears twice", discipline.as_str()),
                ));
            }
            sought.push(Sought { discipline, count });
        }
        let mut documents = Vec::new();
        for d in &self.documents {
            let kind = DocumentKind::parse(d)?;
            if !documents.contains(&kind) {
                documents.push(kind);
            }
        }
        Ok(Call {
            id: 0,
            pool,
            title,
            body,
            opens_on,
            closes_on,
            sought,
            documents,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> CallInput {
        CallInput {
            pool: "review".into(),
            title: "2027年度评审专家征集".into(),
            body: "一、征集范围\n二、申报条件".into(),
            opens_on: "2026-12-01".into(),
            closes_on: "2026-12-31".into(),
            sought: vec![("83".into(), "1".into())],
            documents: vec!["title_certificate".into(), "title_certificate".into()],
        }
    }

    #[test]
    fn a_call_is_open_between_its_dates_inclusive() {
        let mut i = input();
        i.sought = vec![("830".into(), "10".into()), ("45020".into(), "8".into())];
        let call = i.parse().unwrap();
        let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
        assert_eq!(call.status(day("2026-11-30")), CallStatus::Upcoming);
        assert_eq!(call.status(day("2026-12-01")), CallStatus::Open);
        assert_eq!(call.status(day("2026-12-31")), CallStatus::Open);
        assert_eq!(call.status(day("2027-01-01")), CallStatus::Closed);
        assert_eq!(call.documents, vec![DocumentKind::TitleCertificate]);
        assert_eq!(call.sought_for("83015"), Some(0));
        assert_eq!(call.sought_for("45020"), Some(1));
        assert_eq!(call.sought_for("45030"), None);
        assert!(call.body.contains('\n'), "paragraphs are kept");
    }

    #[test]
    fn wrong_input_names_the_field_and_line() {
        assert_eq!(input().parse().unwrap_err().field, "sought[0].discipline");
        let mut i = input();
        i.sought = vec![("830".into(), "十".into())];
        assert_eq!(i.parse().unwrap_err().field, "sought[0].count");
        let mut i = input();
        i.closes_on = "2026-11-01".into();
        assert_eq!(i.parse().unwrap_err().field, "closes_on");
        let mut i = input();
        i.title = " ".into();
        assert_eq!(i.parse().unwrap_err().field, "title");
    }
}
