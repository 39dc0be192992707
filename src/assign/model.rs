//! The panel-assignment integer program (DESIGN §8) over the eligible arcs.

use super::eligibility::Analysis;
use super::lp::{Model01, Row};
use super::network::{Group, Structure};
use super::problem::Problem;
use super::rules::ConflictMode;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, HashMap};

/// A portable 64-bit FNV-1a hash: the same on every machine and Rust version, unlike
/// `std`'s hasher.
pub fn fnv64(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Uniform noise in [0, 1) for every arc, drawn per panel from a ChaCha8 stream seeded by
/// (seed, panel key) in candidate order: a panel's lottery does not change when another panel
/// is added, and a replay reproduces it exactly.
pub fn arc_noise(problem: &Problem, analysis: &Analysis) -> Vec<f64> {
    let mut noise = vec![0.0; analysis.arcs.len()];
    for (pi, panel) in problem.panels.iter().enumerate() {
        let mut rng = ChaCha8Rng::seed_from_u64(problem.seed ^ fnv64(&panel.key));
        for &a in &analysis.panels[pi].arcs {
            noise[a] = rng.random::<f64>();
        }
    }
    noise
}

/// Objective weight of every arc: `(1 − r)·fit + r·noise − λ·recent/cap`, plus a tiny
/// seeded tie-breaker so that even `r = 0` has a unique optimum.
pub fn arc_weights(problem: &Problem, analysis: &Analysis) -> Vec<f64> {
    let rules = &problem.rules;
    let r = rules.randomness;
    let cap12 = rules.max_reviews_per_12_months.max(1) as f64;
    arc_noise(problem, analysis)
        .into_iter()
        .zip(&analysis.arcs)
        .map(|(u, arc)| {
            let recent = problem.candidates[arc.candidate].recent_reviews as f64;
            (1.0 - r) * arc.fit + r * u - rules.fairness_weight * recent / cap12 + 1e-6 * u
        })
        .collect()
}

/// The rows of the model, each tagged with what it enforces (for messages and tests).
#[derive(Debug, Clone, PartialEq)]
pub enum RowKind {
    /// Panel size.
    Size(usize),
    /// An expert's load.
    Load(usize),
    /// An expert in one time slot.
    Slot(usize),
    /// Members from one organization on a panel.
    Org(usize),
    /// A composition requirement (panel, requirement index).
    Requirement(usize, usize),
    /// Voting members left for an item (panel, item).
    Voting(usize, usize),
}

/// The model with its rows tagged and its network structure.
#[derive(Debug, Clone)]
pub struct Built {
    /// The 0-1 model (all rows).
    pub model: Model01,
    /// What each row enforces.
    pub kinds: Vec<RowKind>,
    /// The network part (sizes, organizations, loads, slots) and the side rows.
    pub structure: Structure,
}

/// Builds the model: variables are the arcs of `analysis`, in order.
pub fn build(problem: &Problem, analysis: &Analysis) -> Built {
    let (model, kinds) = build_rows(problem, analysis);
    let structure = structure(problem, analysis, &model, &kinds);
    Built {
        model,
        kinds,
        structure,
    }
}

/// Sizes and organization caps nest under panels, loads and slots under experts: two
/// laminar families, which a flow carries. Requirements and voting rows are side rows.
fn structure(
    problem: &Problem,
    analysis: &Analysis,
    model: &Model01,
    kinds: &[RowKind],
) -> Structure {
    let mut s = Structure {
        left_of: analysis.arcs.iter().map(|a| a.candidate).collect(),
        right_of: analysis.arcs.iter().map(|a| a.panel).collect(),
        left: vec![Group::free(); problem.candidates.len()],
        right: vec![Group::free(); problem.panels.len()],
        side_rows: Vec::new(),
    };
    for (r, (row, kind)) in model.rows.iter().zip(kinds).enumerate() {
        let lo = row.lo.map_or(0, |x| x.round() as i64);
        let hi = row.hi.map_or(super::flow::INF, |x| x.round() as i64);
        match *kind {
            RowKind::Size(pi) => {
                s.right[pi] = Group {
                    parent: None,
                    lo,
                    hi,
                }
            }
            RowKind::Load(ci) => {
                s.left[ci] = Group {
                    parent: None,
                    lo,
                    hi,
                }
            }
            RowKind::Org(pi) => {
                s.right.push(Group {
                    parent: Some(pi),
                    lo,
                    hi,
                });
                for &(v, _) in &row.terms {
                    s.right_of[v] = s.right.len() - 1;
                }
            }
            RowKind::Slot(ci) => {
                s.left.push(Group {
                    parent: Some(ci),
                    lo,
                    hi,
                });
                for &(v, _) in &row.terms {
                    s.left_of[v] = s.left.len() - 1;
                }
            }
            RowKind::Requirement(..) | RowKind::Voting(..) => s.side_rows.push(r),
        }
    }
    s
}

fn build_rows(problem: &Problem, analysis: &Analysis) -> (Model01, Vec<RowKind>) {
    let rules = &problem.rules;
    let k = rules.panel_size as f64;
    let mut rows = Vec::new();
    let mut kinds = Vec::new();
    let ones = |arcs: &[usize]| arcs.iter().map(|&a| (a, 1.0)).collect::<Vec<_>>();

    let requirements = rules.requirements();
    for (pi, panel) in problem.panels.iter().enumerate() {
        let arcs = &analysis.panels[pi].arcs;
        rows.push(Row {
            terms: ones(arcs),
            lo: Some(k),
            hi: Some(k),
        });
        kinds.push(RowKind::Size(pi));

        let mut by_org: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for &a in arcs {
            by_org
                .entry(
                    problem.candidates[analysis.arcs[a].candidate]
                        .org_id
                        .as_str(),
                )
                .or_default()
                .push(a);
        }
        for (_, group) in by_org {
            if group.len() as u32 > rules.max_per_org {
                rows.push(Row {
                    terms: ones(&group),
                    lo: None,
                    hi: Some(rules.max_per_org as f64),
                });
                kinds.push(RowKind::Org(pi));
            }
        }
        for (ri, (_, filter, count)) in requirements.iter().enumerate() {
            if *count == 0 {
                continue;
            }
            let matching: Vec<usize> = arcs
                .iter()
                .copied()
                .filter(|&a| problem.candidates[analysis.arcs[a].candidate].matches(filter))
                .collect();
            rows.push(Row {
                terms: ones(&matching),
                lo: Some(*count as f64),
                hi: None,
            });
            kinds.push(RowKind::Requirement(pi, ri));
        }
        if rules.conflict_mode == ConflictMode::Recuse && panel.items.len() > 1 {
            let min_voting = rules.min_voting.unwrap_or(rules.panel_size);
            for &ii in &panel.items {
                let voting: Vec<usize> = arcs
                    .iter()
                    .copied()
                    .filter(|&a| !analysis.arcs[a].recused_items.contains(&ii))
                    .collect();
                if voting.len() < arcs.len() {
                    rows.push(Row {
                        terms: ones(&voting),
                        lo: Some(min_voting as f64),
                        hi: None,
                    });
                    kinds.push(RowKind::Voting(pi, ii));
                }
            }
        }
    }

    let mut by_candidate: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (a, arc) in analysis.arcs.iter().enumerate() {
        by_candidate.entry(arc.candidate).or_default().push(a);
    }
    for (ci, arcs) in &by_candidate {
        let cap = analysis.capacity[*ci];
        if arcs.len() as u32 > cap {
            rows.push(Row {
                terms: ones(arcs),
                lo: None,
                hi: Some(cap as f64),
            });
            kinds.push(RowKind::Load(*ci));
        }
        if rules.same_slot_exclusive && cap > 1 {
            let mut by_slot: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
            for &a in arcs {
                if let Some(slot) = &problem.panels[analysis.arcs[a].panel].slot {
                    by_slot.entry(slot.as_str()).or_default().push(a);
                }
            }
            for (_, group) in by_slot {
                if group.len() > 1 {
                    rows.push(Row {
                        terms: ones(&group),
                        lo: None,
                        hi: Some(1.0),
                    });
                    kinds.push(RowKind::Slot(*ci));
                }
            }
        }
    }

    let arc_of: HashMap<(&str, &str), usize> = analysis
        .arcs
        .iter()
        .enumerate()
        .map(|(a, arc)| {
            (
                (
                    problem.panels[arc.panel].key.as_str(),
                    problem.candidates[arc.candidate].key.as_str(),
                ),
                a,
            )
        })
        .collect();
    let fixed_one = problem
        .overrides
        .forced
        .iter()
        .filter_map(|(p, e)| arc_of.get(&(p.as_str(), e.as_str())).copied())
        .collect();
    (
        Model01 {
            weights: arc_weights(problem, analysis),
            rows,
            fixed_one,
        },
        kinds,
    )
}
