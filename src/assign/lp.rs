//! A sparse 0-1 linear model and its solution through good_lp.
//!
//! Strategy, measured (see README "Performance"): solve the LP relaxation first — the core
//! of an assignment model (panel sizes, load caps, per-organization caps) is a network flow
//! whose relaxation is integral — and accept it when every value is integral. Only when
//! composition rules make it fractional, solve the MIP with presolve off (HiGHS's MIP
//! presolve can stall for minutes on these models) and a time limit.

use good_lp::{
    variable, Expression, ProblemVariables, ResolutionError, Solution, SolverModel, Variable,
};
use std::time::Instant;

/// One linear row `lo ≤ Σ coef·x ≤ hi`.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// (variable, coefficient).
    pub terms: Vec<(usize, f64)>,
    /// Lower bound, if any.
    pub lo: Option<f64>,
    /// Upper bound, if any.
    pub hi: Option<f64>,
}

/// A maximization over binary variables.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model01 {
    /// Objective weight of each variable.
    pub weights: Vec<f64>,
    /// Constraints.
    pub rows: Vec<Row>,
    /// Variables fixed to 1.
    pub fixed_one: Vec<usize>,
}

/// How the solve ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SolveStatus {
    /// Proven optimal (within HiGHS's default relative gap of 1e-4 for a MIP).
    Optimal,
    /// The time limit stopped the search: the result is feasible, perhaps not optimal.
    TimeLimit,
}

/// The solution of a [`Model01`].
#[derive(Debug, Clone, PartialEq)]
pub struct Solved {
    /// Value of each variable.
    pub chosen: Vec<bool>,
    /// Objective of the chosen set.
    pub objective: f64,
    /// Upper bound: the LP relaxation's optimum.
    pub bound: f64,
    /// Status.
    pub status: SolveStatus,
    /// Whether the LP relaxation was already integral (no branch and bound needed).
    pub lp_integral: bool,
    /// Seconds spent in the solver.
    pub solve_seconds: f64,
    /// How the answer was found, for reports and the stored draw.
    pub method: &'static str,
}

/// Why a model could not be solved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LpError {
    /// No assignment satisfies every row.
    Infeasible,
    /// The solver failed or found nothing in time.
    Solver(String),
}

#[cfg(feature = "highs")]
const LP_METHOD: &str = "LP (HiGHS)";
#[cfg(feature = "highs")]
const MIP_METHOD: &str = "MIP (HiGHS)";
#[cfg(not(feature = "highs"))]
const LP_METHOD: &str = "LP (microlp)";
#[cfg(not(feature = "highs"))]
const MIP_METHOD: &str = "MIP (microlp)";

/// The backend compiled in, for reports.
pub fn solver_name() -> &'static str {
    if cfg!(feature = "highs") {
        "highs"
    } else {
        "microlp"
    }
}

fn build(
    model: &Model01,
    integer: bool,
) -> (
    ProblemVariables,
    Vec<Variable>,
    Expression,
    Vec<good_lp::Constraint>,
) {
    let mut vars = ProblemVariables::new();
    let fixed: std::collections::HashSet<usize> = model.fixed_one.iter().copied().collect();
    let xs: Vec<Variable> = (0..model.weights.len())
        .map(|i| {
            let lo = if fixed.contains(&i) { 1.0 } else { 0.0 };
            let def = variable().min(lo).max(1.0);
            vars.add(if integer { def.integer() } else { def })
        })
        .collect();
    let mut objective = Expression::with_capacity(xs.len());
    for (x, w) in xs.iter().zip(&model.weights) {
        objective.add_mul(*w, *x);
    }
    let mut constraints = Vec::with_capacity(model.rows.len() * 2);
    for row in &model.rows {
        let mut e = Expression::with_capacity(row.terms.len());
        for &(v, c) in &row.terms {
            e.add_mul(c, xs[v]);
        }
        match (row.lo, row.hi) {
            (Some(lo), Some(hi)) if lo == hi => constraints.push(e.eq(lo)),
            (lo, hi) => {
                if let Some(lo) = lo {
                    constraints.push(e.clone().geq(lo));
                }
                if let Some(hi) = hi {
                    constraints.push(e.leq(hi));
                }
            }
        }
    }
    (vars, xs, objective, constraints)
}

#[cfg(feature = "highs")]
fn run(model: &Model01, integer: bool, time_limit: f64) -> Result<(Vec<f64>, bool), LpError> {
    use good_lp::solvers::highs::{highs, HighsPresolveType};
    let (vars, xs, objective, constraints) = build(model, integer);
    let mut problem = highs(vars.maximise(objective))
        .set_time_limit(time_limit.max(0.1))
        .set_threads(1);
    // Presolve off, measured (README "Performance"): on the LP it cut the city event from
    // 124 to 45 ms and the large batch from 3.9 to 2.6 s; on the MIP it avoids the multi-minute
    // stalls seen on large assignment models.
    problem = problem.set_presolve(HighsPresolveType::Off);
    // EXPERTPOOL_SOLVER_LOG=1 shows HiGHS's own log, for diagnosing slow or failed solves.
    problem.set_verbose(std::env::var_os("EXPERTPOOL_SOLVER_LOG").is_some());
    for c in constraints {
        problem.add_constraint(c);
    }
    finish(problem.solve(), &xs)
}

#[cfg(not(feature = "highs"))]
fn run(model: &Model01, integer: bool, _time_limit: f64) -> Result<(Vec<f64>, bool), LpError> {
    let (vars, xs, objective, constraints) = build(model, integer);
    let mut problem = vars.maximise(objective).using(good_lp::microlp);
    for c in constraints {
        problem.add_constraint(c);
    }
    finish(problem.solve(), &xs)
}

fn finish<S: Solution>(
    solved: Result<S, ResolutionError>,
    xs: &[Variable],
) -> Result<(Vec<f64>, bool), LpError> {
    match solved {
        Ok(s) => {
            let optimal = !matches!(s.status(), good_lp::SolutionStatus::TimeLimit);
            Ok((xs.iter().map(|x| s.value(*x)).collect(), optimal))
        }
        Err(ResolutionError::Infeasible) => Err(LpError::Infeasible),
        Err(e) => Err(LpError::Solver(e.to_string())),
    }
}

const INTEGRAL_TOLERANCE: f64 = 1e-6;

/// Solves the model: LP relaxation first, MIP only when the relaxation is fractional.
pub fn solve(model: &Model01, time_limit_secs: f64) -> Result<Solved, LpError> {
    let started = Instant::now();
    let objective_of = |values: &[f64]| {
        values
            .iter()
            .zip(&model.weights)
            .map(|(v, w)| v * w)
            .sum::<f64>()
    };
    let (relaxed, relaxed_optimal) = run(model, false, time_limit_secs)?;
    let bound = objective_of(&relaxed);
    let integral = relaxed
        .iter()
        .all(|v| (v - v.round()).abs() <= INTEGRAL_TOLERANCE);
    let (values, optimal) = if integral && relaxed_optimal {
        (relaxed, true)
    } else {
        let left = (time_limit_secs - started.elapsed().as_secs_f64()).max(1.0);
        run(model, true, left)?
    };
    let chosen: Vec<bool> = values.iter().map(|v| *v > 0.5).collect();
    let objective = chosen
        .iter()
        .zip(&model.weights)
        .filter(|(c, _)| **c)
        .map(|(_, w)| w)
        .sum();
    Ok(Solved {
        chosen,
        objective,
        bound: bound.max(objective),
        status: if optimal {
            SolveStatus::Optimal
        } else {
            SolveStatus::TimeLimit
        },
        lp_integral: integral,
        solve_seconds: started.elapsed().as_secs_f64(),
        method: if integral { LP_METHOD } else { MIP_METHOD },
    })
}

impl Solved {
    /// Relative gap between the bound and the objective.
    pub fn gap(&self) -> f64 {
        if self.bound.abs() < 1e-12 {
            0.0
        } else {
            ((self.bound - self.objective) / self.bound.abs()).max(0.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(terms: &[usize], lo: Option<f64>, hi: Option<f64>) -> Row {
        Row {
            terms: terms.iter().map(|&v| (v, 1.0)).collect(),
            lo,
            hi,
        }
    }

    #[test]
    fn picks_the_best_pair_under_a_cardinality_row() {
        let model = Model01 {
            weights: vec![0.2, 0.9, 0.5],
            rows: vec![row(&[0, 1, 2], Some(2.0), Some(2.0))],
            fixed_one: vec![],
        };
        let s = solve(&model, 10.0).unwrap();
        assert_eq!(s.chosen, vec![false, true, true]);
        assert!((s.objective - 1.4).abs() < 1e-9);
        assert!(s.gap() < 1e-9);
    }

    #[test]
    fn fractional_relaxation_falls_back_to_the_mip() {
        // Odd cycle: x0+x1 ≤ 1, x1+x2 ≤ 1, x0+x2 ≤ 1; LP optimum 1.5 at ½ each, MIP 1.
        let model = Model01 {
            weights: vec![1.0, 1.0, 1.0],
            rows: vec![
                row(&[0, 1], None, Some(1.0)),
                row(&[1, 2], None, Some(1.0)),
                row(&[0, 2], None, Some(1.0)),
            ],
            fixed_one: vec![],
        };
        let s = solve(&model, 10.0).unwrap();
        assert!(!s.lp_integral);
        assert_eq!(s.chosen.iter().filter(|c| **c).count(), 1);
        assert!((s.bound - 1.5).abs() < 1e-6);
    }

    #[test]
    fn infeasible_rows_are_reported() {
        let model = Model01 {
            weights: vec![1.0],
            rows: vec![row(&[0], Some(2.0), None)],
            fixed_one: vec![],
        };
        assert_eq!(solve(&model, 10.0).unwrap_err(), LpError::Infeasible);
    }

    #[test]
    fn fixed_variables_stay_chosen() {
        let model = Model01 {
            weights: vec![0.1, 0.9],
            rows: vec![row(&[0, 1], None, Some(1.0))],
            fixed_one: vec![0],
        };
        assert_eq!(solve(&model, 10.0).unwrap().chosen, vec![true, false]);
    }
}
