//! Panels that can each be filled alone but not together.
//!
//! Sizes, organization caps, loads and time slots form a network (see `model`), and so does
//! one composition minimum on its own (each panel needs `count` of the matching experts).
//! A maximum flow on such a relaxation ([`relaxation`](super::relaxation)) proves
//! infeasibility without the full solve, which matters because this runs before every draw.
//! When the flow falls short, the panels on the sink side of a minimum cut cannot be filled
//! together; a deletion filter shrinks that set (each check's own cut shrinks it further),
//! and a second filter over the caps tells which ones bind it.

use super::relaxation::dense;
use super::{words, Budget, Finding};
use crate::assign::eligibility::Analysis;
use crate::assign::problem::Problem;
use crate::assign::rules::Filter;
use std::collections::{BTreeMap, BTreeSet};

/// What each panel of a flow check must receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Demand {
    /// Its full size, from anyone eligible.
    Size,
    /// The count of entry `i` of `Rules::requirements()`, from the eligible who match it.
    Requirement(usize),
}

/// The caps a flow check keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Caps {
    /// At most `max_per_org` per organization on a panel.
    pub org: bool,
    /// One panel per time slot per expert.
    pub slot: bool,
    /// Each expert's capacity (`max_panels_per_expert`, the 12-month cap).
    pub workload: bool,
    /// Pinned members sit first.
    pub pins: bool,
}

impl Caps {
    /// Every cap the rules set.
    fn all(rules: &crate::assign::rules::Rules) -> Self {
        Caps {
            org: true,
            slot: rules.same_slot_exclusive,
            workload: true,
            pins: true,
        }
    }
}

/// A panel set that cannot be filled together, and the caps that bind it.
pub(super) struct Clash {
    pub demand: Demand,
    pub caps: Caps,
    pub panels: Vec<usize>,
}

/// Flow checks the panel filter leaves for the caps filter, which names the rule.
const CAPS_RESERVE: usize = 3;

/// The whole problem, seen as flow relaxations.
pub(super) struct Together<'a> {
    pub problem: &'a Problem,
    pub analysis: &'a Analysis,
    pub requirements: Vec<(String, &'a Filter, u32)>,
    /// Pins on eligible pairs, as (panel, candidate).
    pub pins: BTreeSet<(usize, usize)>,
    /// Dense ids of each candidate's organization and each panel's slot, for fast lookups.
    pub org_id: Vec<usize>,
    pub slot_id: Vec<usize>,
}

impl<'a> Together<'a> {
    pub fn new(problem: &'a Problem, analysis: &'a Analysis) -> Self {
        let panel_of: BTreeMap<&str, usize> = problem
            .panels
            .iter()
            .enumerate()
            .map(|(pi, p)| (p.key.as_str(), pi))
            .collect();
        let candidate_of = problem.candidate_positions();
        let pins = problem
            .overrides
            .forced
            .iter()
            .filter_map(|(p, e)| Some((*panel_of.get(p.as_str())?, *candidate_of.get(e.as_str())?)))
            .filter(|&(pi, ci)| pi < analysis.panels.len() && analysis.arc_of(pi, ci).is_some())
            .collect();
        Together {
            problem,
            analysis,
            requirements: problem.rules.requirements(),
            pins,
            org_id: dense(problem.candidates.iter().map(|c| c.org_id.as_str())),
            slot_id: dense(
                problem
                    .panels
                    .iter()
                    .map(|p| p.slot.as_deref().unwrap_or("")),
            ),
        }
    }

    /// Named panel sets that cannot be filled together, for each demand in turn.
    pub fn findings(&self, budget: &mut Budget) -> Vec<Finding> {
        let rules = &self.problem.rules;
        let mut out = self.pin_findings();
        if !out.is_empty() {
            // Pins already break a cap: the flows would only restate it.
            return out;
        }
        let mut demands = vec![Demand::Size];
        demands.extend(
            (0..self.requirements.len())
                .filter(|&i| self.requirements[i].2 > 0)
                .map(Demand::Requirement),
        );
        let full = Caps::all(rules);
        let panels = self.problem.panels.len().min(self.analysis.panels.len());
        for demand in demands {
            let mut rest: Vec<usize> = (0..panels).collect();
            while budget.take() {
                let Some(cut) = self.check(demand, full, &rest) else {
                    break;
                };
                let small = self.shrink(demand, full, cut.clone(), budget);
                // A shortage spread over many panels is better told whole: the minimum cut
                // carries the full shortfall, a minimal subset only its last seat or two.
                let set = if small.len() <= words::NAMED_PANELS {
                    small
                } else {
                    cut
                };
                let caps = self.binding_caps(demand, &set, budget);
                rest.retain(|p| !set.contains(p));
                out.push(words::together_finding(
                    self,
                    &Clash {
                        demand,
                        caps,
                        panels: set,
                    },
                ));
            }
        }
        out
    }

    /// An expert pinned to more panels than their capacity, or to two panels of one slot.
    fn pin_findings(&self) -> Vec<Finding> {
        let mut by_expert: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for &(pi, ci) in &self.pins {
            by_expert.entry(ci).or_default().push(pi);
        }
        let mut out = Vec::new();
        for (ci, panels) in by_expert {
            let cap = self.capacity(ci);
            if panels.len() as i64 > cap {
                out.push(words::pinned_over_capacity(self.problem, ci, &panels, cap));
                continue;
            }
            if !self.problem.rules.same_slot_exclusive {
                continue;
            }
            let mut by_slot: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
            for &pi in &panels {
                if let Some(slot) = &self.problem.panels[pi].slot {
                    by_slot.entry(slot.as_str()).or_default().push(pi);
                }
            }
            for (slot, same) in by_slot {
                if same.len() > 1 {
                    out.push(words::pinned_in_one_slot(self.problem, ci, &same, slot));
                }
            }
        }
        out
    }

    pub fn capacity(&self, ci: usize) -> i64 {
        self.analysis.capacity.get(ci).copied().unwrap_or(0) as i64
    }

    fn filter(&self, demand: Demand) -> Option<&'a Filter> {
        match demand {
            Demand::Size => None,
            Demand::Requirement(i) => self.requirements.get(i).map(|r| r.1),
        }
    }

    /// Whether candidate `ci` counts towards `demand`.
    pub fn counts(&self, demand: Demand, ci: usize) -> bool {
        self.filter(demand)
            .is_none_or(|f| self.problem.candidates[ci].matches(f))
    }

    /// A deletion filter over the panels of a cut: drop some, re-check, keep them dropped
    /// when the rest still cannot be filled (and keep only the new cut's panels). It drops
    /// half the undecided panels at a time and halves the step when that makes the rest
    /// feasible, so that a shortage spread over hundreds of panels costs a few checks per
    /// panel kept, not one per panel. Later panels go first, so the earliest are named.
    fn shrink(
        &self,
        demand: Demand,
        caps: Caps,
        cut: Vec<usize>,
        budget: &mut Budget,
    ) -> Vec<usize> {
        let mut kept: Vec<usize> = Vec::new();
        let mut todo = cut;
        let mut step = todo.len() / 2;
        while !todo.is_empty() {
            if !budget.take_above(CAPS_RESERVE) {
                kept.append(&mut todo);
                break;
            }
            let step_now = step.clamp(1, todo.len());
            let split = todo.len() - step_now;
            let mut trial: Vec<usize> = kept.iter().chain(&todo[..split]).copied().collect();
            trial.sort_unstable();
            match self.check(demand, caps, &trial) {
                // Every panel kept so far is in any infeasible subset, so in this cut too.
                Some(smaller) => {
                    todo.truncate(split);
                    todo.retain(|p| smaller.binary_search(p).is_ok());
                }
                None if step_now == 1 => {
                    kept.extend(todo.pop());
                    step = todo.len() / 2;
                }
                None => step = step_now / 2,
            }
        }
        kept.sort_unstable();
        kept
    }

    /// The caps that bind `panels`: those that can bind at all, then a deletion filter
    /// (pins and time slots first, so that a load of one panel per expert is named rather
    /// than the slot, and pins only when nothing else explains the clash).
    fn binding_caps(&self, demand: Demand, panels: &[usize], budget: &mut Budget) -> Caps {
        let rules = &self.problem.rules;
        let all = Caps::all(rules);
        let pairs = self.pairs(demand, all, panels);
        let mut per_org: BTreeMap<(usize, &str), u32> = BTreeMap::new();
        let mut per_expert: BTreeMap<usize, i64> = BTreeMap::new();
        let mut per_slot: BTreeMap<(usize, &str), u32> = BTreeMap::new();
        for &(pi, ci) in self.pins.iter().chain(&pairs) {
            if panels.binary_search(&pi).is_err() {
                continue;
            }
            let org = self.problem.candidates[ci].org_id.as_str();
            *per_org.entry((pi, org)).or_default() += 1;
            *per_expert.entry(ci).or_default() += 1;
            if let Some(slot) = self.slot(pi, all) {
                *per_slot.entry((ci, slot)).or_default() += 1;
            }
        }
        let mut caps = Caps {
            org: per_org.values().any(|&n| n > rules.max_per_org),
            slot: per_slot.values().any(|&n| n > 1),
            workload: per_expert.iter().any(|(&ci, &n)| n > self.capacity(ci)),
            pins: self
                .pins
                .iter()
                .any(|(pi, _)| panels.binary_search(pi).is_ok()),
        };
        let relaxations: [fn(Caps) -> Caps; 4] = [
            |c| Caps { pins: false, ..c },
            |c| Caps { slot: false, ..c },
            |c| Caps { org: false, ..c },
            |c| Caps {
                workload: false,
                ..c
            },
        ];
        for relax in relaxations {
            let trial = relax(caps);
            if trial == caps {
                continue;
            }
            if !budget.take() {
                break;
            }
            if self.check(demand, trial, panels).is_some() {
                caps = trial;
            }
        }
        caps
    }
}
