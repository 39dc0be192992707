//! Who may sit on which panel, and why the others may not (DESIGN §6, first half).
//!
//! The result is the sparse arc set of the model: one arc per eligible (panel, expert) pair.
//! Every exclusion is kept with its reason, so that staff see per panel how many experts are
//! eligible and the diagnosis can name the binding rule.

use super::conflict::{find_conflicts_with, Conflict, ConflictCode, PeopleIndex};
use super::fit::FitTable;
use super::problem::Problem;
use super::profiles::ProfileIndex;
use super::rules::ConflictMode;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Why an expert cannot sit on a panel.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Exclusion {
    /// Not an active member of the event's pool.
    Inactive {
        /// Why (shared by every panel the expert is excluded from).
        reason: std::sync::Arc<str>,
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
    let started = std::time::Instant::now();
    let people = PeopleIndex::of(&problem.candidates);
    let conflicts = find_conflicts_with(problem, &people);
    let conflicts_ms = started.elapsed().as_secs_f64() * 1e3;
    let fit = FitTable::build(problem);
    finish(problem, conflicts, fit, started, conflicts_ms)
}

/// Computes the analysis with the profile-only part at hand (the service keeps it per
/// registry version). The result is the same as [`analyze`]'s; profiles that do not describe
/// the problem's candidates are not used.
pub fn analyze_with(problem: &Problem, profiles: &ProfileIndex) -> Analysis {
    if !profiles.describes(&problem.candidates) {
        return analyze(problem);
    }
    let started = std::time::Instant::now();
    // Conflicts and fit read the problem only: each on its own core.
    let (conflicts, conflicts_ms, fit) = std::thread::scope(|scope| {
        let fit = scope.spawn(|| FitTable::build_with(problem, profiles.texts.clone()));
        let conflicts = find_conflicts_with(problem, &profiles.people);
        let conflicts_ms = started.elapsed().as_secs_f64() * 1e3;
        let fit = fit.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        (conflicts, conflicts_ms, fit)
    });
    finish(problem, conflicts, fit, started, conflicts_ms)
}

/// The blocking conflicts of one panel, by candidate ascending: the first blocking code
/// (items in the panel's order, codes in order) and the items the candidate must leave the
/// room for.
fn panel_conflicts(
    conflicts: &[Conflict],
    items: &[usize],
) -> Vec<(usize, ConflictCode, Vec<usize>)> {
    let mut found: HashMap<usize, (ConflictCode, Vec<usize>)> = HashMap::new();
    for &ii in items {
        // Conflicts are sorted by (item, candidate, code).
        let from = conflicts.partition_point(|c| c.item < ii);
        let to = conflicts.partition_point(|c| c.item <= ii);
        let mut last = None;
        for c in conflicts[from..to].iter().filter(|c| c.blocks()) {
            if last == Some(c.candidate) {
                continue;
            }
            last = Some(c.candidate);
            found
                .entry(c.candidate)
                .or_insert((c.code, Vec::new()))
                .1
                .push(ii);
        }
    }
    let mut out: Vec<(usize, ConflictCode, Vec<usize>)> = found
        .into_iter()
        .map(|(ci, (code, items))| (ci, code, items))
        .collect();
    out.sort_unstable_by_key(|(ci, _, _)| *ci);
    out
}

fn finish(
    problem: &Problem,
    conflicts: Vec<Conflict>,
    fit: FitTable,
    started: std::time::Instant,
    conflicts_ms: f64,
) -> Analysis {
    let rules = &problem.rules;
    let fit_ms = started.elapsed().as_secs_f64() * 1e3 - conflicts_ms;
    let n = problem.candidates.len();
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
    let by_key = problem.candidate_positions();
    let forbidden: HashSet<(&str, usize)> = problem
        .overrides
        .forbidden
        .iter()
        .filter_map(|(p, e)| Some((p.as_str(), *by_key.get(e.as_str())?)))
        .collect();
    let exempt: Vec<usize> = (0..n)
        .filter(|&ci| {
            rules
                .min_fit_exempt_types
                .iter()
                .any(|t| problem.candidates[ci].types.contains(t))
        })
        .collect();

    let inactive: Vec<Option<std::sync::Arc<str>>> = problem
        .candidates
        .iter()
        .map(|c| c.inactive_reason.as_deref().map(std::sync::Arc::from))
        .collect();
    // Each panel on its own, with dense per-candidate scratch reused panel after panel (at
    // 30,000 experts a set or a map per panel cost more than the rules themselves); at
    // province scale the panels are split between two threads. Arc numbers are the panel's
    // own until they are merged, in panel order, below.
    let one_panel = |pi: usize,
                     considered: &mut Vec<bool>,
                     panel_fit: &mut Vec<f64>|
     -> (Vec<Arc>, PanelEligibility) {
        let panel = &problem.panels[pi];
        let mut arcs = Vec::new();
        let dates = panel_dates(problem, pi);
        considered.fill(rules.min_fit <= 0.0);
        panel_fit.fill(0.0);
        for &ii in &panel.items {
            // The panel's fit is the mean over its items, summed in the panel's item order
            // (pairs without a fit add nothing).
            for (ci, f) in fit.fits_of(ii) {
                considered[ci] = true;
                panel_fit[ci] += f.total();
            }
        }
        for &ci in &exempt {
            considered[ci] = true;
        }
        let blocking = panel_conflicts(&conflicts, &panel.items);
        let mut blocking = blocking.into_iter().peekable();
        let forbidden_here: Vec<usize> = {
            let mut v: Vec<usize> = forbidden
                .iter()
                .filter(|(p, _)| *p == panel.key)
                .map(|(_, ci)| *ci)
                .collect();
            v.sort_unstable();
            v
        };
        let items_len = panel.items.len() as f64;
        let mut elig = PanelEligibility::default();
        for ci in 0..n {
            if !considered[ci] {
                elig.unrelated_low_fit += 1;
                continue;
            }
            let c = &problem.candidates[ci];
            let unavailable = || {
                dates
                    .iter()
                    .find(|d| c.unavailable.iter().any(|r| r.contains(**d)))
                    .map(|date| Exclusion::Unavailable { date: *date })
            };
            let exclusion = match &inactive[ci] {
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
            // `blocking` is sorted by candidate and walked along with `ci`.
            while blocking.next_if(|(b, _, _)| *b < ci).is_some() {}
            let (first_conflict, recused) = match blocking.next_if(|(b, _, _)| *b == ci) {
                Some((_, code, items)) => (Some(code), items),
                None => (None, Vec::new()),
            };
            let conflict_excludes = match rules.conflict_mode {
                ConflictMode::Strict => !recused.is_empty(),
                ConflictMode::Recuse => recused.len() == panel.items.len(),
            };
            let panel_fit = if panel.items.is_empty() {
                0.0
            } else {
                panel_fit[ci] / items_len
            };
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
                } else if forbidden_here.binary_search(&ci).is_ok() {
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
        (arcs, elig)
    };
    let some_panels = |range: std::ops::Range<usize>| {
        let mut considered = vec![false; n];
        let mut panel_fit = vec![0.0f64; n];
        range
            .map(|pi| one_panel(pi, &mut considered, &mut panel_fit))
            .collect::<Vec<_>>()
    };
    let count = problem.panels.len();
    let done = if count < 2 || n * count < 100_000 {
        some_panels(0..count)
    } else {
        std::thread::scope(|scope| {
            let later = scope.spawn(|| some_panels(count / 2..count));
            let mut done = some_panels(0..count / 2);
            done.extend(
                later
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
            );
            done
        })
    };
    let mut arcs = Vec::new();
    let mut panels = Vec::with_capacity(count);
    for (panel_arcs, mut elig) in done {
        let base = arcs.len();
        for a in &mut elig.arcs {
            *a += base;
        }
        arcs.extend(panel_arcs);
        panels.push(elig);
    }
    if std::env::var_os("EXPERTPOOL_SOLVER_LOG").is_some() {
        eprintln!(
            "analysis: conflicts {conflicts_ms:.0} ms ({} found), fit {fit_ms:.0} ms, eligibility {:.0} ms",
            conflicts.len(),
            started.elapsed().as_secs_f64() * 1e3 - conflicts_ms - fit_ms
        );
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
