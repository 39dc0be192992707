//! The draw: analysis → model → solve → check → leaders and alternates (DESIGN §8).

use super::alternates::{rank, Board};
use super::check::{violations, Seating};
use super::diagnose::{diagnose, Diagnosis};
use super::eligibility::{analyze, analyze_with, Analysis};
use super::lp::{LpError, SolveStatus};
use super::model;
use super::network;
use super::problem::Problem;
use super::profiles::ProfileIndex;
use crate::domain::ValidationError;
use serde::Serialize;
use std::time::Instant;

/// A seated member.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Member {
    /// Expert key.
    pub expert: String,
    /// Panel fit, rounded to 4 decimals.
    pub fit: f64,
    /// Items the member leaves the room for (recuse mode).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recused_items: Vec<String>,
}

/// A ranked alternate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alternate {
    /// Expert key.
    pub expert: String,
    /// Panel fit.
    pub fit: f64,
    /// Members this alternate could replace with every rule kept.
    pub replaces: Vec<String>,
}

/// One filled panel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PanelResult {
    /// Panel key.
    pub panel: String,
    /// Members, best fit first.
    pub members: Vec<Member>,
    /// Leader (组长), when the rules ask for one.
    pub leader: Option<String>,
    /// Deputy leader (副组长), when the rules ask for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deputy: Option<String>,
    /// Ranked alternates, best first.
    pub alternates: Vec<Alternate>,
    /// Mean fit of the members.
    pub mean_fit: f64,
}

/// The reproducible result of a draw: identical bytes for identical input, seed and engine.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrawResult {
    /// Event key.
    pub event: String,
    /// Seed.
    pub seed: u64,
    /// Engine version.
    pub engine_version: String,
    /// SHA-256 of the input.
    pub input_hash: String,
    /// Objective value (rounded to 6 decimals).
    pub objective: f64,
    /// Upper bound (LP relaxation).
    pub bound: f64,
    /// Relative optimality gap.
    pub gap: f64,
    /// Whether optimality is proven.
    pub status: SolveStatus,
    /// Panels, in input order.
    pub panels: Vec<PanelResult>,
}

/// Timings and sizes of a draw: useful, but not part of the reproducible result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrawStats {
    /// Solver backend.
    pub solver: &'static str,
    /// Variables (eligible pairs).
    pub variables: usize,
    /// Rows.
    pub rows: usize,
    /// Whether the LP relaxation was integral.
    pub lp_integral: bool,
    /// Milliseconds for conflicts, fit and eligibility.
    pub analysis_ms: f64,
    /// Milliseconds to build the model.
    pub build_ms: f64,
    /// Milliseconds in the solver.
    pub solve_ms: f64,
}

/// A draw with its statistics.
#[derive(Debug, Clone, Serialize)]
pub struct DrawOutcome {
    /// The result.
    pub result: DrawResult,
    /// Statistics.
    pub stats: DrawStats,
}

/// Why no result.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DrawError {
    /// The input is not coherent.
    #[error("invalid input: {0}")]
    Invalid(#[from] ValidationError),
    /// No seating satisfies the rules.
    #[error("no panel assignment satisfies the rules:\n{0}")]
    Infeasible(Diagnosis),
    /// The solver failed.
    #[error("solver failed: {0}")]
    Solver(String),
    /// The checker found a broken rule in the solver's result: a bug, never shown as a result.
    #[error("internal error: the result breaks rules: {}", .0.join("; "))]
    CheckFailed(Vec<String>),
    /// `replace` was asked about someone who is not a member.
    #[error("{expert} is not a member of panel {panel}")]
    NotAMember {
        /// Panel key.
        panel: String,
        /// Expert key.
        expert: String,
    },
}

impl DrawResult {
    /// SHA-256 of the result's canonical JSON: compared on replay.
    pub fn hash(&self) -> String {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(serde_json::to_vec(self).unwrap_or_default()))
    }
}

impl DrawResult {
    /// A result describing a current seating (panel key → member keys), for `replace` after
    /// earlier replacements changed the drawn panels.
    pub fn from_seating(
        event: &str,
        seed: u64,
        bound: f64,
        panels: Vec<(String, Vec<String>)>,
    ) -> Self {
        DrawResult {
            event: event.to_string(),
            seed,
            engine_version: super::ENGINE_VERSION.to_string(),
            input_hash: String::new(),
            objective: 0.0,
            bound,
            gap: 0.0,
            status: SolveStatus::Optimal,
            panels: panels
                .into_iter()
                .map(|(panel, members)| PanelResult {
                    panel,
                    members: members
                        .into_iter()
                        .map(|expert| Member {
                            expert,
                            fit: 0.0,
                            recused_items: vec![],
                        })
                        .collect(),
                    leader: None,
                    deputy: None,
                    alternates: vec![],
                    mean_fit: 0.0,
                })
                .collect(),
        }
    }
}

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

/// The checks an input must pass before it is analysed (an item index out of range would
/// otherwise panic the analysis).
pub fn validate(problem: &Problem) -> Result<(), ValidationError> {
    problem.rules.validate().map_err(|e| e.within("rules"))?;
    for (pi, p) in problem.panels.iter().enumerate() {
        if p.items.is_empty() {
            return Err(ValidationError::new(
                format!("panels[{pi}].items"),
                format!("panel {} has no items", p.key),
            ));
        }
        if let Some(bad) = p.items.iter().find(|&&i| i >= problem.items.len()) {
            return Err(ValidationError::new(
                format!("panels[{pi}].items"),
                format!("item index {bad} does not exist"),
            ));
        }
    }
    if problem.dates.is_empty() && problem.panels.iter().any(|p| p.date.is_none()) {
        return Err(ValidationError::new(
            "dates",
            "the event needs at least one date",
        ));
    }
    Ok(())
}

/// Draws every panel of the problem.
pub fn draw(problem: &Problem) -> Result<DrawOutcome, DrawError> {
    validate(problem)?;
    let started = Instant::now();
    let analysis = analyze(problem);
    let analysis_ms = started.elapsed().as_secs_f64() * 1e3;
    solve_analyzed(problem, &analysis, analysis_ms)
}

/// [`draw`] of a stored input whose hash is `input_hash` (a format-2 input's hash is its
/// stored text's, not [`Problem::input_hash`]).
pub fn draw_hashed(problem: &Problem, input_hash: String) -> Result<DrawOutcome, DrawError> {
    validate(problem)?;
    let started = Instant::now();
    let analysis = analyze(problem);
    let analysis_ms = started.elapsed().as_secs_f64() * 1e3;
    solve_prepared(problem, &analysis, None, analysis_ms, Some(input_hash))
}

/// [`draw`] with the profile-only part of the analysis at hand (the same result, sooner).
/// `input_hash`, when the caller has serialized the input already, must be
/// [`Problem::input_hash`]: at province scale computing it again costs a tenth of a second.
pub fn draw_with(
    problem: &Problem,
    profiles: &ProfileIndex,
    input_hash: Option<String>,
) -> Result<DrawOutcome, DrawError> {
    validate(problem)?;
    let started = Instant::now();
    let analysis = analyze_with(problem, profiles);
    let analysis_ms = started.elapsed().as_secs_f64() * 1e3;
    solve_prepared(problem, &analysis, None, analysis_ms, input_hash)
}

fn analyze_maybe(problem: &Problem, profiles: Option<&ProfileIndex>) -> Analysis {
    match profiles {
        Some(p) => analyze_with(problem, p),
        None => analyze(problem),
    }
}

/// Solves a problem whose analysis is already computed (the web overview computes it first).
pub fn solve_analyzed(
    problem: &Problem,
    analysis: &Analysis,
    analysis_ms: f64,
) -> Result<DrawOutcome, DrawError> {
    solve_prepared(problem, analysis, None, analysis_ms, None)
}

/// [`solve_analyzed`] with the pre-solve diagnosis too when it is at hand (the service keeps
/// both from an overview or a draw of the same input; neither depends on the seed) and the
/// input hash when the caller computes it (see [`draw_with`]).
pub fn solve_prepared(
    problem: &Problem,
    analysis: &Analysis,
    diagnosis: Option<&Diagnosis>,
    analysis_ms: f64,
    input_hash: Option<String>,
) -> Result<DrawOutcome, DrawError> {
    let built = Instant::now();
    let model::Built {
        model: model01,
        structure,
        ..
    } = model::build(problem, analysis);
    let build_ms = built.elapsed().as_secs_f64() * 1e3;
    let diagnosed = Instant::now();
    let pre = match diagnosis {
        Some(d) => d.clone(),
        None => diagnose(problem, analysis),
    };
    let diagnose_ms = diagnosed.elapsed().as_secs_f64() * 1e3;
    if pre.findings.iter().any(|f| f.rule != "combined") {
        return Err(DrawError::Infeasible(pre));
    }
    let solved = match network::solve(&model01, &structure, problem.time_limit_secs) {
        Ok(s) => s,
        Err(LpError::Infeasible) => return Err(DrawError::Infeasible(pre)),
        Err(LpError::Solver(e)) => return Err(DrawError::Solver(e)),
    };
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); problem.panels.len()];
    for (a, chosen) in solved.chosen.iter().enumerate() {
        if *chosen {
            let arc = &analysis.arcs[a];
            members[arc.panel].push(arc.candidate);
        }
    }
    let finished = Instant::now();
    let result = finish(
        problem,
        input_hash.unwrap_or_else(|| problem.input_hash()),
        analysis,
        members,
        &model01.weights,
        (solved.objective, solved.bound, solved.status),
    )?;
    if std::env::var_os("EXPERTPOOL_SOLVER_LOG").is_some() {
        eprintln!(
            "draw: model {build_ms:.0} ms, diagnosis {diagnose_ms:.0} ms, solve {:.0} ms, result {:.0} ms",
            solved.solve_seconds * 1e3,
            finished.elapsed().as_secs_f64() * 1e3
        );
    }
    Ok(DrawOutcome {
        result,
        stats: DrawStats {
            solver: solved.method,
            variables: model01.weights.len(),
            rows: model01.rows.len(),
            lp_integral: solved.lp_integral,
            analysis_ms,
            build_ms,
            solve_ms: solved.solve_seconds * 1e3,
        },
    })
}

/// The leader and the deputy of a panel whose members are sorted best fit first: the
/// best-fitting member meeting the leader filter, then the best other one meeting the
/// deputy filter. When that leaves no deputy (the deputy filter is the narrower one and
/// its only member was made leader), the deputy is chosen first instead.
pub fn pick_roles(problem: &Problem, list: &[usize]) -> (Option<usize>, Option<usize>) {
    let rules = &problem.rules;
    let meets = |ci: usize, rule: &Option<super::rules::LeaderRule>| {
        rule.as_ref()
            .is_some_and(|r| problem.candidates[ci].matches(&r.filter))
    };
    let first = |rule: &Option<super::rules::LeaderRule>, not: Option<usize>| {
        list.iter()
            .copied()
            .find(|&ci| Some(ci) != not && meets(ci, rule))
    };
    let leader = first(&rules.leader, None);
    if rules.deputy.is_none() {
        return (leader, None);
    }
    let deputy = first(&rules.deputy, leader);
    if deputy.is_some() || rules.leader.is_none() {
        return (leader, deputy);
    }
    let deputy = first(&rules.deputy, None);
    (first(&rules.leader, deputy), deputy)
}

/// Checks a seating, picks leaders, ranks alternates and shapes the result.
fn finish(
    problem: &Problem,
    input_hash: String,
    analysis: &Analysis,
    mut members: Vec<Vec<usize>>,
    weights: &[f64],
    (objective, bound, status): (f64, f64, SolveStatus),
) -> Result<DrawResult, DrawError> {
    let fit_of = |pi: usize, ci: usize| {
        analysis
            .arc_of(pi, ci)
            .map(|a| analysis.arcs[a].fit)
            .unwrap_or(0.0)
    };
    for (pi, list) in members.iter_mut().enumerate() {
        list.sort_by(|&a, &b| fit_of(pi, b).total_cmp(&fit_of(pi, a)).then(a.cmp(&b)));
    }
    let (leaders, deputies): (Vec<Option<usize>>, Vec<Option<usize>>) =
        members.iter().map(|list| pick_roles(problem, list)).unzip();
    let broken = violations(
        problem,
        analysis,
        &Seating {
            members: &members,
            leaders: &leaders,
            deputies: &deputies,
        },
    );
    if !broken.is_empty() {
        return Err(DrawError::CheckFailed(broken));
    }
    let board = Board::new(problem, analysis, members.clone());
    let limit = problem.rules.alternates_per_panel();
    let key = |ci: usize| problem.candidates[ci].key.clone();
    let panels = problem
        .panels
        .iter()
        .enumerate()
        .map(|(pi, panel)| {
            let list = &members[pi];
            let alternates = rank(&board, pi, weights, limit)
                .into_iter()
                .map(|r| Alternate {
                    expert: key(r.candidate),
                    fit: round(analysis.arcs[r.arc].fit, 4),
                    replaces: r.replaces.into_iter().map(key).collect(),
                })
                .collect();
            let mean = if list.is_empty() {
                0.0
            } else {
                list.iter().map(|&ci| fit_of(pi, ci)).sum::<f64>() / list.len() as f64
            };
            PanelResult {
                panel: panel.key.clone(),
                members: list
                    .iter()
                    .map(|&ci| Member {
                        expert: key(ci),
                        fit: round(fit_of(pi, ci), 4),
                        recused_items: analysis
                            .arc_of(pi, ci)
                            .map(|a| {
                                analysis.arcs[a]
                                    .recused_items
                                    .iter()
                                    .map(|&i| problem.items[i].key.clone())
                                    .collect()
                            })
                            .unwrap_or_default(),
                    })
                    .collect(),
                leader: leaders[pi].map(key),
                deputy: deputies[pi].map(key),
                alternates,
                mean_fit: round(mean, 4),
            }
        })
        .collect();
    let objective = round(objective, 6);
    let bound = round(bound, 6);
    Ok(DrawResult {
        event: problem.event.clone(),
        seed: problem.seed,
        engine_version: super::ENGINE_VERSION.to_string(),
        input_hash,
        objective,
        bound,
        gap: round(
            if bound.abs() < 1e-12 {
                0.0
            } else {
                ((bound - objective) / bound.abs()).max(0.0)
            },
            6,
        ),
        status,
        panels,
    })
}

/// Replaces a member who declined: the best-ranked alternate that keeps every rule, with
/// every other seat unchanged; when none exists, a re-solve with `keep` (accepted members,
/// plus the panel's other members) fixed and the decliner removed.
pub fn replace(
    problem: &Problem,
    profiles: Option<&ProfileIndex>,
    result: &DrawResult,
    panel_key: &str,
    expert_key: &str,
    keep: &[(String, String)],
) -> Result<DrawOutcome, DrawError> {
    validate(problem)?;
    let started = Instant::now();
    let mut base = problem.clone();
    base.overrides
        .forbidden
        .push((panel_key.to_string(), expert_key.to_string()));
    let analysis = analyze_maybe(&base, profiles);
    let analysis_ms = started.elapsed().as_secs_f64() * 1e3;
    let index = base.candidate_positions();
    let pi = base
        .panels
        .iter()
        .position(|p| p.key == panel_key)
        .ok_or_else(|| DrawError::NotAMember {
            panel: panel_key.into(),
            expert: expert_key.into(),
        })?;
    let members: Vec<Vec<usize>> = result
        .panels
        .iter()
        .map(|p| {
            p.members
                .iter()
                .filter_map(|m| index.get(m.expert.as_str()).copied())
                .collect()
        })
        .collect();
    let outgoing = *index
        .get(expert_key)
        .filter(|ci| members[pi].contains(ci))
        .ok_or_else(|| DrawError::NotAMember {
            panel: panel_key.into(),
            expert: expert_key.into(),
        })?;

    let model01 = model::build(&base, &analysis).model;
    let mut board = Board::new(&base, &analysis, members.clone());
    // The board still counts the decliner's seat; a swap moves it to the incoming expert.
    if let Some(best) = rank(&board, pi, &model01.weights, usize::MAX)
        .into_iter()
        .find(|r| r.replaces.contains(&outgoing))
    {
        board.swap(pi, outgoing, best.candidate);
        let analysis_ref = &analysis;
        let chosen: std::collections::HashSet<usize> = board
            .members
            .iter()
            .enumerate()
            .flat_map(|(p, list)| {
                list.iter()
                    .filter_map(move |&ci| analysis_ref.arc_of(p, ci))
            })
            .collect();
        let objective: f64 = chosen.iter().map(|&a| model01.weights[a]).sum();
        let result = finish(
            &base,
            base.input_hash(),
            &analysis,
            board.members.clone(),
            &model01.weights,
            (objective, objective.max(result.bound), SolveStatus::Optimal),
        )?;
        return Ok(DrawOutcome {
            result,
            stats: DrawStats {
                solver: "swap",
                variables: model01.weights.len(),
                rows: model01.rows.len(),
                lp_integral: true,
                analysis_ms,
                build_ms: 0.0,
                solve_ms: 0.0,
            },
        });
    }
    let mut fixed = base.clone();
    fixed.overrides.forced.extend(keep.iter().cloned());
    for &ci in &members[pi] {
        if ci != outgoing {
            fixed
                .overrides
                .forced
                .push((panel_key.to_string(), base.candidates[ci].key.clone()));
        }
    }
    fixed.overrides.forced.sort();
    fixed.overrides.forced.dedup();
    let analysis = analyze_maybe(&fixed, profiles);
    solve_analyzed(&fixed, &analysis, analysis_ms)
}
