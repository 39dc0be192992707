//! Who may sit on which panel, and why the others may not (DESIGN §6, first half).
//!
//! The result is the sparse arc set of the model: one arc per eligible (panel, expert) pair.
//! Every exclusion is kept with its reason, so that staff see per panel how many experts are
//! eligible and the diagnosis can name the binding rule.

use super::conflict::{find_conflicts, index_conflicts, Conflict, ConflictCode};
use super::fit::FitTable;
use super::problem::Problem;
use super::rules::ConflictMode;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Why an expert cannot sit on a panel.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Exclusion {
    /// Not an active member of the event's pool.
    Inactive {
        /// Why.
        reason: String,
    },
    /// Unavailable on a date of the panel.
    Unavailable {
        /// The date.
        date: NaiveDate,
    },
    /// A conflict of interest with an item (strict mode: any item; recuse mode: every item).
    Conflict {
        /// The first blocking conflict's code.
        code: ConflictCode,
    },
    /// Fit below `min_fit`.
    LowFit {
        /// The expert's fit for the panel (×1000, rounded, to keep the type `Eq`).
        permille: u32,
    },
    /// The rolling 12-month review cap is reached.
    OverCap {
        /// Reviews in the last 12 months.
        recent: u32,
    },
    /// Staff removed the expert from this panel, or the expert declined it.
    Forbidden,
    /// Already holds a seat in another event in the same half-day.
    Busy {
        /// The other event.
        event: String,
    },
}

impl Exclusion {
    /// A short code for counts: `same_org`, `unavailable`, `low_fit` …
    pub fn code(&self) -> &'static str {
        match self {
            Exclusion::Inactive { .. } => "inactive",
            Exclusion::Unavailable { .. } => "unavailable",
            Exclusion::Conflict { code } => code.as_str(),
            Exclusion::LowFit { .. } => "low_fit",
            Exclusion::OverCap { .. } => "over_12_month_cap",
            Exclusion::Forbidden => "removed",
            Exclusion::Busy { .. } => "busy_elsewhere",
        }
    }
}

/// An eligible (panel, expert) pair: a variable of the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Arc {
    /// Panel index.
    pub panel: usize,
    /// Candidate index.
    pub candidate: usize,
    /// Panel fit, 0..1.
    pub fit: f64,
    /// Items of the panel the expert must leave the room for (recuse mode).
    pub recused_items: Vec<usize>,
}

/// Eligibility of one panel.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PanelEligibility {
    /// Indices into [`Analysis::arcs`].
    pub arcs: Vec<usize>,
    /// Excluded candidates that were looked at, with the first reason that applies.
    pub excluded: Vec<(usize, Exclusion)>,
    /// Candidates never looked at because no item of the panel shares a discipline first
    /// level or a term with them and `min_fit` > 0: all "low fit".
    pub unrelated_low_fit: usize,
}

impl PanelEligibility {
    /// Exclusion counts by code, sorted by code.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = BTreeMap::new();
        for (_, e) in &self.excluded {
            *counts.entry(e.code()).or_default() += 1;
        }
        if self.unrelated_low_fit > 0 {
            *counts.entry("low_fit").or_default() += self.unrelated_low_fit;
        }
        counts
    }
}

/// Everything computed before the solve: conflicts, fit, arcs and exclusions, loads.
pub struct Analysis {
    /// Every conflict, sorted.
    pub conflicts: Vec<Conflict>,
    /// Fit of every related pair.
    pub fit: FitTable,
    /// Eligible pairs, grouped by panel in panel order, candidates ascending within a panel.
    pub arcs: Vec<Arc>,
    /// Per panel.
    pub panels: Vec<PanelEligibility>,
    /// Panels an expert may still take in this event (min of the per-event and 12-month caps).
    pub capacity: Vec<u32>,
}

/// The dates a panel meets: its slot's date when known, else every date of the event.
pub fn panel_dates(problem: &Problem, panel: usize) -> Vec<NaiveDate> {
    match (problem.panels[panel].date, problem.window) {
        (Some(d), _) => vec![d],
        // Correspondence review: the expert works on the items over the whole window.
        (None, Some(window)) => {
            let mut days: Vec<NaiveDate> = window
                .from
                .iter_days()
                .take_while(|d| *d <= window.to)
                .chain(problem.dates.iter().copied())
                .collect();
            days.sort();
            days.dedup();
            days
        }
        (None, None) => problem.dates.clone(),
    }
}

/// Computes the analysis of a problem.
pub fn analyze(problem: &Problem) -> Analysis {
    let rules = &problem.rules;
    let started = std::time::Instant::now();
    let conflicts = find_conflicts(problem);
    let by_pair = index_conflicts(&conflicts);
    let conflicts_ms = started.elapsed().as_secs_f64() * 1e3;
    let fit = FitTable::build(problem);
    if std::env::var_os("EXPERTPOOL_SOLVER_LOG").is_some() {
        eprintln!(
            "analysis: conflicts {conflicts_ms:.0} ms ({} found), fit {:.0} ms",
            conflicts.len(),
            started.elapsed().as_secs_f64() * 1e3 - conflicts_ms
        );
    }
    let capacity: Vec<u32> = problem
        .candidates
        .iter()
        .map(|c| {
            rules.max_panels_per_expert.min(
                rules
                    .max_reviews_per_12_months
                    .saturating_sub(c.recent_reviews),
            )
        })
        .collect();
    let forbidden: HashSet<(&str, &str)> = problem
        .overrides
        .forbidden
        .iter()
        .map(|(p, e)| (p.as_str(), e.as_str()))
        .collect();
    let exempt: Vec<usize> = (0..problem.candidates.len())
        .filter(|&ci| {
            rules
                .min_fit_exempt_types
                .iter()
                .any(|t| problem.candidates[ci].types.contains(t))
        })
        .collect();

    let mut arcs = Vec::new();
    let mut panels = Vec::with_capacity(problem.panels.len());
    for (pi, panel) in problem.panels.iter().enumerate() {
        let dates = panel_dates(problem, pi);
        let considered: BTreeSet<usize> = if rules.min_fit <= 0.0 {
            (0..problem.candidates.len()).collect()
        } else {
            panel
                .items
                .iter()
                .flat_map(|&i| fit.candidates_of(i))
                .chain(exempt.iter().copied())
                .collect()
        };
        let mut elig = PanelEligibility {
            unrelated_low_fit: problem.candidates.len() - considered.len(),
            ..Default::default()
        };
        for ci in considered {
            let c = &problem.candidates[ci];
            let unavailable = || {
                dates
                    .iter()
                    .find(|d| c.unavailable.iter().any(|r| r.contains(**d)))
                    .map(|date| Exclusion::Unavailable { date: *date })
            };
            let exclusion = match &c.inactive_reason {
                Some(reason) => Some(Exclusion::Inactive {
                    reason: reason.clone(),
                }),
                None => unavailable().or_else(|| {
                    let meets = panel.meets.as_ref()?;
                    c.busy
                        .iter()
                        .find(|b| b.slot.overlaps(meets))
                        .map(|b| Exclusion::Busy {
                            event: b.event.clone(),
                        })
                }),
            };
            let mut recused = Vec::new();
            let mut first_conflict = None;
            for &ii in &panel.items {
                if let Some(found) = by_pair.get(&(ii, ci)) {
                    if let Some(block) = found.iter().find(|c| c.blocks()) {
                        first_conflict.get_or_insert(block.code);
                        recused.push(ii);
                    }
                }
            }
            let conflict_excludes = match rules.conflict_mode {
                ConflictMode::Strict => !recused.is_empty(),
                ConflictMode::Recuse => recused.len() == panel.items.len(),
            };
            let panel_fit = fit.panel_fit(&panel.items, ci);
            let exclusion = exclusion.or_else(|| {
                if conflict_excludes {
                    first_conflict.map(|code| Exclusion::Conflict { code })
                } else if panel_fit < rules.min_fit && exempt.binary_search(&ci).is_err() {
                    Some(Exclusion::LowFit {
                        permille: (panel_fit * 1000.0).round() as u32,
                    })
                } else if capacity[ci] == 0 {
                    Some(Exclusion::OverCap {
                        recent: c.recent_reviews,
                    })
                } else if forbidden.contains(&(panel.key.as_str(), c.key.as_str())) {
                    Some(Exclusion::Forbidden)
                } else {
                    None
                }
            });
            match exclusion {
                Some(e) => elig.excluded.push((ci, e)),
                None => {
                    elig.arcs.push(arcs.len());
                    arcs.push(Arc {
                        panel: pi,
                        candidate: ci,
                        fit: panel_fit,
                        recused_items: recused,
                    });
                }
            }
        }
        panels.push(elig);
    }
    Analysis {
        conflicts,
        fit,
        arcs,
        panels,
        capacity,
    }
}

impl Analysis {
    /// The arc of a (panel, candidate) pair, if eligible.
    pub fn arc_of(&self, panel: usize, candidate: usize) -> Option<usize> {
        let arcs = &self.panels[panel].arcs;
        arcs.binary_search_by_key(&candidate, |&a| self.arcs[a].candidate)
            .ok()
            .map(|i| arcs[i])
    }

    /// The exclusion of a (panel, candidate) pair, if it was looked at and excluded.
    pub fn exclusion_of(&self, panel: usize, candidate: usize) -> Option<&Exclusion> {
        self.panels[panel]
            .excluded
            .iter()
            .find(|(c, _)| *c == candidate)
            .map(|(_, e)| e)
    }

    /// Blocking conflicts of a candidate with the items of a panel.
    pub fn conflicts_with_panel<'a>(
        &'a self,
        problem: &'a Problem,
        panel: usize,
        candidate: usize,
    ) -> Vec<&'a Conflict> {
        let items: HashSet<usize> = problem.panels[panel].items.iter().copied().collect();
        self.conflicts
            .iter()
            .filter(|c| c.candidate == candidate && items.contains(&c.item))
            .collect()
    }

    /// Eligible candidates per panel as a lookup (panel, candidate) → arc.
    pub fn arc_map(&self) -> HashMap<(usize, usize), usize> {
        self.arcs
            .iter()
            .enumerate()
            .map(|(i, a)| ((a.panel, a.candidate), i))
            .collect()
    }
}
