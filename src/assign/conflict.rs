//! Conflicts of interest (DESIGN §5): hard exclusions, each with a readable reason.

use super::problem::{Candidate, Item, PairNote, Problem, TeamMember};
use crate::domain::expert::RelationKind;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The rule a conflict falls under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictCode {
    /// Current employer is an applicant.
    SameOrg,
    /// Worked at an applicant within the window.
    PastOrg,
    /// On the item's team.
    TeamMember,
    /// A declared relation links the expert to the team or an applicant.
    Relation,
    /// The applicant asked to avoid the expert.
    Requested,
    /// Staff excluded the expert for this item.
    Staff,
    /// The expert declared a conflict.
    Declared,
    /// The expert drafted, guided or consulted on the item before.
    PriorRole,
    /// The expert is on the team of another item of the same event.
    CoApplicant,
    /// A name matched but the organization did not: possible, excluded unless cleared.
    PossibleNameOnly,
}

impl ConflictCode {
    /// Every code, in report order.
    pub const ALL: [ConflictCode; 10] = [
        ConflictCode::SameOrg,
        ConflictCode::PastOrg,
        ConflictCode::TeamMember,
        ConflictCode::Relation,
        ConflictCode::Requested,
        ConflictCode::Staff,
        ConflictCode::Declared,
        ConflictCode::PriorRole,
        ConflictCode::CoApplicant,
        ConflictCode::PossibleNameOnly,
    ];

    /// The stored / reported spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictCode::SameOrg => "same_org",
            ConflictCode::PastOrg => "past_org",
            ConflictCode::TeamMember => "team_member",
            ConflictCode::Relation => "relation",
            ConflictCode::Requested => "requested",
            ConflictCode::Staff => "staff",
            ConflictCode::Declared => "declared",
            ConflictCode::PriorRole => "prior_role",
            ConflictCode::CoApplicant => "co_applicant",
            ConflictCode::PossibleNameOnly => "possible_name_only",
        }
    }
}

/// One conflict between an item and a candidate.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Conflict {
    /// Index into `Problem::items`.
    pub item: usize,
    /// Index into `Problem::candidates`.
    pub candidate: usize,
    /// The rule.
    pub code: ConflictCode,
    /// Human-readable reason naming the people, organizations and years.
    pub reason: String,
    /// A possible (name-only) conflict that staff cleared: reported, not enforced.
    pub cleared: bool,
}

impl Conflict {
    /// Whether this conflict excludes the expert from the item.
    pub fn blocks(&self) -> bool {
        !self.cleared
    }
}

/// Names compare after removing white space and case (Chinese names carry no spaces; English
/// ones may be spelled with varying case and spacing).
pub fn normalize_name(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace() && *c != '·' && *c != '.')
        .flat_map(char::to_lowercase)
        .collect()
}

/// How a person on one side matches a person on the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PersonMatch {
    Certain,
    NameOnly,
    No,
}

fn match_person(a_name: &str, a_org: &str, a_id: Option<&str>, b: &TeamMember) -> PersonMatch {
    if let (Some(x), Some(y)) = (a_id, b.identifier.as_deref()) {
        return if x.trim() == y.trim() {
            PersonMatch::Certain
        } else {
            PersonMatch::No
        };
    }
    if normalize_name(a_name) != normalize_name(&b.name) {
        PersonMatch::No
    } else if a_org == b.org_id {
        PersonMatch::Certain
    } else {
        PersonMatch::NameOnly
    }
}

fn relation_in_window(kind: RelationKind, until: Option<i32>, year: i32, window: i32) -> bool {
    match kind {
        // Advisor/student and close relatives conflict without time limit (DESIGN §5).
        RelationKind::Advisor | RelationKind::Student | RelationKind::Relative => true,
        RelationKind::Collaborator | RelationKind::Other => {
            until.is_none_or(|u| u >= year - window)
        }
    }
}

fn years(since: Option<i32>, until: Option<i32>) -> String {
    match (since, until) {
        (Some(s), Some(u)) => format!(" ({s}–{u})"),
        (Some(s), None) => format!(" (since {s})"),
        (None, Some(u)) => format!(" (until {u})"),
        (None, None) => String::new(),
    }
}

/// Candidates indexed by everything a conflict rule looks them up by, so that the cost of
/// finding conflicts follows the number of matches, not items × experts. It depends on the
/// candidates' profiles alone, so the service keeps it per registry version.
#[derive(Debug, Default)]
pub struct PeopleIndex {
    by_org: HashMap<String, Vec<usize>>,
    by_past_org: HashMap<String, Vec<(usize, usize)>>,
    by_name: HashMap<String, Vec<usize>>,
    by_relation_name: HashMap<String, Vec<(usize, usize)>>,
    by_relation_org: HashMap<String, Vec<(usize, usize)>>,
    by_key: HashMap<String, usize>,
}

impl PeopleIndex {
    /// Indexes `candidates` by position.
    pub fn of(candidates: &[Candidate]) -> Self {
        let mut ix = PeopleIndex::default();
        for (ci, c) in candidates.iter().enumerate() {
            ix.by_org.entry(c.org_id.clone()).or_default().push(ci);
            ix.by_name
                .entry(normalize_name(&c.name))
                .or_default()
                .push(ci);
            ix.by_key.insert(c.key.clone(), ci);
            for (ei, e) in c.employments.iter().enumerate() {
                ix.by_past_org
                    .entry(e.org_id.clone())
                    .or_default()
                    .push((ci, ei));
            }
            for (ri, r) in c.relations.iter().enumerate() {
                match (&r.person_name, &r.org_id) {
                    (Some(name), _) => ix
                        .by_relation_name
                        .entry(normalize_name(name))
                        .or_default()
                        .push((ci, ri)),
                    (None, Some(org)) => ix
                        .by_relation_org
                        .entry(org.clone())
                        .or_default()
                        .push((ci, ri)),
                    (None, None) => {}
                }
            }
        }
        ix
    }

    /// Number of candidates indexed.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether no candidate is indexed.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

/// Computes every conflict of the problem, sorted by (item, candidate, code).
pub fn find_conflicts(problem: &Problem) -> Vec<Conflict> {
    find_conflicts_with(problem, &PeopleIndex::of(&problem.candidates))
}

/// [`find_conflicts`] with the candidates already indexed; `people` must index
/// `problem.candidates`.
pub fn find_conflicts_with(problem: &Problem, people: &PeopleIndex) -> Vec<Conflict> {
    let year = problem.event_year();
    let rules = &problem.rules;
    let cands = &problem.candidates;
    let mut out: BTreeMap<(usize, usize, ConflictCode), String> = BTreeMap::new();
    fn add(
        out: &mut BTreeMap<(usize, usize, ConflictCode), String>,
        item: usize,
        cand: usize,
        code: ConflictCode,
        reason: String,
    ) {
        out.entry((item, cand, code)).or_insert(reason);
    }
    let PeopleIndex {
        by_org,
        by_past_org,
        by_name,
        by_relation_name,
        by_relation_org,
        by_key,
    } = people;

    for (ii, item) in problem.items.iter().enumerate() {
        for org in &item.applicant_orgs {
            for &ci in by_org.get(org.as_str()).into_iter().flatten() {
                add(
                    &mut out,
                    ii,
                    ci,
                    ConflictCode::SameOrg,
                    format!(
                        "{} works at {}, an applicant of {}",
                        cands[ci].name,
                        problem.org_label(org),
                        item.key
                    ),
                );
            }
            for &(ci, ei) in by_past_org.get(org.as_str()).into_iter().flatten() {
                let e = &cands[ci].employments[ei];
                if e.to.is_none_or(|to| to >= year - rules.past_org_years) {
                    add(
                        &mut out,
                        ii,
                        ci,
                        ConflictCode::PastOrg,
                        format!(
                            "{} worked at {}{}, within {} years of {year}; it applies for {}",
                            cands[ci].name,
                            problem.org_label(org),
                            years(e.from, e.to),
                            rules.past_org_years,
                            item.key
                        ),
                    );
                }
            }
            for &(ci, ri) in by_relation_org.get(org.as_str()).into_iter().flatten() {
                let r = &cands[ci].relations[ri];
                if relation_in_window(r.kind, r.until, year, rules.relation_years) {
                    add(
                        &mut out,
                        ii,
                        ci,
                        ConflictCode::Relation,
                        format!(
                            "{} declared a {} relation with {}{}, an applicant of {}",
                            cands[ci].name,
                            r.kind,
                            problem.org_label(org),
                            years(r.since, r.until),
                            item.key
                        ),
                    );
                }
            }
        }
        for member in &item.team {
            let name = normalize_name(&member.name);
            for &ci in by_name.get(&name).into_iter().flatten() {
                let c = &cands[ci];
                match match_person(&c.name, &c.org_id, c.identifier.as_deref(), member) {
                    PersonMatch::Certain => add(&mut out, ii, ci, ConflictCode::TeamMember, format!(
                        "{} ({}) is on the team of {}", c.name, problem.org_label(&c.org_id), item.key
                    )),
                    PersonMatch::NameOnly => add(&mut out, ii, ci, ConflictCode::PossibleNameOnly, format!(
                        "team member {}@{} has the name of {}, who works at {}: possibly the same person",
                        member.name, problem.org_label(&member.org_id), c.name, problem.org_label(&c.org_id)
                    )),
                    PersonMatch::No => {}
                }
            }
            for &(ci, ri) in by_relation_name.get(&name).into_iter().flatten() {
                let c = &cands[ci];
                let r = &c.relations[ri];
                if !relation_in_window(r.kind, r.until, year, rules.relation_years) {
                    continue;
                }
                let person = r.person_name.as_deref().unwrap_or_default();
                let org = r.org_id.as_deref().unwrap_or_default();
                match match_person(person, org, None, member) {
                    PersonMatch::Certain => add(&mut out, ii, ci, ConflictCode::Relation, format!(
                        "{} declared {} {}@{}{}, who is on the team of {}",
                        c.name, r.kind, person, problem.org_label(org), years(r.since, r.until), item.key
                    )),
                    PersonMatch::NameOnly => add(&mut out, ii, ci, ConflictCode::PossibleNameOnly, format!(
                        "{} declared {} {}@{}; a team member of {} with that name works at {}: possibly the same person",
                        c.name, r.kind, person, problem.org_label(org), item.key, problem.org_label(&member.org_id)
                    )),
                    PersonMatch::No => {}
                }
            }
        }
        for key in &item.requested_avoid {
            if let Some(&ci) = by_key.get(key.as_str()) {
                let why = match item.avoid_reasons.get(key) {
                    Some(reason) => format!(": {reason}"),
                    None => String::new(),
                };
                add(
                    &mut out,
                    ii,
                    ci,
                    ConflictCode::Requested,
                    format!(
                        "the applicant of {} asked to avoid {} ({key}){why}",
                        item.key, cands[ci].name
                    ),
                );
            }
        }
        for (key, role) in &item.prior_roles {
            if let Some(&ci) = by_key.get(key.as_str()) {
                add(
                    &mut out,
                    ii,
                    ci,
                    ConflictCode::PriorRole,
                    format!(
                        "{} had a prior role on {}: {role}",
                        cands[ci].name, item.key
                    ),
                );
            }
        }
    }

    // Competitors: an expert on the team of one item conflicts with every other item.
    let on_team: BTreeSet<(usize, usize)> = out
        .keys()
        .filter(|(_, _, code)| *code == ConflictCode::TeamMember)
        .map(|(i, c, _)| (*i, *c))
        .collect();
    for &(own_item, ci) in &on_team {
        let reason = format!(
            "{} is on the team of {}, a competing item in the same event",
            cands[ci].name, problem.items[own_item].key
        );
        for ii in 0..problem.items.len() {
            if ii != own_item {
                add(&mut out, ii, ci, ConflictCode::CoApplicant, reason.clone());
            }
        }
    }

    let item_index: HashMap<&str, usize> = problem
        .items
        .iter()
        .enumerate()
        .map(|(i, it)| (it.key.as_str(), i))
        .collect();
    let notes: [(&[PairNote], ConflictCode, &str); 3] = [
        (
            &problem.overrides.staff_exclusions,
            ConflictCode::Staff,
            "staff excluded",
        ),
        (
            &problem.overrides.declared,
            ConflictCode::Declared,
            "the expert declared a conflict",
        ),
        (
            &problem.overrides.prior_roles,
            ConflictCode::PriorRole,
            "drafted, guided or consulted on the item before",
        ),
    ];
    for (list, code, what) in notes {
        for note in list {
            if let (Some(&ii), Some(&ci)) = (
                item_index.get(note.item.as_str()),
                by_key.get(note.expert.as_str()),
            ) {
                add(&mut out, ii, ci, code, format!("{what}: {}", note.reason));
            }
        }
    }

    let cleared: BTreeSet<(usize, usize)> = problem
        .overrides
        .cleared_possible
        .iter()
        .filter_map(|n| {
            Some((
                *item_index.get(n.item.as_str())?,
                *by_key.get(n.expert.as_str())?,
            ))
        })
        .collect();
    out.into_iter()
        .map(|((item, candidate, code), reason)| Conflict {
            item,
            candidate,
            code,
            reason,
            cleared: code == ConflictCode::PossibleNameOnly && cleared.contains(&(item, candidate)),
        })
        .collect()
}

/// Conflicts grouped for fast lookup: (item, candidate) → the conflicts of that pair.
pub fn index_conflicts(conflicts: &[Conflict]) -> HashMap<(usize, usize), Vec<&Conflict>> {
    let mut map: HashMap<(usize, usize), Vec<&Conflict>> = HashMap::new();
    for c in conflicts {
        map.entry((c.item, c.candidate)).or_default().push(c);
    }
    map
}

/// Whether a candidate is, as a person, on the given item's team (used by tests and explain).
pub fn on_team(candidate: &Candidate, item: &Item) -> bool {
    item.team.iter().any(|m| {
        match_person(
            &candidate.name,
            &candidate.org_id,
            candidate.identifier.as_deref(),
            m,
        ) == PersonMatch::Certain
    })
}

#[cfg(test)]
mod tests;
