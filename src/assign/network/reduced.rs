//! The MIP over the arcs that the Lagrangian phase cannot rule out (see the parent module).

use super::super::lp::{self, LpError, Model01, SolveStatus, Solved};
use super::{objective, Best, REDUCED_METHOD};
use std::time::Instant;

/// The MIP over the arcs kept by reduced costs, widened until the kept set provably holds
/// the optimum (or, with no feasible solution known yet, until one is found).
///
/// The kept set starts small (the flow's arcs and about twice as many of the cheapest others)
/// and grows fourfold at a time, never beyond what `L − P` already rules out: each MIP's
/// solution raises `P`, so a poor first `P` (or none) does not send the whole model to the MIP
/// at once. It is proven when `L − P` is within the kept set's threshold: any better solution
/// would use an arc outside it, and every such arc costs more than the gap.
pub(super) fn reduced_mip(
    model: &Model01,
    best: &Best,
    time_left: f64,
    started: Instant,
) -> Result<Solved, LpError> {
    let deadline = Instant::now() + std::time::Duration::from_secs_f64(time_left.max(1.0));
    let n = model.weights.len();
    let mut costs: Vec<f64> = (0..n)
        .filter(|&v| !best.relaxed[v])
        .map(|v| best.reduced[v])
        .collect();
    let want = best.relaxed.iter().filter(|c| **c).count() * 2;
    costs.sort_by(f64::total_cmp);
    let small = costs
        .get(want.min(costs.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0.0);
    let widen = |threshold: f64, known: f64| {
        let wider = (threshold * 4.0).max(1e-3);
        let wider = if wider >= f64::MAX / 8.0 {
            f64::INFINITY
        } else {
            wider
        };
        wider.min(best.bound - known)
    };
    // The Lagrangian phase's feasible answer, if any, is the first incumbent.
    let mut known = best.value;
    let mut incumbent: Option<Solved> = best.chosen.as_ref().map(|chosen| Solved {
        chosen: chosen.clone(),
        objective: best.value,
        bound: best.bound,
        status: SolveStatus::TimeLimit,
        lp_integral: false,
        solve_seconds: 0.0,
        method: "network simplex + Lagrangian",
    });
    let mut threshold = small.min(best.bound - known);
    // Arcs that forcing shows to be in no solution never enter.
    let possible = (0..n)
        .filter(|&v| best.relaxed[v] || best.reduced[v].is_finite())
        .count();
    loop {
        let keep: Vec<usize> = (0..n)
            .filter(|&v| {
                best.relaxed[v]
                    || (best.reduced[v].is_finite() && best.reduced[v] <= threshold + 1e-9)
            })
            .collect();
        let everything = keep.len() == possible;
        if std::env::var_os("EXPERTPOOL_SOLVER_LOG").is_some() {
            let basic = (0..n)
                .filter(|&v| !best.relaxed[v] && best.reduced[v].abs() <= 1e-12)
                .count();
            eprintln!(
                "reduced MIP: {} of {n} arcs kept (reduced cost ≤ {threshold:.6}; {basic} unchosen at zero)",
                keep.len()
            );
        }
        let sub = restrict(model, &keep);
        let remaining = deadline.saturating_duration_since(Instant::now());
        match lp::solve(&sub, remaining.as_secs_f64().max(1.0)) {
            Ok(solved) => {
                let mut chosen = vec![false; n];
                for (i, &v) in keep.iter().enumerate() {
                    chosen[v] = solved.chosen[i];
                }
                let value = objective(model, &chosen);
                if value > known || incumbent.is_none() {
                    known = known.max(value);
                    incumbent = Some(Solved {
                        chosen,
                        objective: value,
                        bound: best.bound.max(value),
                        status: SolveStatus::TimeLimit,
                        lp_integral: false,
                        solve_seconds: 0.0,
                        method: REDUCED_METHOD,
                    });
                }
                let proven = solved.status == SolveStatus::Optimal
                    && (everything || best.bound - known <= threshold + 1e-9);
                if proven || solved.status != SolveStatus::Optimal || Instant::now() >= deadline {
                    if let Some(found) = incumbent.as_mut() {
                        if proven {
                            found.status = SolveStatus::Optimal;
                            found.method = REDUCED_METHOD;
                        }
                    }
                    break;
                }
                threshold = widen(threshold, known);
            }
            Err(LpError::Infeasible) if !everything && Instant::now() < deadline => {
                let wider = widen(threshold, known);
                if wider <= threshold {
                    // The set held every solution better than the incumbent, and has none.
                    if let Some(found) = incumbent.as_mut() {
                        found.status = SolveStatus::Optimal;
                        found.method = REDUCED_METHOD;
                    }
                    break;
                }
                threshold = wider;
            }
            Err(LpError::Infeasible) if incumbent.is_none() && everything => {
                return Err(LpError::Infeasible)
            }
            Err(LpError::Infeasible) if incumbent.is_none() => {
                return Err(LpError::Solver(
                    "time limit reached before a feasible answer was found".into(),
                ))
            }
            Err(LpError::Solver(e)) if incumbent.is_none() => return Err(LpError::Solver(e)),
            // The Lagrangian phase had a feasible answer: keep it, unproven.
            Err(_) => break,
        }
    }
    let mut solved = incumbent.ok_or(LpError::Infeasible)?;
    solved.solve_seconds = started.elapsed().as_secs_f64();
    Ok(solved)
}

/// The model over a subset of its variables (rows keep only the kept terms).
fn restrict(model: &Model01, keep: &[usize]) -> Model01 {
    let mut local = vec![usize::MAX; model.weights.len()];
    for (i, &v) in keep.iter().enumerate() {
        local[v] = i;
    }
    Model01 {
        weights: keep.iter().map(|&v| model.weights[v]).collect(),
        rows: model
            .rows
            .iter()
            .map(|row| lp::Row {
                terms: row
                    .terms
                    .iter()
                    .filter(|(v, _)| local[*v] != usize::MAX)
                    .map(|&(v, c)| (local[v], c))
                    .collect(),
                lo: row.lo,
                hi: row.hi,
            })
            .filter(|row| !row.terms.is_empty() || row.lo.is_some_and(|lo| lo > 0.0))
            .collect(),
        fixed_one: model
            .fixed_one
            .iter()
            .filter(|v| local[**v] != usize::MAX)
            .map(|&v| local[v])
            .collect(),
    }
}
