//! Why a draw is infeasible (DESIGN §8): each panel that cannot be filled, its binding rule
//! with counts, and the global supply of seats against the demand.
//!
//! Three passes, cheapest first. Each rule of each panel is counted on its own. A panel that
//! passes every count but still cannot be filled alone gets an irreducible set of rules that
//! bind only together (`irreducible`). When every panel can be filled alone, flow
//! relaxations of the whole problem find panels that cannot be filled together
//! (`together`). `draw` also runs this as a pre-check before every solve, so each pass only
//! claims what it has proven, and the re-solves are capped (`Budget`).

use super::eligibility::{Analysis, PanelEligibility};
use super::problem::Problem;
use super::rules::{ConflictMode, Filter};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

mod irreducible;
mod maxflow;
mod relaxation;
#[cfg(test)]
mod tests;
mod together;
mod words;

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Panel key, or `None` for a global finding.
    pub panel: Option<String>,
    /// The binding rule: `panel_size`, `max_per_org`, `min_count`, `min_share`, `leader`,
    /// `min_voting`, `same_slot_exclusive`, `workload`, `forced`; rules that bind only
    /// together are joined by `+` in that order (`min_count+max_per_org`); `combined` when no
    /// cause could be isolated; `unexamined` for panels left unsolved when the diagnosis ran
    /// out of re-solves.
    pub rule: String,
    /// A sentence with the counts.
    pub message: String,
}

/// The diagnosis of an infeasible problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    /// Findings, panels in order first.
    pub findings: Vec<Finding>,
    /// Seats to fill: panels × panel size.
    pub seats: u64,
    /// Seats the eligible experts can take: Σ min(capacity, eligible panels).
    pub supply: u64,
}

impl std::fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A long list helps nobody on a console: the first twenty, then a count.
        for finding in self.findings.iter().take(20) {
            writeln!(f, "- {}", finding.message)?;
        }
        if self.findings.len() > 20 {
            writeln!(f, "- … and {} more", self.findings.len() - 20)?;
        }
        write!(
            f,
            "seats to fill: {}; seats the eligible experts can take: {}",
            self.seats, self.supply
        )
    }
}

fn describe_counts(counts: &BTreeMap<&'static str, usize>) -> String {
    if counts.is_empty() {
        return "no one excluded".into();
    }
    counts
        .iter()
        .map(|(code, n)| format!("{n} {code}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Exclusion counts among the candidates that match `filter`.
fn counts_for(
    problem: &Problem,
    elig: &PanelEligibility,
    analysis: &Analysis,
    filter: &Filter,
) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    let matches = |ci: usize| problem.candidates[ci].matches(filter);
    for (ci, e) in &elig.excluded {
        if matches(*ci) {
            *counts.entry(e.code()).or_default() += 1;
        }
    }
    let considered = elig
        .excluded
        .iter()
        .map(|(c, _)| *c)
        .chain(elig.arcs.iter().map(|&a| analysis.arcs[a].candidate))
        .filter(|&c| matches(c))
        .count();
    let pool = (0..problem.candidates.len())
        .filter(|&c| matches(c))
        .count();
    if pool > considered {
        *counts.entry("low_fit").or_default() += pool - considered;
    }
    counts
}

/// Re-solves one pass of a diagnosis may still spend: a diagnosis of a large instance must
/// return in a couple of seconds, and it runs before every draw.
struct Budget {
    left: usize,
}

impl Budget {
    /// At most this many single-panel MIPs, and separately this many flow checks, per
    /// diagnosis.
    const SOLVES: usize = 40;

    fn new() -> Self {
        Budget { left: Self::SOLVES }
    }

    /// Spends one re-solve; `false` once none is left.
    fn take(&mut self) -> bool {
        self.take_above(0)
    }

    /// Spends one re-solve if more than `floor` are left.
    fn take_above(&mut self, floor: usize) -> bool {
        let ok = self.left > floor;
        if ok {
            self.left -= 1;
        }
        ok
    }
}

/// Diagnoses a problem; the findings are empty only when no cause could be isolated.
pub fn diagnose(problem: &Problem, analysis: &Analysis) -> Diagnosis {
    let mut findings = Vec::new();
    let mut solves = Budget::new();
    let mut undecided = 0;
    for pi in 0..problem.panels.len().min(analysis.panels.len()) {
        let alone = single_rule_findings(problem, analysis, pi);
        if !alone.is_empty() {
            findings.extend(alone);
            continue;
        }
        // Every count passed: only a solve can tell whether the rules bind together.
        let case = irreducible::PanelCase::new(problem, analysis, pi);
        match case.irreducible(&mut solves) {
            irreducible::Verdict::Infeasible(set) => {
                findings.push(words::panel_finding(&case, &set))
            }
            irreducible::Verdict::Undecided => undecided += 1,
            irreducible::Verdict::Feasible => {}
        }
    }
    let (seats, supply) = seats_and_supply(problem, analysis);
    let counted = global_findings(problem, analysis, seats, supply);
    if findings.is_empty() {
        let mut flows = Budget::new();
        let named = together::Together::new(problem, analysis).findings(&mut flows);
        // The flow relaxations imply the global counts, and name the panels besides.
        findings.extend(if named.is_empty() { counted } else { named });
    } else {
        findings.extend(counted);
    }
    if undecided > 0 && !findings.is_empty() {
        // Silence about the rest would read as "the rest are fine".
        findings.push(Finding {
            panel: None,
            rule: "unexamined".into(),
            message: format!(
                "{undecided} more panels passed every count but were not solved: the diagnosis stops after {} solves; fix the panels above and draw again",
                Budget::SOLVES
            ),
        });
    }
    if findings.is_empty() {
        findings.push(Finding {
            panel: None,
            rule: "combined".into(),
            message: format!(
                "every panel can be filled on its own, but not all at once: they compete for the same experts (workload {} per expert, time slots, organization caps, composition rules); seats {seats}, supply {supply}",
                problem.rules.max_panels_per_expert
            ),
        });
    }
    Diagnosis {
        findings,
        seats,
        supply,
    }
}

/// Seats to fill, and the seats the eligible experts can take within their caps.
fn seats_and_supply(problem: &Problem, analysis: &Analysis) -> (u64, u64) {
    let mut panels_of: BTreeMap<usize, u64> = BTreeMap::new();
    for arc in &analysis.arcs {
        *panels_of.entry(arc.candidate).or_default() += 1;
    }
    let supply: u64 = panels_of
        .iter()
        .map(|(&ci, &n)| n.min(analysis.capacity.get(ci).copied().unwrap_or(0) as u64))
        .sum();
    let seats = problem.panels.len() as u64 * problem.rules.panel_size as u64;
    (seats, supply)
}

/// Each rule of one panel, counted on its own.
fn single_rule_findings(problem: &Problem, analysis: &Analysis, pi: usize) -> Vec<Finding> {
    let rules = &problem.rules;
    let k = rules.panel_size as usize;
    let panel = &problem.panels[pi];
    let elig = &analysis.panels[pi];
    let eligible: Vec<usize> = elig
        .arcs
        .iter()
        .map(|&a| analysis.arcs[a].candidate)
        .collect();
    let mut findings = Vec::new();
    let mut add = |rule: &str, message: String| {
        findings.push(Finding {
            panel: Some(panel.key.clone()),
            rule: rule.into(),
            message,
        })
    };
    if eligible.len() < k {
        add(
            "panel_size",
            format!(
                "panel {} needs {k} experts: {} eligible — {}",
                panel.key,
                eligible.len(),
                describe_counts(&elig.counts())
            ),
        );
    } else {
        let mut per_org: BTreeMap<&str, usize> = BTreeMap::new();
        for &ci in &eligible {
            *per_org
                .entry(problem.candidates[ci].org_id.as_str())
                .or_default() += 1;
        }
        let seats: usize = per_org
            .values()
            .map(|&n| n.min(rules.max_per_org as usize))
            .sum();
        if seats < k {
            let orgs = match per_org.len() {
                1 => "1 organization".to_string(),
                n => format!("{n} organizations"),
            };
            add("max_per_org", format!(
                "panel {} needs {k} experts with at most {} per organization: the {} eligible come from only {orgs}",
                panel.key, rules.max_per_org, eligible.len()
            ));
        }
    }
    for (ri, (what, filter, count)) in rules.requirements().into_iter().enumerate() {
        let n = eligible
            .iter()
            .filter(|&&ci| problem.candidates[ci].matches(filter))
            .count();
        if (n as u32) < count {
            add(
                words::requirement_code(rules, ri),
                format!(
                    "panel {} needs {what}: {n} eligible — {}",
                    panel.key,
                    describe_counts(&counts_for(problem, elig, analysis, filter))
                ),
            );
        }
    }
    if rules.conflict_mode == ConflictMode::Recuse && panel.items.len() > 1 {
        let min_voting = rules.min_voting.unwrap_or(rules.panel_size) as usize;
        for &ii in &panel.items {
            let voting = elig
                .arcs
                .iter()
                .filter(|&&a| !analysis.arcs[a].recused_items.contains(&ii))
                .count();
            if voting < min_voting {
                add("min_voting", format!(
                    "panel {}: item {} needs {min_voting} voting members: {voting} eligible experts are free of conflicts with it",
                    panel.key, problem.items[ii].key
                ));
            }
        }
    }
    for (p, e) in &problem.overrides.forced {
        if *p == panel.key {
            let seated = problem.candidates.iter().position(|c| c.key == *e);
            let ok = seated.is_some_and(|ci| analysis.arc_of(pi, ci).is_some());
            if !ok {
                let why = seated
                    .and_then(|ci| analysis.exclusion_of(pi, ci))
                    .map(|x| x.code())
                    .unwrap_or("not a candidate or low_fit");
                add(
                    "forced",
                    format!(
                        "panel {}: {e} must be seated but is not eligible ({why})",
                        panel.key
                    ),
                );
            }
        }
    }
    findings
}

/// The counts across panels: seats per time slot, and seats against the workload caps.
fn global_findings(
    problem: &Problem,
    analysis: &Analysis,
    seats: u64,
    supply: u64,
) -> Vec<Finding> {
    let rules = &problem.rules;
    let k = rules.panel_size as usize;
    let mut findings = Vec::new();
    let mut slot_seats: BTreeMap<&str, (usize, BTreeSet<usize>)> = BTreeMap::new();
    if rules.same_slot_exclusive {
        for (pi, panel) in problem.panels.iter().enumerate() {
            if let (Some(slot), Some(elig)) = (&panel.slot, analysis.panels.get(pi)) {
                let entry = slot_seats.entry(slot.as_str()).or_default();
                entry.0 += k;
                entry
                    .1
                    .extend(elig.arcs.iter().map(|&a| analysis.arcs[a].candidate));
            }
        }
    }
    for (slot, (seats, people)) in slot_seats {
        if people.len() < seats {
            findings.push(Finding {
                panel: None,
                rule: "same_slot_exclusive".into(),
                message: format!("slot {slot} has {seats} seats but only {} distinct eligible experts (one panel per slot each)", people.len()),
            });
        }
    }
    if supply < seats {
        findings.push(Finding {
            panel: None,
            rule: "workload".into(),
            message: format!("{seats} seats to fill but the eligible experts can take only {supply} within their workload caps"),
        });
    }
    findings
}
