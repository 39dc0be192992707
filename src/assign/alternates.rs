//! Ranked alternates (DESIGN §8): who could replace a member without breaking any rule.

use super::eligibility::Analysis;
use super::problem::Problem;
use super::rules::ConflictMode;
use std::collections::HashMap;

/// Current seating with the loads it implies, for swap checks.
pub struct Board<'a> {
    problem: &'a Problem,
    analysis: &'a Analysis,
    /// Members per panel.
    pub members: Vec<Vec<usize>>,
    load: HashMap<usize, u32>,
    slots: HashMap<(usize, &'a str), u32>,
    /// Composition requirements (filter, count), computed once: swaps are checked many times.
    requirements: Vec<(&'a super::Filter, u32)>,
}

impl<'a> Board<'a> {
    /// A board for a seating.
    pub fn new(problem: &'a Problem, analysis: &'a Analysis, members: Vec<Vec<usize>>) -> Self {
        let mut board = Board {
            problem,
            analysis,
            members: Vec::new(),
            load: HashMap::new(),
            slots: HashMap::new(),
            requirements: problem
                .rules
                .requirements()
                .into_iter()
                .map(|(_, f, n)| (f, n))
                .collect(),
        };
        for (pi, list) in members.iter().enumerate() {
            for &ci in list {
                board.count(pi, ci, 1);
            }
        }
        board.members = members;
        board
    }

    fn count(&mut self, panel: usize, ci: usize, delta: i32) {
        let load = self.load.entry(ci).or_default();
        *load = load.saturating_add_signed(delta);
        if let Some(slot) = &self.problem.panels[panel].slot {
            let n = self.slots.entry((ci, slot.as_str())).or_default();
            *n = n.saturating_add_signed(delta);
        }
    }

    /// Whether `incoming` may take `outgoing`'s seat on `panel` with every rule still held.
    pub fn can_swap(&self, panel: usize, outgoing: usize, incoming: usize) -> bool {
        let p = self.problem;
        let rules = &p.rules;
        let Some(arc) = self.analysis.arc_of(panel, incoming) else {
            return false;
        };
        let members = &self.members[panel];
        if members.contains(&incoming) || !members.contains(&outgoing) {
            return false;
        }
        if self.load.get(&incoming).copied().unwrap_or(0) + 1 > self.analysis.capacity[incoming] {
            return false;
        }
        if rules.same_slot_exclusive {
            if let Some(slot) = &p.panels[panel].slot {
                if self
                    .slots
                    .get(&(incoming, slot.as_str()))
                    .copied()
                    .unwrap_or(0)
                    > 0
                {
                    return false;
                }
            }
        }
        let after: Vec<usize> = members
            .iter()
            .map(|&m| if m == outgoing { incoming } else { m })
            .collect();
        let org = &p.candidates[incoming].org_id;
        if after
            .iter()
            .filter(|&&m| p.candidates[m].org_id == *org)
            .count() as u32
            > rules.max_per_org
        {
            return false;
        }
        for &(filter, count) in &self.requirements {
            if (after
                .iter()
                .filter(|&&m| p.candidates[m].matches(filter))
                .count() as u32)
                < count
            {
                return false;
            }
        }
        if rules.conflict_mode == ConflictMode::Recuse && p.panels[panel].items.len() > 1 {
            let min_voting = rules.min_voting.unwrap_or(rules.panel_size) as usize;
            for &ii in &p.panels[panel].items {
                let voting = after
                    .iter()
                    .filter(|&&m| {
                        let recused = if m == incoming {
                            &self.analysis.arcs[arc].recused_items
                        } else {
                            recused_of(self.analysis, panel, m)
                        };
                        !recused.contains(&ii)
                    })
                    .count();
                if voting < min_voting {
                    return false;
                }
            }
        }
        true
    }

    /// Applies a swap checked by [`Board::can_swap`].
    pub fn swap(&mut self, panel: usize, outgoing: usize, incoming: usize) {
        self.count(panel, outgoing, -1);
        self.count(panel, incoming, 1);
        for m in &mut self.members[panel] {
            if *m == outgoing {
                *m = incoming;
            }
        }
    }
}

fn recused_of(analysis: &Analysis, panel: usize, candidate: usize) -> &[usize] {
    analysis
        .arc_of(panel, candidate)
        .map(|a| analysis.arcs[a].recused_items.as_slice())
        .unwrap_or(&[])
}

/// One ranked alternate: its candidate and the members it could replace.
pub struct Ranked {
    /// Candidate index.
    pub candidate: usize,
    /// Arc index.
    pub arc: usize,
    /// Members it may replace, in seat order.
    pub replaces: Vec<usize>,
}

/// Alternates of a panel, best weight first (ties by candidate key), at most `limit`.
pub fn rank(board: &Board, panel: usize, weights: &[f64], limit: usize) -> Vec<Ranked> {
    let analysis = board.analysis;
    let mut order: Vec<usize> = analysis.panels[panel].arcs.clone();
    order.sort_by(|&a, &b| {
        weights[b]
            .total_cmp(&weights[a])
            .then(analysis.arcs[a].candidate.cmp(&analysis.arcs[b].candidate))
    });
    let mut out = Vec::new();
    for a in order {
        if out.len() == limit {
            break;
        }
        let ci = analysis.arcs[a].candidate;
        let replaces: Vec<usize> = board.members[panel]
            .iter()
            .copied()
            .filter(|&m| board.can_swap(panel, m, ci))
            .collect();
        if !replaces.is_empty() {
            out.push(Ranked {
                candidate: ci,
                arc: a,
                replaces,
            });
        }
    }
    out
}
