//! Column generation for large bipartite assignments (item rows `= k`, reviewer rows `≤ L`):
//! solve the LP over each item's best candidates, price every left-out pair with the row
//! duals, add the ones that could improve, repeat. At convergence the restricted LP optimum
//! is the full LP optimum; the constraint matrix is a bipartite incidence matrix (totally
//! unimodular), so that optimum is integral and the answer is exactly optimal.

use super::lp::{self, LpError, Model01, Row, SolveStatus, Solved};
use std::time::Instant;

/// A bipartite assignment: variable `v` joins `item[v]` and `reviewer[v]`.
pub struct Bipartite<'a> {
    /// Item of each variable.
    pub item: &'a [usize],
    /// Reviewer of each variable.
    pub reviewer: &'a [usize],
    /// Objective weight of each variable.
    pub weights: &'a [f64],
    /// Number of items.
    pub items: usize,
    /// Number of reviewers.
    pub reviewers: usize,
    /// Reviewers per item.
    pub per_item: u32,
    /// Most items per reviewer.
    pub max_load: u32,
    /// Variables fixed to 1.
    pub fixed: &'a [usize],
}

const EPS: f64 = 1e-9;

/// Solves by column generation; `None` when the backend has no duals.
pub fn solve(b: &Bipartite, time_limit_secs: f64) -> Option<Result<Solved, LpError>> {
    let started = Instant::now();
    let mut by_item: Vec<Vec<usize>> = vec![Vec::new(); b.items];
    for v in 0..b.weights.len() {
        by_item[b.item[v]].push(v);
    }
    for list in &mut by_item {
        list.sort_by(|&x, &y| b.weights[y].total_cmp(&b.weights[x]).then(x.cmp(&y)));
    }
    let mut active = vec![false; b.weights.len()];
    let mut depth = (4 * b.per_item as usize).max(12);
    let activate_top = |active: &mut Vec<bool>, depth: usize| {
        for list in &by_item {
            for &v in list.iter().take(depth) {
                active[v] = true;
            }
        }
    };
    activate_top(&mut active, depth);
    for &v in b.fixed {
        active[v] = true;
    }
    for _round in 0..50 {
        let sub: Vec<usize> = (0..active.len()).filter(|&v| active[v]).collect();
        let mut local = vec![usize::MAX; active.len()];
        for (i, &v) in sub.iter().enumerate() {
            local[v] = i;
        }
        let mut item_rows: Vec<Vec<(usize, f64)>> = vec![Vec::new(); b.items];
        let mut reviewer_rows: Vec<Vec<(usize, f64)>> = vec![Vec::new(); b.reviewers];
        for (i, &v) in sub.iter().enumerate() {
            item_rows[b.item[v]].push((i, 1.0));
            reviewer_rows[b.reviewer[v]].push((i, 1.0));
        }
        let k = b.per_item as f64;
        let mut rows: Vec<Row> = item_rows
            .into_iter()
            .map(|terms| Row {
                terms,
                lo: Some(k),
                hi: Some(k),
            })
            .collect();
        let mut reviewer_row = vec![usize::MAX; b.reviewers];
        for (r, terms) in reviewer_rows.into_iter().enumerate() {
            if !terms.is_empty() {
                reviewer_row[r] = rows.len();
                rows.push(Row {
                    terms,
                    lo: None,
                    hi: Some(b.max_load as f64),
                });
            }
        }
        let model = Model01 {
            weights: sub.iter().map(|&v| b.weights[v]).collect(),
            rows,
            fixed_one: b.fixed.iter().map(|&v| local[v]).collect(),
        };
        let left = (time_limit_secs - started.elapsed().as_secs_f64()).max(1.0);
        let (values, duals) = match lp::relax_with_duals(&model, left)? {
            Ok(x) => x,
            Err(LpError::Infeasible) if sub.len() < active.len() => {
                // The best candidates alone cannot cover every item: widen and retry.
                depth *= 2;
                activate_top(&mut active, depth);
                continue;
            }
            Err(e) => return Some(Err(e)),
        };
        let dual_of = |v: usize| {
            let r = reviewer_row[b.reviewer[v]];
            duals[b.item[v]] + if r == usize::MAX { 0.0 } else { duals[r] }
        };
        // The sign convention of row duals differs between solvers: take the one under which
        // the restricted solution satisfies the optimality conditions.
        let violations = |sign: f64| {
            sub.iter()
                .enumerate()
                .filter(|&(i, &v)| {
                    let rc = b.weights[v] - sign * dual_of(v);
                    (values[i] < 1e-6 && rc > 1e-6)
                        || (values[i] > 1.0 - 1e-6 && rc < -1e-6 && !b.fixed.contains(&v))
                })
                .count()
        };
        let sign = if violations(1.0) <= violations(-1.0) {
            1.0
        } else {
            -1.0
        };
        let mut added = 0;
        for list in &by_item {
            let mut taken = 0;
            for &v in list {
                if !active[v] && b.weights[v] - sign * dual_of(v) > EPS {
                    active[v] = true;
                    added += 1;
                    taken += 1;
                    if taken == 10 {
                        break;
                    }
                }
            }
        }
        if added > 0 {
            continue;
        }
        let bound: f64 = values.iter().zip(&model.weights).map(|(x, w)| x * w).sum();
        let integral = values.iter().all(|x| (x - x.round()).abs() <= 1e-6);
        let local_choice: Vec<bool> = if integral {
            values.iter().map(|x| *x > 0.5).collect()
        } else {
            match lp::solve(&model, left) {
                Ok(s) => s.chosen,
                Err(e) => return Some(Err(e)),
            }
        };
        let mut chosen = vec![false; b.weights.len()];
        for (i, &v) in sub.iter().enumerate() {
            chosen[v] = local_choice[i];
        }
        let objective = chosen
            .iter()
            .zip(b.weights)
            .filter(|(c, _)| **c)
            .map(|(_, w)| w)
            .sum();
        return Some(Ok(Solved {
            chosen,
            objective,
            bound: bound.max(objective),
            status: SolveStatus::Optimal,
            lp_integral: integral,
            solve_seconds: started.elapsed().as_secs_f64(),
        }));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    #[test]
    fn column_generation_matches_the_full_model() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let (items, reviewers) = (40, 50);
        let (mut item, mut reviewer, mut weights) = (vec![], vec![], vec![]);
        for i in 0..items {
            for r in 0..reviewers {
                if rng.random_bool(0.9) {
                    item.push(i);
                    reviewer.push(r);
                    weights.push(rng.random::<f64>());
                }
            }
        }
        let b = Bipartite {
            item: &item,
            reviewer: &reviewer,
            weights: &weights,
            items,
            reviewers,
            per_item: 3,
            max_load: 3,
            fixed: &[],
        };
        let priced = solve(&b, 30.0).expect("HiGHS gives duals").unwrap();
        let ones = |vars: Vec<usize>| vars.into_iter().map(|v| (v, 1.0)).collect::<Vec<_>>();
        let mut rows: Vec<Row> = (0..items)
            .map(|i| Row {
                terms: ones((0..item.len()).filter(|&v| item[v] == i).collect()),
                lo: Some(3.0),
                hi: Some(3.0),
            })
            .collect();
        rows.extend((0..reviewers).map(|r| Row {
            terms: ones((0..item.len()).filter(|&v| reviewer[v] == r).collect()),
            lo: None,
            hi: Some(3.0),
        }));
        let full = lp::solve(
            &Model01 {
                weights: weights.clone(),
                rows,
                fixed_one: vec![],
            },
            30.0,
        )
        .unwrap();
        assert!(
            (priced.objective - full.objective).abs() < 1e-7,
            "{} vs {}",
            priced.objective,
            full.objective
        );
        assert!(priced.lp_integral);
    }
}
