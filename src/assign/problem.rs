//! The engine's input: everything a draw needs, fully materialized and ordered.

use super::rules::Rules;
use crate::domain::expert::{DateRange, Employment, ExpertType, Gender, Region, Relation, Title};
use crate::domain::DisciplineCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A person on an item's team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMember {
    /// Name as written.
    pub name: String,
    /// Organization id.
    pub org_id: String,
    /// Optional identifier (ID number, ORCID …): when both sides have one, it decides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
}

/// A project or nomination to be reviewed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Stable key, e.g. `P00001`.
    pub key: String,
    /// Title.
    pub title: String,
    /// Applicant organizations, lead first.
    pub applicant_orgs: Vec<String>,
    /// Team, lead first.
    pub team: Vec<TeamMember>,
    /// Discipline codes, primary first.
    pub disciplines: Vec<DisciplineCode>,
    /// Keywords.
    pub keywords: Vec<String>,
    /// Abstract.
    pub abstract_text: String,
    /// Expert keys the applicant asked to avoid.
    pub requested_avoid: Vec<String>,
    /// The applicant's reason for each avoidance, by expert key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub avoid_reasons: BTreeMap<String, String>,
    /// Experts who drafted, guided or consulted on the item before (`prior_role`), with the
    /// role, by expert key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub prior_roles: BTreeMap<String, String>,
    /// Codes of earlier items this one continues (the application an acceptance checks):
    /// whoever reviewed them has a prior role here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub earlier_items: Vec<String>,
}

/// An expert as the engine sees them: the profile, shared by every problem made from the
/// same registry snapshot (at province scale, building and freeing 30,000 copies of every
/// profile cost more than an analysis), and the standing in this event. Reads of profile
/// fields go through `Deref` (`candidate.name`); a write copies the profile first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The profile (serialized inline: the input's JSON is the same as with plain fields).
    #[serde(flatten)]
    pub profile: std::sync::Arc<CandidateProfile>,
    /// `None` when the expert may serve in the event's pool; otherwise why not
    /// (e.g. "review pool membership is suspended").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactive_reason: Option<String>,
    /// Reviews in the busiest 365-day window containing the event (accepted + pending
    /// invitations of other events: `domain::tracking::reviews_in_window`).
    pub recent_reviews: u32,
    /// Half-days the expert already holds a seat in another event (pending or accepted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub busy: Vec<Busy>,
}

/// What the engine reads of an expert's profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateProfile {
    /// Stable key, e.g. `E00001` (used for tie-breaking and the seeded noise).
    pub key: String,
    /// Name.
    pub name: String,
    /// Optional person identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    /// Gender.
    pub gender: Gender,
    /// Title rank.
    pub title: Title,
    /// Current employer.
    pub org_id: String,
    /// Region.
    pub region: Region,
    /// Types.
    pub types: BTreeSet<ExpertType>,
    /// Disciplines, primary first.
    pub disciplines: Vec<DisciplineCode>,
    /// Keywords (any language).
    pub keywords: Vec<String>,
    /// Research summary.
    pub summary: String,
    /// Past employers.
    pub employments: Vec<Employment>,
    /// Declared relations.
    pub relations: Vec<Relation>,
    /// Unavailable date ranges.
    pub unavailable: Vec<DateRange>,
}

impl std::ops::Deref for Candidate {
    type Target = CandidateProfile;
    fn deref(&self) -> &CandidateProfile {
        &self.profile
    }
}

impl std::ops::DerefMut for Candidate {
    fn deref_mut(&mut self) -> &mut CandidateProfile {
        std::sync::Arc::make_mut(&mut self.profile)
    }
}

impl Candidate {
    /// A candidate with this profile and standing, no seat elsewhere.
    pub fn new(
        profile: std::sync::Arc<CandidateProfile>,
        inactive_reason: Option<String>,
        recent_reviews: u32,
    ) -> Self {
        Candidate {
            profile,
            inactive_reason,
            recent_reviews,
            busy: Vec::new(),
        }
    }
}

/// A seat an expert holds in another event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Busy {
    /// The other event's code.
    pub event: String,
    /// The half-day.
    pub slot: crate::domain::event::HalfDay,
}

impl Candidate {
    /// Whether the expert passes an attribute filter.
    pub fn matches(&self, filter: &super::Filter) -> bool {
        filter.matches(self.title, &self.types, self.region, self.gender)
    }
}

/// A panel to be filled: its items are reviewed by the same experts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelSpec {
    /// Stable key, e.g. `EV001-APP-P01`.
    pub key: String,
    /// Time slot; panels sharing a slot exclude each other when the rules say so.
    #[serde(default)]
    pub slot: Option<String>,
    /// The day the panel meets (its slot's date); `None` means every date of the event.
    #[serde(default)]
    pub date: Option<NaiveDate>,
    /// Indices into [`Problem::items`].
    pub items: Vec<usize>,
    /// The half-day the panel meets in, when it meets (not for correspondence review): an
    /// expert busy elsewhere in it cannot sit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meets: Option<crate::domain::event::HalfDay>,
}

/// Why staff or the expert marked an (item, expert) pair, beyond what the data shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairNote {
    /// Item key.
    pub item: String,
    /// Expert key.
    pub expert: String,
    /// Reason as written.
    pub reason: String,
}

/// Staff and expert decisions that adjust the computed conflicts and the seating.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Overrides {
    /// Staff excluded the expert for the item (`staff`).
    #[serde(default)]
    pub staff_exclusions: Vec<PairNote>,
    /// The expert declared a conflict (`declared`).
    #[serde(default)]
    pub declared: Vec<PairNote>,
    /// The expert drafted, guided or consulted on the item before (`prior_role`).
    #[serde(default)]
    pub prior_roles: Vec<PairNote>,
    /// Name-only possible conflicts that staff cleared.
    #[serde(default)]
    pub cleared_possible: Vec<PairNote>,
    /// (panel key, expert key) pairs that must be seated: accepted invitations, pins.
    #[serde(default)]
    pub forced: Vec<(String, String)>,
    /// (panel key, expert key) pairs that may not be seated: decliners, removals.
    #[serde(default)]
    pub forbidden: Vec<(String, String)>,
}

/// A complete draw input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// Event key (for messages and the hash).
    pub event: String,
    /// Dates of the event; unavailability on any of them disqualifies.
    pub dates: Vec<NaiveDate>,
    /// Correspondence review (individual mode): the days experts work on their items;
    /// unavailability on any of them disqualifies too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<DateRange>,
    /// The rule set.
    pub rules: Rules,
    /// Items.
    pub items: Vec<Item>,
    /// Panels.
    pub panels: Vec<PanelSpec>,
    /// Candidate experts, in a stable order (by key).
    pub candidates: Vec<Candidate>,
    /// Organization display names by id (for readable reasons).
    #[serde(default)]
    pub org_names: BTreeMap<String, String>,
    /// Staff/expert adjustments.
    #[serde(default)]
    pub overrides: Overrides,
    /// Seed of the random component.
    pub seed: u64,
    /// Solver time limit in seconds.
    #[serde(default = "default_time_limit")]
    pub time_limit_secs: f64,
    /// Which documents the text fit's vocabulary and weights come from. An input that names
    /// none is engine 1's (items and experts together): draws stored before engine 2 replay
    /// bit for bit.
    #[serde(default, skip_serializing_if = "FitBasis::is_items_and_experts")]
    pub fit_basis: FitBasis,
}

/// The documents whose vocabulary and document frequencies weigh the text fit (DESIGN §7).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FitBasis {
    /// Engine 1: the event's items and every candidate together, computed anew for each
    /// problem.
    #[default]
    ItemsAndExperts,
    /// The candidates' profiles alone, items scored against them: the experts' side depends
    /// on the registry only, so it is computed once per registry version, not per draw.
    Experts,
}

impl FitBasis {
    /// Whether this is engine 1's basis (left out of the serialized input).
    pub fn is_items_and_experts(&self) -> bool {
        *self == FitBasis::ItemsAndExperts
    }
}

fn default_time_limit() -> f64 {
    30.0
}

impl Problem {
    /// The calendar year conflict windows count from (the event's first date).
    pub fn event_year(&self) -> i32 {
        use chrono::Datelike;
        self.dates.iter().min().map(|d| d.year()).unwrap_or(2000)
    }

    /// A readable name for an organization id: `兰州大学 (lzu)`.
    pub fn org_label(&self, org_id: &str) -> String {
        match self.org_names.get(org_id) {
            Some(name) => format!("{name} ({org_id})"),
            None => org_id.to_string(),
        }
    }

    /// Each candidate's position, by expert key.
    pub fn candidate_positions(&self) -> std::collections::HashMap<&str, usize> {
        self.candidates
            .iter()
            .enumerate()
            .map(|(ci, c)| (c.key.as_str(), ci))
            .collect()
    }

    /// The same input but perhaps for the seed: everything the analysis (conflicts, fit,
    /// eligibility) and the pre-solve diagnosis read is equal, so both can be reused. Profiles
    /// shared from one snapshot compare by address first (30,000 deep comparisons otherwise).
    pub fn same_but_seed(&self, other: &Problem) -> bool {
        // Destructured, so a new field must be considered here before this compiles.
        let Problem {
            event,
            dates,
            window,
            rules,
            items,
            panels,
            candidates,
            org_names,
            overrides,
            seed: _,
            time_limit_secs,
            fit_basis,
        } = self;
        let same_candidate = |a: &Candidate, b: &Candidate| {
            (std::sync::Arc::ptr_eq(&a.profile, &b.profile) || a.profile == b.profile)
                && a.inactive_reason == b.inactive_reason
                && a.recent_reviews == b.recent_reviews
                && a.busy == b.busy
        };
        *event == other.event
            && *dates == other.dates
            && *window == other.window
            && *rules == other.rules
            && *items == other.items
            && *panels == other.panels
            && candidates.len() == other.candidates.len()
            && candidates
                .iter()
                .zip(&other.candidates)
                .all(|(a, b)| same_candidate(a, b))
            && *org_names == other.org_names
            && *overrides == other.overrides
            && time_limit_secs.to_bits() == other.time_limit_secs.to_bits()
            && *fit_basis == other.fit_basis
    }

    /// SHA-256 of the canonical JSON of the input: a stored draw's fingerprint.
    pub fn input_hash(&self) -> String {
        use sha2::{Digest, Sha256};
        let json = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(Sha256::digest(&json))
    }

    /// A hash per part of the input that staff or experts change: `rules` (and dates),
    /// `items`, `panels`, `decisions` (exclusions, pins, declared conflicts) and `candidates`
    /// (who may serve and their profiles). Workloads and bookings elsewhere are left out: they
    /// move whenever another event invites, and are checked again live when invitations go out.
    pub fn part_hashes(&self) -> BTreeMap<String, String> {
        use sha2::{Digest, Sha256};
        let mut people = Sha256::new();
        for c in &self.candidates {
            let profile = Candidate {
                recent_reviews: 0,
                busy: Vec::new(),
                ..c.clone()
            };
            people.update(serde_json::to_vec(&profile).unwrap_or_default());
        }
        let mut parts = self.parts_but_candidates();
        parts.insert("candidates".into(), hex::encode(people.finalize()));
        parts
    }

    /// [`Problem::part_hashes`] of a draw stored in format 2 (`stored_input`): its candidates'
    /// part hashes the profiles' hash (computed once per registry snapshot) with who may
    /// serve, rather than every profile's JSON again. Marked `"scheme": "2"`, so a draw stored
    /// before is compared by the first scheme.
    pub fn part_hashes_over(&self, profiles_hash: &str) -> BTreeMap<String, String> {
        let serving: Vec<Option<&str>> = self
            .candidates
            .iter()
            .map(|c| c.inactive_reason.as_deref())
            .collect();
        let mut parts = self.parts_but_candidates();
        parts.insert("candidates".into(), part_hash(&(profiles_hash, &serving)));
        parts.insert("scheme".into(), "2".into());
        parts
    }

    fn parts_but_candidates(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("rules".to_string(), part_hash(&(&self.rules, &self.dates))),
            ("items".to_string(), part_hash(&self.items)),
            ("panels".to_string(), part_hash(&self.panels)),
            ("decisions".to_string(), part_hash(&self.overrides)),
        ])
    }

    /// A copy of everything but the candidates (the stored input's shell).
    pub fn clone_without_candidates(&self) -> Problem {
        Problem {
            event: self.event.clone(),
            dates: self.dates.clone(),
            window: self.window,
            rules: self.rules.clone(),
            items: self.items.clone(),
            panels: self.panels.clone(),
            candidates: Vec::new(),
            org_names: self.org_names.clone(),
            overrides: self.overrides.clone(),
            seed: self.seed,
            time_limit_secs: self.time_limit_secs,
            fit_basis: self.fit_basis,
        }
    }
}

fn part_hash<T: Serialize>(value: &T) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(
        serde_json::to_vec(value).unwrap_or_default(),
    ))
}

impl CandidateProfile {
    /// The engine's view of a stored profile.
    pub fn of(p: &crate::domain::expert::ExpertProfile) -> Self {
        CandidateProfile {
            key: p.code.clone(),
            name: p.name.clone(),
            identifier: None,
            gender: p.gender,
            title: p.title,
            org_id: p.org_id.clone(),
            region: p.region,
            types: p.types.clone(),
            disciplines: p.disciplines.clone(),
            keywords: p
                .keywords_zh
                .iter()
                .chain(&p.keywords_en)
                .cloned()
                .collect(),
            summary: p.summary.clone(),
            employments: p.employments.clone(),
            relations: p.relations.clone(),
            unavailable: p.unavailable.clone(),
        }
    }
}

impl Candidate {
    /// The engine's view of a stored profile, with its standing.
    pub fn from_profile(
        p: &crate::domain::expert::ExpertProfile,
        inactive_reason: Option<String>,
        recent_reviews: u32,
    ) -> Self {
        Candidate::new(
            std::sync::Arc::new(CandidateProfile::of(p)),
            inactive_reason,
            recent_reviews,
        )
    }
}
