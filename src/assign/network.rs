//! The exact solver of the 0-1 assignment model, with no C++ solver needed.
//!
//! Most rows of the model form two laminar families: on one side a panel's size and its
//! per-organization caps, on the other an expert's load and time slots. Such a model is a
//! network; [`flow`](super::flow) solves it exactly. The rows that break the structure
//! (composition minimums, a leader, voting members in recuse mode) are "side rows": they are
//! priced into the arc weights by Lagrangian multipliers, which yields an upper bound `L`
//! for every choice of prices (the network's polytope is integral, so the best `L` is the LP
//! bound). When the priced flow already meets every side row with complementary slackness,
//! it is optimal. Otherwise a small MIP is solved over the arcs that the flow's reduced
//! costs cannot rule out: an arc whose reduced cost exceeds `L − P` (with `P` a known
//! feasible objective) cannot be in any solution better than `P`, so the MIP's optimum over
//! the kept arcs is the optimum of the whole model.

use super::flow::{FlowError, MinCostFlow, INF};
use super::lp::{LpError, Model01, SolveStatus, Solved};
use reduced::reduced_mip;
use std::time::Instant;

/// Fractional weights become integer costs at this scale (weights are fits in 0..1 with a
/// 1e-6 tie-breaker, so 1e9 keeps every distinction).
const SCALE: f64 = 1e9;
#[cfg(feature = "highs")]
const REDUCED_METHOD: &str = "network simplex + Lagrangian + reduced MIP (HiGHS)";
#[cfg(not(feature = "highs"))]
const REDUCED_METHOD: &str = "network simplex + Lagrangian + reduced MIP (microlp)";
/// Subgradient iterations at most.
const MAX_ITERATIONS: usize = 200;
/// Variables per seat (plus one) that each panel's restricted network starts with.
const PER_SEAT: usize = 4;

/// A node of one of the two laminar families: the flow through it lies in `lo..=hi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    /// Enclosing group, if any.
    pub parent: Option<usize>,
    /// Least flow (e.g. panel size, least load).
    pub lo: i64,
    /// Most flow; [`INF`] for none.
    pub hi: i64,
}

impl Group {
    /// An unconstrained top-level group.
    pub fn free() -> Self {
        Group {
            parent: None,
            lo: 0,
            hi: INF,
        }
    }
}

/// Where every variable of a [`Model01`] sits in the network, and which rows stay outside it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Structure {
    /// Innermost left group (expert side) of each variable.
    pub left_of: Vec<usize>,
    /// Innermost right group (panel side) of each variable.
    pub right_of: Vec<usize>,
    /// Left groups.
    pub left: Vec<Group>,
    /// Right groups.
    pub right: Vec<Group>,
    /// Indices of the model's rows that the network does not carry.
    pub side_rows: Vec<usize>,
}

/// One side of a side row: `sign · (Σ coef·x − rhs) ≥ 0`.
struct Side {
    terms: Vec<(usize, f64)>,
    sign: f64,
    rhs: f64,
}

/// The flow network built once, re-priced every iteration.
struct Priced {
    flow: MinCostFlow,
    /// Arc of each variable.
    arc: Vec<usize>,
    /// Arc from each right group up to its parent (or the sink).
    right_up: Vec<usize>,
    /// Node of right group 0 (the others follow).
    first_right: usize,
}

fn build_network(model: &Model01, s: &Structure) -> Priced {
    let (nl, nr) = (s.left.len(), s.right.len());
    let (src, sink) = (0, 1);
    let left_node = |g: usize| 2 + g;
    let right_node = |g: usize| 2 + nl + g;
    let mut flow = MinCostFlow::new(2 + nl + nr);
    for (g, group) in s.left.iter().enumerate() {
        let from = group.parent.map_or(src, left_node);
        flow.add_arc(from, left_node(g), group.lo, group.hi, 0);
    }
    let mut forced = vec![false; model.weights.len()];
    for &v in &model.fixed_one {
        forced[v] = true;
    }
    let arc = (0..model.weights.len())
        .map(|v| {
            flow.add_arc(
                left_node(s.left_of[v]),
                right_node(s.right_of[v]),
                i64::from(forced[v]),
                1,
                0,
            )
        })
        .collect();
    let right_up = s
        .right
        .iter()
        .enumerate()
        .map(|(g, group)| {
            let to = group.parent.map_or(sink, right_node);
            flow.add_arc(right_node(g), to, group.lo, group.hi, 0)
        })
        .collect();
    flow.add_arc(sink, src, 0, INF, 0);
    Priced {
        flow,
        arc,
        right_up,
        first_right: right_node(0),
    }
}

/// Solves the model exactly: the network with side rows priced in, then, only if needed, a
/// MIP over the arcs that reduced costs keep. The result has the same meaning as
/// [`lp::solve`]'s: `bound` is the LP bound, `status` says whether optimality is proven.
pub fn solve(model: &Model01, s: &Structure, time_limit_secs: f64) -> Result<Solved, LpError> {
    let started = Instant::now();
    let n = model.weights.len();
    let sides: Vec<Side> = s
        .side_rows
        .iter()
        .flat_map(|&r| {
            let row = &model.rows[r];
            let lo = row.lo.map(|b| Side {
                terms: row.terms.clone(),
                sign: 1.0,
                rhs: b,
            });
            let hi = row.hi.map(|b| Side {
                terms: row.terms.clone(),
                sign: -1.0,
                rhs: b,
            });
            lo.into_iter().chain(hi)
        })
        .collect();
    let mut forced = vec![false; n];
    for &v in &model.fixed_one {
        forced[v] = true;
    }
    let mut net = restricted::Restricted::new(&model.weights, s, &forced, PER_SEAT);
    let mut mu = vec![0.0; sides.len()];
    let mut best = Best::default();
    let seats: f64 = s
        .right
        .iter()
        .filter(|g| g.parent.is_none())
        .map(|g| g.lo as f64)
        .sum();
    // Rounding each cost to 1/SCALE may shift a flow's value by ½ unit per chosen arc.
    let slack = (seats + 1.0) / SCALE;
    let mut theta = 2.0;
    let mut since_improved = 0;
    let mut iterations = 0;
    let mut adjusted = model.weights.clone();
    let mut costs = vec![0i64; n];
    let mut dirty = vec![true; n];
    let mut priced_mu = vec![0.0; sides.len()];
    let trace = std::env::var("EXPERTPOOL_SOLVER_LOG").is_ok_and(|v| v == "2");
    let mut flow_ms = 0.0;
    for _ in 0..MAX_ITERATIONS {
        iterations += 1;
        // Re-price only the arcs whose side rows changed price since the last flow.
        for (side, (m, last)) in sides.iter().zip(mu.iter().zip(priced_mu.iter_mut())) {
            let delta = m - *last;
            if delta != 0.0 {
                for &(v, c) in &side.terms {
                    adjusted[v] += delta * side.sign * c;
                    dirty[v] = true;
                }
                *last = *m;
            }
        }
        for v in 0..n {
            if dirty[v] {
                costs[v] = -(adjusted[v] * SCALE).round() as i64;
                net.set_cost(v, costs[v]);
                dirty[v] = false;
            }
        }
        let t_flow = Instant::now();
        let pivots = match net.solve() {
            Ok(pivots) => pivots,
            Err(FlowError::Infeasible) => return Err(LpError::Infeasible),
            Err(FlowError::Invalid(e)) => return Err(LpError::Solver(e)),
        };
        flow_ms += t_flow.elapsed().as_secs_f64() * 1e3;
        let chosen: Vec<bool> = (0..n).map(|v| net.flow_of(v) > 0).collect();
        let priced_value: f64 = -(net.value() as f64) / SCALE;
        let bound = priced_value
            - sides
                .iter()
                .zip(&mu)
                .map(|(sd, m)| m * sd.sign * sd.rhs)
                .sum::<f64>()
            + slack;
        let slacks: Vec<f64> = sides
            .iter()
            .map(|sd| {
                let lhs: f64 = sd
                    .terms
                    .iter()
                    .filter(|(v, _)| chosen[*v])
                    .map(|(_, c)| c)
                    .sum();
                sd.sign * (lhs - sd.rhs)
            })
            .collect();
        if bound < best.bound - 1e-12 {
            best.bound = bound;
            best.costs.clone_from(&costs);
            best.relaxed = chosen.clone();
            best.states = net.whole_states();
            since_improved = 0;
        } else {
            since_improved += 1;
        }
        if slacks.iter().all(|g| *g >= -1e-9) {
            let value = objective(model, &chosen);
            if value > best.value {
                best.value = value;
                best.chosen = Some(chosen.clone());
            }
        }
        if trace {
            let violated = slacks.iter().filter(|g| **g < -1e-9).count();
            eprintln!(
                "  priced flow {iterations}: L {bound:.6}, best L {:.6}, best feasible {:.6}, {violated} side rows violated, {pivots} pivots over {} arcs, θ {theta}",
                best.bound, best.value, net.size()
            );
        }
        if best.proven(slack) || sides.is_empty() {
            break;
        }
        if since_improved >= 5 {
            theta /= 2.0;
            since_improved = 0;
        }
        if theta < 1e-3 || started.elapsed().as_secs_f64() > time_limit_secs * 0.3 {
            break;
        }
        // Projected subgradient step towards the best known (or hoped-for) objective.
        let target = if best.value.is_finite() {
            best.value
        } else {
            bound - 0.02 * bound.abs().max(1.0)
        };
        let direction: Vec<f64> = slacks
            .iter()
            .zip(&mu)
            .map(|(g, m)| if *m <= 0.0 && *g > 0.0 { 0.0 } else { *g })
            .collect();
        let norm: f64 = direction.iter().map(|g| g * g).sum();
        if norm <= 1e-12 {
            break;
        }
        let step = theta * (bound - target).max(1e-6) / norm;
        for (m, g) in mu.iter_mut().zip(&direction) {
            *m = (*m - step * g).max(0.0);
        }
    }
    if std::env::var_os("EXPERTPOOL_SOLVER_LOG").is_some() {
        eprintln!(
            "network: {iterations} priced flows ({flow_ms:.0} ms in flows over {} of {n} arcs, {} builds, {:.0?} ms), {} side rows, bound {:.6}, best feasible {:.6}, {:.1} ms",
            net.size(),
            net.rebuilds,
            net.times,
            sides.len(),
            best.bound,
            best.value,
            started.elapsed().as_secs_f64() * 1e3
        );
    }
    if best.proven(slack) || (sides.is_empty() && best.chosen.is_some()) {
        let method = if iterations == 1 {
            "network simplex"
        } else {
            "network simplex + Lagrangian prices"
        };
        let chosen = best.chosen.take().unwrap_or_default();
        let objective = objective(model, &chosen);
        return Ok(Solved {
            chosen,
            objective,
            // Proven within the rounding of costs to 1/SCALE: the bound is the objective.
            bound: objective,
            status: SolveStatus::Optimal,
            lp_integral: true,
            solve_seconds: started.elapsed().as_secs_f64(),
            method,
        });
    }
    // The MIP's proof needs the whole network's optimum at the best bound: the restricted
    // flow there, with its potentials extended to every node (`Restricted::whole_states`).
    let mut full = build_network(model, s);
    for (v, &cost) in best.costs.iter().enumerate() {
        full.flow.set_cost(full.arc[v], cost);
    }
    best.reduced = full
        .arc
        .iter()
        .map(|&a| best.states[a].1 as f64 / SCALE)
        .collect();
    strengthen(&full, s, &mut best);
    reduced_mip(
        model,
        &best,
        time_limit_secs - started.elapsed().as_secs_f64(),
        started,
    )
}

/// What the Lagrangian phase found.
struct Best {
    /// Lowest upper bound.
    bound: f64,
    /// Every variable's (scaled) cost in the flow at that bound.
    costs: Vec<i64>,
    /// Reduced costs (in weight units, ≥ 0 means "would cost that much to add") at that bound.
    reduced: Vec<f64>,
    /// Arcs chosen by the flow at that bound.
    relaxed: Vec<bool>,
    /// Every arc's flow and reduced cost at that bound.
    states: Vec<(i64, i64)>,
    /// Best feasible objective and its choice.
    value: f64,
    chosen: Option<Vec<bool>>,
}

impl Default for Best {
    fn default() -> Self {
        Best {
            bound: f64::INFINITY,
            costs: Vec::new(),
            reduced: Vec::new(),
            relaxed: Vec::new(),
            states: Vec::new(),
            value: f64::NEG_INFINITY,
            chosen: None,
        }
    }
}

impl Best {
    fn proven(&self, slack: f64) -> bool {
        self.chosen.is_some() && self.bound - self.value <= 2.0 * slack + 1e-9 * self.bound.abs()
    }
}

/// Replaces the reduced cost of every unchosen variable by what forcing it costs the priced
/// flow at the best bound (see [`forcing`]): the same proof, fewer arcs for the MIP.
fn strengthen(net: &Priced, s: &Structure, best: &mut Best) {
    let started = Instant::now();
    let node = |g: usize| net.first_right + g;
    let right = forcing::RightSide {
        node: &node,
        up: &net.right_up,
    };
    // The reduced MIP keeps no arc costing more than `L − P` once a feasible `P` is known.
    let radius = if best.value.is_finite() {
        ((best.bound - best.value) * SCALE + 10.0).ceil() as i64
    } else {
        forcing::UNREACHABLE
    };
    let Some(costs) = forcing::costs(&net.flow, &best.states, s, &net.arc, &right, radius) else {
        return;
    };
    for (reduced, cost) in best.reduced.iter_mut().zip(costs) {
        // An arc that cannot carry a unit at all is in no solution: never kept.
        *reduced = if cost >= forcing::UNREACHABLE {
            f64::INFINITY
        } else {
            reduced.max(cost as f64 / SCALE)
        };
    }
    if std::env::var_os("EXPERTPOOL_SOLVER_LOG").is_some() {
        eprintln!(
            "forcing costs: {:.1} ms",
            started.elapsed().as_secs_f64() * 1e3
        );
    }
}

fn objective(model: &Model01, chosen: &[bool]) -> f64 {
    chosen
        .iter()
        .zip(&model.weights)
        .filter(|(c, _)| **c)
        .map(|(_, w)| w)
        .sum()
}

mod forcing;
mod reduced;
mod restricted;
#[cfg(test)]
mod tests;
