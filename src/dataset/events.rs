//! events.json, and the engine input built from a sample folder for one event.

use super::{Dataset, LoadError};
use crate::assign::problem::{Candidate, PanelSpec, Problem};
use crate::assign::rules::Rules;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The file.
#[derive(Debug, Clone, Deserialize)]
pub struct EventFile {
    /// Events.
    pub events: Vec<EventSpec>,
}

/// A time slot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlotSpec {
    /// Slot id.
    pub id: String,
    /// Its date.
    pub date: NaiveDate,
    /// am / pm.
    #[serde(default)]
    pub part: String,
}

/// A correspondence-review window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowSpec {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
}

/// A panel of an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventPanel {
    /// Panel id.
    pub id: String,
    /// Slot id.
    #[serde(default)]
    pub slot: Option<String>,
    /// Item ids.
    pub items: Vec<String>,
}

/// An event of events.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventSpec {
    /// Id, e.g. `EV001-APP`.
    pub id: String,
    /// Kind.
    pub kind: String,
    /// `review` or `advisory`.
    pub pool: String,
    /// `panel` or `individual`.
    pub mode: String,
    /// Main (or deadline) date.
    pub date: NaiveDate,
    /// Meeting dates.
    #[serde(default)]
    pub dates: Vec<NaiveDate>,
    /// Time slots.
    #[serde(default)]
    pub slots: Vec<SlotSpec>,
    /// Review window (individual mode).
    #[serde(default)]
    pub window: Option<WindowSpec>,
    /// Rules.
    pub rules: Rules,
    /// Panels.
    pub panels: Vec<EventPanel>,
}

/// Rolling 12-month reviews around `date` per expert, from history.csv
/// (`domain::tracking::reviews_in_window`, as for the database).
pub fn recent_reviews(data: &Dataset, date: NaiveDate) -> HashMap<String, u32> {
    use crate::domain::tracking::{reviews_in_window, Participation};
    let mut by_expert: HashMap<&str, Vec<Participation>> = HashMap::new();
    for h in &data.history {
        if let Ok(d) = NaiveDate::parse_from_str(&h.event_date, "%Y-%m-%d") {
            by_expert
                .entry(h.expert_id.as_str())
                .or_default()
                .push(Participation {
                    event: h.event_id.clone(),
                    date: d,
                    response: h.response.clone(),
                    attendance: h.attendance.clone(),
                    ratings: None,
                });
        }
    }
    by_expert
        .into_iter()
        .map(|(e, p)| (e.to_string(), reviews_in_window(&p, date)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// Why an expert may not serve in `pool` on `date` according to memberships.csv (empty when
/// the folder has no memberships file: everyone is taken as an active member).
pub fn inactive_reasons(data: &Dataset, pool: &str, date: NaiveDate) -> HashMap<String, String> {
    use crate::domain::membership::{not_serving, MembershipState, Pool, Standing};
    let mut out = HashMap::new();
    let Ok(pool) = Pool::parse(pool) else {
        return out;
    };
    if data.memberships.is_empty() {
        return out;
    }
    // The latest row per expert counts (rows are in file order).
    let mut latest: HashMap<&str, &super::MembershipRow> = HashMap::new();
    for m in data.memberships.iter().filter(|m| m.pool == pool.as_str()) {
        latest.insert(m.expert_id.as_str(), m);
    }
    for e in &data.experts {
        let membership = latest.get(e.code.as_str()).and_then(|m| {
            let state = MembershipState::parse(&m.state).ok()?;
            Some(Standing {
                state,
                term_end: NaiveDate::parse_from_str(&m.term_end, "%Y-%m-%d").ok(),
                suspended_until: None,
            })
        });
        if let Some(reason) = not_serving(pool, membership, date) {
            out.insert(e.code.clone(), reason);
        }
    }
    out
}

impl Dataset {
    /// The engine input for one event of events.json.
    pub fn problem(&self, event_id: &str, seed: u64) -> Result<Problem, LoadError> {
        let err = |message: String| LoadError {
            file: "events.json".into(),
            line: 0,
            field: "event".into(),
            message,
        };
        let event = self
            .events
            .iter()
            .find(|e| e.id == event_id)
            .ok_or_else(|| {
                err(format!(
                    "no event '{event_id}'; events: {}",
                    self.events
                        .iter()
                        .map(|e| e.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
        let item_index: BTreeMap<&str, usize> = self
            .projects
            .iter()
            .enumerate()
            .map(|(i, p)| (p.key.as_str(), i))
            .collect();
        let slot_dates: HashMap<&str, NaiveDate> = event
            .slots
            .iter()
            .map(|s| (s.id.as_str(), s.date))
            .collect();
        let mut items = Vec::new();
        let mut panels = Vec::new();
        for panel in &event.panels {
            let mut indices = Vec::new();
            for key in &panel.items {
                let &i = item_index
                    .get(key.as_str())
                    .ok_or_else(|| err(format!("panel {} names unknown item {key}", panel.id)))?;
                indices.push(items.len());
                items.push(self.projects[i].clone());
            }
            let date = panel
                .slot
                .as_deref()
                .and_then(|s| slot_dates.get(s).copied());
            panels.push(PanelSpec {
                key: panel.id.clone(),
                slot: panel.slot.clone(),
                date,
                items: indices,
                meets: None,
            });
        }
        let dates = if event.dates.is_empty() {
            vec![event.date]
        } else {
            event.dates.clone()
        };
        let first = *dates.iter().min().unwrap_or(&event.date);
        let recent = recent_reviews(self, first);
        let inactive = inactive_reasons(self, &event.pool, first);
        let mut candidates: Vec<Candidate> = self
            .experts
            .iter()
            .map(|e| {
                Candidate::from_profile(
                    e,
                    inactive.get(&e.code).cloned(),
                    recent.get(&e.code).copied().unwrap_or(0),
                )
            })
            .collect();
        candidates.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Problem {
            event: event.id.clone(),
            dates,
            window: event
                .window
                .as_ref()
                .map(|w| crate::domain::expert::DateRange {
                    from: w.from,
                    to: w.to,
                }),
            rules: event.rules.clone(),
            items,
            panels,
            candidates,
            org_names: self
                .organizations
                .iter()
                .map(|o| (o.id.clone(), o.name_zh.clone()))
                .collect(),
            overrides: Default::default(),
            seed,
            time_limit_secs: 30.0,
            fit_basis: crate::assign::problem::FitBasis::Experts,
        })
    }
}
