//! Why a draw is infeasible (DESIGN §8): each panel that cannot be filled, its binding rule
//! with counts, and the global supply of seats against the demand.

use super::eligibility::{Analysis, PanelEligibility};
use super::problem::Problem;
use super::rules::{ConflictMode, Filter};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Panel key, or `None` for a global finding.
    pub panel: Option<String>,
    /// The binding rule: `panel_size`, `max_per_org`, `min_count`, `leader`, `min_voting`,
    /// `same_slot_exclusive`, `workload`, `forced`.
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

/// Diagnoses a problem; the findings are empty only when no cause could be isolated.
pub fn diagnose(problem: &Problem, analysis: &Analysis) -> Diagnosis {
    let rules = &problem.rules;
    let k = rules.panel_size as usize;
    let mut findings = Vec::new();
    let mut slot_seats: BTreeMap<&str, (usize, BTreeSet<usize>)> = BTreeMap::new();
    for (pi, panel) in problem.panels.iter().enumerate() {
        let elig = &analysis.panels[pi];
        let eligible: Vec<usize> = elig
            .arcs
            .iter()
            .map(|&a| analysis.arcs[a].candidate)
            .collect();
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
                add("max_per_org", format!(
                    "panel {} needs {k} experts with at most {} per organization: the {} eligible come from only {} organizations",
                    panel.key, rules.max_per_org, eligible.len(), per_org.len()
                ));
            }
        }
        for (what, filter, count) in rules.requirements() {
            let n = eligible
                .iter()
                .filter(|&&ci| problem.candidates[ci].matches(filter))
                .count();
            if (n as u32) < count {
                let rule = if what.starts_with("a leader") {
                    "leader"
                } else {
                    "min_count"
                };
                add(
                    rule,
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
        if let (true, Some(slot)) = (rules.same_slot_exclusive, &panel.slot) {
            let entry = slot_seats.entry(slot.as_str()).or_default();
            entry.0 += k;
            entry.1.extend(eligible.iter().copied());
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
    let mut panels_of: BTreeMap<usize, u64> = BTreeMap::new();
    for arc in &analysis.arcs {
        *panels_of.entry(arc.candidate).or_default() += 1;
    }
    let supply: u64 = panels_of
        .iter()
        .map(|(&ci, &n)| n.min(analysis.capacity[ci] as u64))
        .sum();
    let seats = (problem.panels.len() * k) as u64;
    if supply < seats {
        findings.push(Finding {
            panel: None,
            rule: "workload".into(),
            message: format!("{seats} seats to fill but the eligible experts can take only {supply} within their workload caps"),
        });
    }
    if findings.is_empty() {
        findings.push(Finding {
            panel: None,
            rule: "combined".into(),
            message: format!(
                "every panel can be filled on its own, but not all at once: they compete for the same experts (workload {} per expert, time slots, organization caps, composition rules); seats {seats}, supply {supply}",
                rules.max_panels_per_expert
            ),
        });
    }
    Diagnosis {
        findings,
        seats,
        supply,
    }
}
