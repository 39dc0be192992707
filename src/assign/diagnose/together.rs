//! Panels that can each be filled alone but not together.
//!
//! Sizes, organization caps, loads and time slots form a network (see `model`), and so does
//! one composition minimum on its own (each panel needs `count` of the matching experts).
//! A maximum flow on such a relaxation proves infeasibility without the full solve, which
//! matters because this runs before every draw. When the flow falls short, the panels on the
//! sink side of a minimum cut cannot be filled together; a deletion filter shrinks that set
//! (each check's own cut shrinks it further), and a second filter over the caps tells which
//! ones bind it.

use super::{words, Budget, Finding};
use crate::assign::eligibility::Analysis;
use crate::assign::flow::MinCostFlow;
use crate::assign::problem::Problem;
use crate::assign::rules::Filter;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

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
}

/// A panel set that cannot be filled together, and the caps that bind it.
pub(super) struct Clash {
    pub demand: Demand,
    pub caps: Caps,
    pub panels: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Node<'p> {
    Expert(usize),
    ExpertSlot(usize, &'p str),
    PanelOrg(usize, &'p str),
    Panel(usize),
}

const SOURCE: usize = 0;
const SINK: usize = 1;

/// What the pins of a panel set already hold: they sit in every solution, so a check seats
/// them first and asks the flow only for the rest.
#[derive(Default)]
pub(super) struct Seated<'p> {
    load: BTreeMap<usize, i64>,
    slot_load: BTreeMap<(usize, &'p str), i64>,
    org_load: BTreeMap<(usize, &'p str), i64>,
    members: BTreeMap<usize, i64>,
}

/// The whole problem, seen as flow relaxations.
pub(super) struct Together<'a> {
    pub problem: &'a Problem,
    pub analysis: &'a Analysis,
    pub requirements: Vec<(String, &'a Filter, u32)>,
    /// Pins on eligible pairs, as (panel, candidate).
    pub pins: BTreeSet<(usize, usize)>,
}

impl<'a> Together<'a> {
    pub fn new(problem: &'a Problem, analysis: &'a Analysis) -> Self {
        let panel_of: BTreeMap<&str, usize> = problem
            .panels
            .iter()
            .enumerate()
            .map(|(pi, p)| (p.key.as_str(), pi))
            .collect();
        let candidate_of: BTreeMap<&str, usize> = problem
            .candidates
            .iter()
            .enumerate()
            .map(|(ci, c)| (c.key.as_str(), ci))
            .collect();
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
        let full = Caps {
            org: true,
            slot: rules.same_slot_exclusive,
            workload: true,
        };
        let panels = self.problem.panels.len().min(self.analysis.panels.len());
        for demand in demands {
            let mut rest: Vec<usize> = (0..panels).collect();
            while budget.take() {
                let Some(cut) = self.check(demand, full, &rest) else {
                    break;
                };
                let set = self.shrink(demand, full, cut, budget);
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

    /// What the pins among `panels` hold.
    pub fn seated(&self, demand: Demand, panels: &[usize]) -> Seated<'a> {
        let mut s = Seated::default();
        for &(pi, ci) in &self.pins {
            if panels.binary_search(&pi).is_err() {
                continue;
            }
            *s.load.entry(ci).or_default() += 1;
            if let Some(slot) = &self.problem.panels[pi].slot {
                *s.slot_load.entry((ci, slot.as_str())).or_default() += 1;
            }
            let org = self.problem.candidates[ci].org_id.as_str();
            *s.org_load.entry((pi, org)).or_default() += 1;
            if self.counts(demand, ci) {
                *s.members.entry(pi).or_default() += 1;
            }
        }
        s
    }

    /// Members panel `pi` still needs towards `demand` once its pins sit.
    pub fn need(&self, demand: Demand, pi: usize, seated: &Seated) -> i64 {
        let base = match demand {
            Demand::Size => self.problem.rules.panel_size,
            Demand::Requirement(i) => self.requirements.get(i).map_or(0, |r| r.2),
        } as i64;
        (base - seated.members.get(&pi).copied().unwrap_or(0)).max(0)
    }

    /// The eligible, unpinned (panel, candidate) pairs of `panels` that count towards `demand`.
    pub fn pairs(&self, demand: Demand, panels: &[usize]) -> Vec<(usize, usize)> {
        panels
            .iter()
            .flat_map(|&pi| {
                self.analysis.panels[pi]
                    .arcs
                    .iter()
                    .map(move |&a| (pi, self.analysis.arcs[a].candidate))
            })
            .filter(|&(pi, ci)| self.counts(demand, ci) && !self.pins.contains(&(pi, ci)))
            .collect()
    }

    fn slot(&self, pi: usize, caps: Caps) -> Option<&'a str> {
        let slot = self.problem.panels[pi].slot.as_deref();
        slot.filter(|_| caps.slot)
    }

    /// `Some(panels on the sink side of a minimum cut)` when the relaxation proves that
    /// `panels` (ascending) cannot be filled together; `None` when it can, or undecided.
    fn check(&self, demand: Demand, caps: Caps, panels: &[usize]) -> Option<Vec<usize>> {
        let max_per_org = self.problem.rules.max_per_org as i64;
        let seated = self.seated(demand, panels);
        let mut ids: BTreeMap<Node<'a>, usize> = BTreeMap::new();
        let mut arcs: Vec<(usize, usize, i64)> = Vec::new();
        let mut total = 0;
        for &pi in panels {
            let need = self.need(demand, pi, &seated);
            total += need;
            ensure(&mut ids, &mut arcs, Node::Panel(pi), |id| (id, SINK, need));
        }
        if total == 0 {
            return None;
        }
        for (pi, ci) in self.pairs(demand, panels) {
            let cap = if caps.workload {
                self.capacity(ci) - seated.load.get(&ci).copied().unwrap_or(0)
            } else {
                panels.len() as i64
            };
            let expert = ensure(&mut ids, &mut arcs, Node::Expert(ci), |id| {
                (SOURCE, id, cap.max(0))
            });
            let tail = match self.slot(pi, caps) {
                Some(slot) => {
                    let used = seated.slot_load.get(&(ci, slot)).copied().unwrap_or(0);
                    ensure(&mut ids, &mut arcs, Node::ExpertSlot(ci, slot), |id| {
                        (expert, id, (1 - used).max(0))
                    })
                }
                None => expert,
            };
            let panel = ids.get(&Node::Panel(pi)).copied().unwrap_or(SINK);
            let head = if caps.org {
                let org = self.problem.candidates[ci].org_id.as_str();
                let used = seated.org_load.get(&(pi, org)).copied().unwrap_or(0);
                ensure(&mut ids, &mut arcs, Node::PanelOrg(pi, org), |id| {
                    (id, panel, (max_per_org - used).max(0))
                })
            } else {
                panel
            };
            arcs.push((tail, head, 1));
        }
        let nodes = ids.len() + 2;
        let mut net = MinCostFlow::new(nodes);
        for &(u, v, cap) in &arcs {
            net.add_arc(u, v, 0, cap, 0);
        }
        // The only cost: a unit back from sink to source, so the cheapest flow is the largest.
        let back = net.add_arc(SINK, SOURCE, 0, total, -1);
        net.solve().ok()?;
        if net.flow(back) >= total {
            return None;
        }
        let flow: Vec<i64> = (0..arcs.len()).map(|a| net.flow(a)).collect();
        let reach = reaching(nodes, &arcs, &flow, SINK);
        let cut: Vec<usize> = panels
            .iter()
            .copied()
            .filter(|pi| ids.get(&Node::Panel(*pi)).is_some_and(|&id| reach[id]))
            .collect();
        Some(if cut.is_empty() { panels.to_vec() } else { cut })
    }

    /// A deletion filter over the panels of a cut: drop one, re-check, keep it dropped when
    /// the rest still cannot be filled (and keep only the new cut's panels).
    fn shrink(
        &self,
        demand: Demand,
        caps: Caps,
        cut: Vec<usize>,
        budget: &mut Budget,
    ) -> Vec<usize> {
        let mut kept: Vec<usize> = Vec::new();
        let mut todo: VecDeque<usize> = cut.into();
        while let Some(x) = todo.pop_front() {
            if !budget.take() {
                kept.push(x);
                kept.extend(todo.drain(..));
                break;
            }
            let mut trial: Vec<usize> = kept.iter().chain(&todo).copied().collect();
            trial.sort_unstable();
            match self.check(demand, caps, &trial) {
                // Every panel kept so far is in any infeasible subset, so in this cut too.
                Some(smaller) => todo.retain(|p| smaller.binary_search(p).is_ok()),
                None => kept.push(x),
            }
        }
        kept.sort_unstable();
        kept
    }

    /// The caps that bind `panels`: those that can bind at all, then a deletion filter (time
    /// slots first, so that a load of one panel per expert is named rather than the slot).
    fn binding_caps(&self, demand: Demand, panels: &[usize], budget: &mut Budget) -> Caps {
        let rules = &self.problem.rules;
        let all = Caps {
            org: true,
            slot: rules.same_slot_exclusive,
            workload: true,
        };
        let pairs = self.pairs(demand, panels);
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
        };
        let relaxations: [fn(Caps) -> Caps; 3] = [
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

    /// Seats the experts can take on `panels` under `caps` (organization caps aside): each
    /// takes at most their remaining capacity, and at most one panel per slot.
    pub fn supply(&self, demand: Demand, caps: Caps, panels: &[usize]) -> i64 {
        let seated = self.seated(demand, panels);
        let mut degree: BTreeMap<usize, BTreeMap<Option<&str>, i64>> = BTreeMap::new();
        for (pi, ci) in self.pairs(demand, panels) {
            *degree
                .entry(ci)
                .or_default()
                .entry(self.slot(pi, caps))
                .or_default() += 1;
        }
        degree
            .iter()
            .map(|(&ci, by_slot)| {
                let reach: i64 = by_slot
                    .iter()
                    .map(|(slot, &n)| match slot {
                        Some(s) => n.min(1 - seated.slot_load.get(&(ci, *s)).copied().unwrap_or(0)),
                        None => n,
                    })
                    .map(|n| n.max(0))
                    .sum();
                if caps.workload {
                    reach.min(self.capacity(ci) - seated.load.get(&ci).copied().unwrap_or(0))
                } else {
                    reach
                }
                .max(0)
            })
            .sum()
    }
}

/// The id of node `n`, created with its arc `link(id)` on first use.
fn ensure<'p>(
    ids: &mut BTreeMap<Node<'p>, usize>,
    arcs: &mut Vec<(usize, usize, i64)>,
    n: Node<'p>,
    link: impl FnOnce(usize) -> (usize, usize, i64),
) -> usize {
    if let Some(&id) = ids.get(&n) {
        return id;
    }
    let id = ids.len() + 2;
    ids.insert(n, id);
    arcs.push(link(id));
    id
}

/// Nodes that can still reach `to` in the residual network of a solved flow.
fn reaching(nodes: usize, arcs: &[(usize, usize, i64)], flow: &[i64], to: usize) -> Vec<bool> {
    let mut into: Vec<Vec<usize>> = vec![Vec::new(); nodes];
    let mut out_of: Vec<Vec<usize>> = vec![Vec::new(); nodes];
    for (a, &(u, v, _)) in arcs.iter().enumerate() {
        out_of[u].push(a);
        into[v].push(a);
    }
    let mut seen = vec![false; nodes];
    seen[to] = true;
    let mut queue = VecDeque::from([to]);
    while let Some(v) = queue.pop_front() {
        // Residual u → v: forward room on u → v, or flow to push back on v → u.
        let forward = into[v]
            .iter()
            .filter(|&&a| flow[a] < arcs[a].2)
            .map(|&a| arcs[a].0);
        let backward = out_of[v]
            .iter()
            .filter(|&&a| flow[a] > 0)
            .map(|&a| arcs[a].1);
        let next: Vec<usize> = forward.chain(backward).collect();
        for u in next {
            if !seen[u] {
                seen[u] = true;
                queue.push_back(u);
            }
        }
    }
    seen
}
