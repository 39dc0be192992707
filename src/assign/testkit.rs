//! Small hand-made problems for the engine's unit tests.

use super::problem::{Candidate, Item, PanelSpec, Problem, TeamMember};
use super::rules::Rules;
use crate::domain::expert::{
    Employment, ExpertType, Gender, Region, Relation, RelationKind, Title,
};
use crate::domain::DisciplineCode;
use chrono::NaiveDate;

pub fn code(c: &str) -> DisciplineCode {
    DisciplineCode::parse(c).unwrap()
}

pub fn candidate(key: &str, name: &str, org: &str) -> Candidate {
    Candidate::new(
        std::sync::Arc::new(crate::assign::problem::CandidateProfile {
            key: key.into(),
            name: name.into(),
            identifier: None,
            gender: Gender::Male,
            title: Title::parse("正高").unwrap(),
            org_id: org.into(),
            region: Region::Local,
            types: [ExpertType::Technical].into_iter().collect(),
            disciplines: vec![code("45020")],
            keywords: vec!["铜冶炼".into()],
            summary: String::new(),
            employments: vec![],
            relations: vec![],
            unavailable: vec![],
        }),
        None,
        0,
    )
}

pub fn item(key: &str, org: &str, team: &[(&str, &str)]) -> Item {
    Item {
        key: key.into(),
        title: "铜冶炼烟气治理".into(),
        applicant_orgs: vec![org.into()],
        team: team
            .iter()
            .map(|(n, o)| TeamMember {
                name: (*n).into(),
                org_id: (*o).into(),
                identifier: None,
            })
            .collect(),
        disciplines: vec![code("45020")],
        keywords: vec!["铜冶炼".into()],
        abstract_text: String::new(),
        requested_avoid: vec![],
        avoid_reasons: Default::default(),
        prior_roles: Default::default(),
        earlier_items: vec![],
    }
}

pub fn employment(org: &str, from: i32, to: i32) -> Employment {
    Employment {
        org_id: org.into(),
        from: Some(from),
        to: Some(to),
    }
}

pub fn relation(
    kind: RelationKind,
    person: Option<&str>,
    org: &str,
    until: Option<i32>,
) -> Relation {
    Relation {
        kind,
        person_name: person.map(Into::into),
        org_id: Some(org.into()),
        since: Some(2015),
        until,
    }
}

/// One panel per item, rules with no composition requirements.
pub fn problem(items: Vec<Item>, candidates: Vec<Candidate>) -> Problem {
    let rules = Rules {
        panel_size: 1,
        min_count: vec![],
        min_share: vec![],
        leader: None,
        ..Rules::default()
    };
    Problem {
        event: "EV-T".into(),
        dates: vec![NaiveDate::from_ymd_opt(2026, 12, 15).unwrap()],
        window: None,
        rules,
        panels: (0..items.len())
            .map(|i| PanelSpec {
                key: format!("P{i}"),
                slot: None,
                date: None,
                items: vec![i],
                meets: None,
            })
            .collect(),
        items,
        candidates,
        org_names: Default::default(),
        overrides: Default::default(),
        seed: 7,
        time_limit_secs: 10.0,
        fit_basis: crate::assign::problem::FitBasis::Experts,
    }
}
