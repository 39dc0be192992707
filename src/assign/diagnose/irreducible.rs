//! Rules that bind one panel only together: a deletion filter over the panel's rules on the
//! single-panel sub-problem. What it keeps is an irreducible set: the rules cannot all hold,
//! and dropping any one of them makes the panel feasible.
//!
//! The sub-problem keeps the panel's eligible experts as the analysis found them; loads and
//! time slots cannot bind a single panel (every eligible expert can take at least one), so
//! they are left to [`together`](super::together).

use super::Budget;
use crate::assign::eligibility::Analysis;
use crate::assign::lp::{self, LpError, Model01, Row};
use crate::assign::problem::Problem;
use crate::assign::rules::{ConflictMode, Filter};
use std::collections::BTreeMap;

/// A rule of one panel that the filter may relax; the panel size never is.
///
/// The order is the canonical one: the filter tries to drop rules in it, and findings name
/// rules in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum PanelRule {
    /// Entry `i` of `Rules::requirements()`: the min_count entries, the min_share entries,
    /// then the leader.
    Requirement(usize),
    /// Voting members per item (recuse mode).
    MinVoting,
    /// At most `max_per_org` members from one organization.
    MaxPerOrg,
    /// Entry `i` of `overrides.forced`.
    Forced(usize),
}

/// What the filter found for one panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verdict {
    Feasible,
    /// Cannot be filled on its own; these rules cannot all hold.
    Infeasible(Vec<PanelRule>),
    /// The budget ran out first.
    Undecided,
}

/// One panel as a feasibility question over its eligible experts.
pub(super) struct PanelCase<'a> {
    pub problem: &'a Problem,
    pub panel: usize,
    /// Eligible candidates, ascending.
    pub eligible: Vec<usize>,
    /// Items each eligible expert leaves the room for, aligned with `eligible`.
    pub recused: Vec<&'a [usize]>,
    pub requirements: Vec<(String, &'a Filter, u32)>,
    /// Per requirement, whether each eligible expert matches it.
    pub fits: Vec<Vec<bool>>,
    /// Pins on this panel of eligible experts: (entry of `overrides.forced`, position).
    pub pins: Vec<(usize, usize)>,
    /// Items some eligible expert must leave the room for (the others never bind).
    pub voting_items: Vec<usize>,
    /// The rules that can bind this panel, in canonical order.
    pub rules: Vec<PanelRule>,
}

impl<'a> PanelCase<'a> {
    /// The case of panel `pi`.
    pub fn new(problem: &'a Problem, analysis: &'a Analysis, pi: usize) -> Self {
        let rules = &problem.rules;
        let arcs = analysis.panels.get(pi).map_or(&[][..], |p| &p.arcs[..]);
        let eligible: Vec<usize> = arcs.iter().map(|&a| analysis.arcs[a].candidate).collect();
        let recused: Vec<&[usize]> = arcs
            .iter()
            .map(|&a| &analysis.arcs[a].recused_items[..])
            .collect();
        let requirements = rules.requirements();
        let fits: Vec<Vec<bool>> = requirements
            .iter()
            .map(|(_, f, _)| {
                eligible
                    .iter()
                    .map(|&ci| problem.candidates[ci].matches(f))
                    .collect()
            })
            .collect();
        let key = problem.panels.get(pi).map_or("", |p| p.key.as_str());
        let mut pins: Vec<(usize, usize)> = Vec::new();
        for (j, (p, e)) in problem.overrides.forced.iter().enumerate() {
            let at = eligible
                .iter()
                .position(|&ci| problem.candidates[ci].key == *e);
            if let (true, Some(at)) = (p == key, at) {
                if !pins.iter().any(|&(_, q)| q == at) {
                    pins.push((j, at));
                }
            }
        }
        let multi_item = problem.panels.get(pi).map_or(&[][..], |p| &p.items[..]);
        let voting_items: Vec<usize> =
            if rules.conflict_mode == ConflictMode::Recuse && multi_item.len() > 1 {
                multi_item
                    .iter()
                    .copied()
                    .filter(|ii| recused.iter().any(|r| r.contains(ii)))
                    .collect()
            } else {
                Vec::new()
            };
        let mut per_org: BTreeMap<&str, usize> = BTreeMap::new();
        for &ci in &eligible {
            *per_org
                .entry(problem.candidates[ci].org_id.as_str())
                .or_default() += 1;
        }
        let mut case_rules: Vec<PanelRule> = requirements
            .iter()
            .enumerate()
            .filter(|(_, (_, _, count))| *count > 0)
            .map(|(i, _)| PanelRule::Requirement(i))
            .collect();
        if !voting_items.is_empty() {
            case_rules.push(PanelRule::MinVoting);
        }
        if per_org.values().any(|&n| n > rules.max_per_org as usize) {
            case_rules.push(PanelRule::MaxPerOrg);
        }
        case_rules.extend(pins.iter().map(|&(j, _)| PanelRule::Forced(j)));
        PanelCase {
            problem,
            panel: pi,
            eligible,
            recused,
            requirements,
            fits,
            pins,
            voting_items,
            rules: case_rules,
        }
    }

    /// Voting members each item keeps in recuse mode.
    pub fn min_voting(&self) -> usize {
        let rules = &self.problem.rules;
        rules.min_voting.unwrap_or(rules.panel_size) as usize
    }

    /// Whether the panel can be filled on its own and, when not, an irreducible set of its
    /// rules. When the budget runs out during the filter, the set is still infeasible but
    /// perhaps not irreducible.
    pub fn irreducible(&self, budget: &mut Budget) -> Verdict {
        match self.feasible(&self.rules, budget) {
            Some(true) => return Verdict::Feasible,
            None => return Verdict::Undecided,
            Some(false) => {}
        }
        let mut kept = self.rules.clone();
        let mut i = 0;
        while i < kept.len() {
            let mut trial = kept.clone();
            trial.remove(i);
            match self.feasible(&trial, budget) {
                Some(false) => kept = trial,
                Some(true) => i += 1,
                None => break,
            }
        }
        Verdict::Infeasible(kept)
    }

    /// Whether the panel can be filled under `active` (plus its size); `None` when undecided.
    fn feasible(&self, active: &[PanelRule], budget: &mut Budget) -> Option<bool> {
        if self.greedy(active) {
            return Some(true);
        }
        if !budget.take() {
            return None;
        }
        self.exact(active)
    }

    /// A quick constructive proof of feasibility: pins, then whoever covers the most unmet
    /// minimums, then anyone. It may miss a filling that exists; the MIP decides then.
    fn greedy(&self, active: &[PanelRule]) -> bool {
        let k = self.problem.rules.panel_size as usize;
        let cap = if active.contains(&PanelRule::MaxPerOrg) {
            self.problem.rules.max_per_org as usize
        } else {
            k
        };
        let needs: Vec<(usize, usize)> = active
            .iter()
            .filter_map(|r| match *r {
                PanelRule::Requirement(i) => self.requirements.get(i).map(|x| (i, x.2 as usize)),
                _ => None,
            })
            .collect();
        let voting = if active.contains(&PanelRule::MinVoting) {
            self.min_voting()
        } else {
            0
        };
        let n = self.eligible.len();
        let org = |at: usize| self.problem.candidates[self.eligible[at]].org_id.as_str();
        let mut fill = Fill {
            chosen: vec![false; n],
            per_org: BTreeMap::new(),
            seated: 0,
        };
        for &(j, at) in &self.pins {
            if active.contains(&PanelRule::Forced(j)) {
                fill.seat(at, org(at));
            }
        }
        if fill.seated > k || fill.per_org.values().any(|&c| c > cap) {
            return false;
        }
        loop {
            let short: Vec<usize> = needs
                .iter()
                .filter(|&&(i, need)| fill.count(|at| self.fits[i][at]) < need)
                .map(|&(i, _)| i)
                .collect();
            let unheard: Vec<usize> = self
                .voting_items
                .iter()
                .copied()
                .filter(|ii| fill.count(|at| !self.recused[at].contains(ii)) < voting)
                .collect();
            if short.is_empty() && unheard.is_empty() {
                break;
            }
            if fill.seated >= k {
                return false;
            }
            let gain = |at: usize| {
                short.iter().filter(|&&i| self.fits[i][at]).count()
                    + unheard
                        .iter()
                        .filter(|ii| !self.recused[at].contains(ii))
                        .count()
            };
            let best = (0..n)
                .filter(|&at| !fill.chosen[at] && fill.room(org(at), cap))
                .map(|at| (gain(at), at))
                .filter(|&(g, _)| g > 0)
                .max_by_key(|&(g, at)| (g, std::cmp::Reverse(at)));
            match best {
                Some((_, at)) => fill.seat(at, org(at)),
                None => return false,
            }
        }
        while fill.seated < k {
            match (0..n).find(|&at| !fill.chosen[at] && fill.room(org(at), cap)) {
                Some(at) => fill.seat(at, org(at)),
                None => return false,
            }
        }
        true
    }

    /// The exact answer: a 0-1 model of the panel under `active`; `None` if the solver fails.
    fn exact(&self, active: &[PanelRule]) -> Option<bool> {
        let rules = &self.problem.rules;
        let k = rules.panel_size as f64;
        let n = self.eligible.len();
        if n < rules.panel_size as usize {
            return Some(false);
        }
        let ones = |keep: &dyn Fn(usize) -> bool| -> Vec<(usize, f64)> {
            (0..n).filter(|&at| keep(at)).map(|at| (at, 1.0)).collect()
        };
        let mut rows = vec![Row {
            terms: ones(&|_| true),
            lo: Some(k),
            hi: Some(k),
        }];
        if active.contains(&PanelRule::MaxPerOrg) {
            let mut by_org: BTreeMap<&str, Vec<(usize, f64)>> = BTreeMap::new();
            for (at, &ci) in self.eligible.iter().enumerate() {
                by_org
                    .entry(self.problem.candidates[ci].org_id.as_str())
                    .or_default()
                    .push((at, 1.0));
            }
            rows.extend(
                by_org
                    .into_values()
                    .filter(|terms| terms.len() > rules.max_per_org as usize)
                    .map(|terms| Row {
                        terms,
                        lo: None,
                        hi: Some(rules.max_per_org as f64),
                    }),
            );
        }
        let mut fixed_one = Vec::new();
        for rule in active {
            match *rule {
                PanelRule::Requirement(i) => {
                    if let (Some(fit), Some((_, _, count))) =
                        (self.fits.get(i), self.requirements.get(i))
                    {
                        rows.push(Row {
                            terms: ones(&|at| fit[at]),
                            lo: Some(*count as f64),
                            hi: None,
                        });
                    }
                }
                PanelRule::MinVoting => {
                    for ii in &self.voting_items {
                        rows.push(Row {
                            terms: ones(&|at| !self.recused[at].contains(ii)),
                            lo: Some(self.min_voting() as f64),
                            hi: None,
                        });
                    }
                }
                PanelRule::Forced(j) => {
                    fixed_one.extend(self.pins.iter().filter(|p| p.0 == j).map(|p| p.1));
                }
                PanelRule::MaxPerOrg => {}
            }
        }
        let model = Model01 {
            weights: vec![0.0; n],
            rows,
            fixed_one,
        };
        match lp::solve(&model, self.problem.time_limit_secs.min(2.0)) {
            Ok(_) => Some(true),
            Err(LpError::Infeasible) => Some(false),
            Err(LpError::Solver(_)) => None,
        }
    }
}

/// A panel being filled by the greedy.
struct Fill<'c> {
    chosen: Vec<bool>,
    per_org: BTreeMap<&'c str, usize>,
    seated: usize,
}

impl<'c> Fill<'c> {
    fn seat(&mut self, at: usize, org: &'c str) {
        if !self.chosen[at] {
            self.chosen[at] = true;
            *self.per_org.entry(org).or_default() += 1;
            self.seated += 1;
        }
    }

    fn room(&self, org: &str, cap: usize) -> bool {
        self.per_org.get(org).copied().unwrap_or(0) < cap
    }

    fn count(&self, keep: impl Fn(usize) -> bool) -> usize {
        (0..self.chosen.len())
            .filter(|&at| self.chosen[at] && keep(at))
            .count()
    }
}
