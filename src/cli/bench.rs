//! `bench`: fixed-seed instance generators and the figures of README's performance section.
//!
//! (a) city event: 300 items in 100 panels × 3,000 experts, panels of 5, every rule on;
//! (b) large batch: 10,000 items × 30,000 experts, 5 per item, ~100 eligible per item,
//!     max 1 per organization, load cap 3;
//! (c) openreview-style: 1,000 items × 1,500 reviewers, dense scores, 2 % conflicts,
//!     3 per item, max load 3.

use crate::assign::openreview::{self, SolveSpec, Triples};
use crate::assign::problem::{Candidate, Item, PanelSpec, Problem, TeamMember};
use crate::assign::rules::{Filter, LeaderRule, MinCount, MinShare, Rules};
use crate::domain::expert::{ExpertType, Gender, Region, Title};
use crate::domain::DisciplineCode;
use chrono::NaiveDate;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

/// Peak resident memory of this process in MiB (Linux), for the report.
pub fn peak_memory_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn code(first: usize, second: usize) -> DisciplineCode {
    DisciplineCode::parse(&format!("{:03}{:02}", 110 + first * 10, 10 + second * 5))
        .unwrap_or_else(|_| unreachable!("generated codes are well-formed"))
}

/// Words of a discipline's vocabulary: unique to the code, so text overlaps follow disciplines.
fn vocab(first: usize, second: usize, j: usize) -> String {
    format!("topic{first}x{second}y{j}")
}

/// A generated instance: `firsts` × `seconds` discipline codes, experts spread over them.
pub fn generate(
    seed: u64,
    items: usize,
    experts: usize,
    items_per_panel: usize,
    firsts: usize,
    seconds: usize,
    orgs: usize,
) -> Problem {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let date = NaiveDate::from_ymd_opt(2026, 12, 15).unwrap_or_default();
    let titles =
        [Title::parse("正高"), Title::parse("副高")].map(|t| t.unwrap_or_else(|_| unreachable!()));
    let candidates: Vec<Candidate> = (0..experts)
        .map(|e| {
            // Disciplines in turn, so that every code has its share of experts.
            let (f, s) = ((e / seconds) % firsts, e % seconds);
            let mut types = std::collections::BTreeSet::new();
            types.insert(if rng.random_bool(0.08) {
                ExpertType::Finance
            } else {
                ExpertType::Technical
            });
            Candidate::new(
                std::sync::Arc::new(crate::assign::problem::CandidateProfile {
                    key: format!("E{e:06}"),
                    name: format!("专家{e}"),
                    identifier: None,
                    gender: if rng.random_bool(0.3) {
                        Gender::Female
                    } else {
                        Gender::Male
                    },
                    title: titles[usize::from(rng.random_bool(0.45))],
                    org_id: format!("org{}", rng.random_range(0..orgs)),
                    region: [Region::Local, Region::Province, Region::Outside]
                        [rng.random_range(0..3)],
                    types,
                    disciplines: vec![code(f, s), code(f, rng.random_range(0..seconds))],
                    keywords: (0..5)
                        .map(|_| vocab(f, s, rng.random_range(0..12)))
                        .collect(),
                    summary: String::new(),
                    employments: vec![],
                    relations: vec![],
                    unavailable: vec![],
                }),
                None,
                rng.random_range(0..6),
            )
        })
        .collect();
    let items: Vec<Item> = (0..items)
        .map(|i| {
            let (f, s) = ((i / seconds) % firsts, i % seconds);
            Item {
                key: format!("P{i:06}"),
                title: String::new(),
                applicant_orgs: vec![format!("org{}", rng.random_range(0..orgs))],
                team: vec![TeamMember {
                    name: format!("专家{}", rng.random_range(0..experts)),
                    org_id: format!("org{}", rng.random_range(0..orgs)),
                    identifier: None,
                }],
                disciplines: vec![code(f, s)],
                keywords: (0..4)
                    .map(|_| vocab(f, s, rng.random_range(0..12)))
                    .collect(),
                abstract_text: String::new(),
                requested_avoid: vec![],
                avoid_reasons: Default::default(),
                prior_roles: Default::default(),
                earlier_items: vec![],
            }
        })
        .collect();
    let panels = (0..items.len().div_ceil(items_per_panel))
        .map(|p| PanelSpec {
            key: format!("PANEL{p:05}"),
            slot: (items_per_panel > 1).then(|| format!("S{}", p % 4)),
            date: Some(date),
            meets: None,
            items: (p * items_per_panel..((p + 1) * items_per_panel).min(items.len())).collect(),
        })
        .collect();
    Problem {
        event: format!("BENCH-{seed}"),
        dates: vec![date],
        window: None,
        rules: Rules::default(),
        items,
        panels,
        candidates,
        org_names: Default::default(),
        overrides: Default::default(),
        seed,
        time_limit_secs: 60.0,
        fit_basis: crate::assign::problem::FitBasis::Experts,
    }
}

fn filter_title(t: &str) -> Filter {
    Filter {
        title: vec![Title::parse(t).unwrap_or_else(|_| unreachable!())],
        ..Filter::default()
    }
}

/// Instance (a).
pub fn city_event(seed: u64) -> Problem {
    // Items share discipline first levels with panels of three, as staff group them.
    let mut p = generate(seed, 300, 3000, 3, 12, 8, 100);
    for panel in p.panels.clone() {
        let lead = p.items[panel.items[0]].clone();
        for &i in &panel.items[1..] {
            p.items[i].disciplines = lead.disciplines.clone();
        }
    }
    p.rules = Rules {
        panel_size: 5,
        max_per_org: 1,
        min_count: vec![MinCount {
            filter: filter_title("正高"),
            count: 2,
        }],
        min_share: vec![MinShare {
            filter: Filter {
                region: vec![Region::Province, Region::Outside],
                ..Filter::default()
            },
            numerator: 1,
            denominator: 3,
        }],
        leader: Some(LeaderRule {
            filter: filter_title("正高"),
        }),
        max_panels_per_expert: 2,
        same_slot_exclusive: true,
        ..Rules::default()
    };
    p
}

/// Instance (b).
pub fn large_batch(seed: u64, scale: f64) -> Problem {
    let n = |x: f64| ((x * scale).round() as usize).max(1);
    let mut p = generate(seed, n(10_000.0), n(30_000.0), 1, 30, 10, n(3000.0));
    p.rules = Rules {
        panel_size: 5,
        max_per_org: 1,
        min_count: vec![],
        min_share: vec![],
        leader: None,
        max_panels_per_expert: 3,
        min_fit: 0.5,
        ..Rules::default()
    };
    p
}

/// Instance (c): dense scores and 2 % conflicts as openreview CSV triples.
pub fn openreview_instance(seed: u64) -> (Triples, Triples) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut scores = Vec::with_capacity(1_500_000);
    let mut conflicts = Vec::new();
    for i in 0..1000 {
        for r in 0..1500 {
            let (item, reviewer) = (format!("i{i}"), format!("r{r}"));
            if rng.random_bool(0.02) {
                conflicts.push((item.clone(), reviewer.clone(), -1.0));
            }
            scores.push((
                item,
                reviewer,
                (rng.random::<f64>() * 1000.0).round() / 1000.0,
            ));
        }
    }
    (scores, conflicts)
}

/// The same instance through the full model and the LP backend alone (the engine before the
/// network solver), for README's side-by-side figures.
fn report_full_lp(name: &str, problem: &Problem) -> Result<(), String> {
    use crate::assign::{analyze, lp, model};
    let started = Instant::now();
    let analysis = analyze(problem);
    let built = model::build(problem, &analysis);
    let solved =
        lp::solve(&built.model, problem.time_limit_secs).map_err(|e| format!("{name}: {e:?}"))?;
    out!(
        "{name} [full model, {}]: {} variables, {} rows | solve {:.0} ms, total {:.0} ms | objective {:.4}, bound {:.4}, gap {:.4}%",
        solved.method,
        built.model.weights.len(),
        built.model.rows.len(),
        solved.solve_seconds * 1e3,
        started.elapsed().as_secs_f64() * 1e3,
        solved.objective,
        solved.bound,
        solved.gap() * 100.0
    )?;
    Ok(())
}

fn report_draw(name: &str, problem: &Problem) -> Result<(), String> {
    let started = Instant::now();
    let outcome = crate::assign::draw(problem).map_err(|e| format!("{name}: {e}"))?;
    let total = started.elapsed().as_secs_f64() * 1e3;
    let (r, s) = (&outcome.result, &outcome.stats);
    out!(
        "{name} [{}]: {} panels, {} experts, {} variables, {} rows | analysis {:.0} ms, build {:.0} ms, solve {:.0} ms, total {total:.0} ms | objective {:.4}, bound {:.4}, gap {:.4}%, {:?}, LP integral {} | peak memory {:.0} MiB",
        s.solver, problem.panels.len(), problem.candidates.len(), s.variables, s.rows, s.analysis_ms, s.build_ms, s.solve_ms, r.objective, r.bound, r.gap * 100.0, r.status, s.lp_integral, peak_memory_mib()
    )?;
    Ok(())
}

/// `bench [--only a|b|c|d] [--seed N] [--scale F] [--full-lp] [--data DIR] [--event ID]` (`--scale` shrinks instance (b)
/// for a quick look; `--full-lp` also solves (a) and (b) as one full model by the LP backend)
pub fn run(raw: &[String]) -> Result<(), String> {
    let args = super::usage::BENCH.parse(raw)?;
    let full_lp = args.flag("full-lp");
    let scale: f64 = args.number("scale", 1.0)?;
    let seed = args.number("seed", 42u64)?;
    let only = args.get("only").unwrap_or("abc");
    out!(
        "engine: network simplex (pure Rust) with Lagrangian prices; MIP backend: {}; seed {seed}",
        crate::assign::lp::solver_name()
    )?;
    // The service loads the segmentation dictionary at start; so does the bench, untimed.
    let warm = Instant::now();
    crate::assign::text::warm_up();
    out!(
        "segmentation dictionary loaded in {:.0} ms (once per process, not timed below)",
        warm.elapsed().as_secs_f64() * 1e3
    )?;
    if only.contains('a') {
        let p = city_event(seed);
        report_draw("(a) city event 300 items × 3,000 experts", &p)?;
        if full_lp {
            report_full_lp("(a)", &p)?;
        }
    }
    if only.contains('b') {
        let started = Instant::now();
        let p = large_batch(seed, scale);
        out!(
            "(b) generated in {:.0} ms",
            started.elapsed().as_secs_f64() * 1e3
        )?;
        report_draw("(b) large batch 10,000 items × 30,000 experts", &p)?;
        if full_lp {
            report_full_lp("(b)", &p)?;
        }
    }
    if only.contains('d') {
        match args.get("data") {
            Some(dir) => super::province::run(dir, args.get("event").unwrap_or("EV001-ACC"), seed)?,
            None => out!("(d) skipped: give --data DIR, a folder made by `python3 ../shared/data/generate.py --seed 7 --experts 30000 --projects 10000 --out DIR`")?,
        }
    }
    if only.contains('c') {
        let (scores, conflicts) = openreview_instance(seed);
        let spec = SolveSpec {
            per_item: 3,
            max_load: 3,
            min_load: 0,
            seed,
            time_limit_secs: 60.0,
        };
        let started = Instant::now();
        let m = openreview::solve(&scores, &conflicts, &spec).map_err(|e| format!("(c): {e}"))?;
        let total = started.elapsed().as_secs_f64() * 1e3;
        let gap = ((m.bound - m.objective) / m.bound.abs()).max(0.0);
        out!(
            "(c) openreview 1,000 items × 1,500 reviewers: {} variables | solve {:.0} ms, total {total:.0} ms | objective {:.4}, bound {:.4}, gap {:.6}%, {:?} | peak memory {:.0} MiB",
            m.variables, m.solve_seconds * 1e3, m.objective, m.bound, gap * 100.0, m.status, peak_memory_mib()
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assign::{analyze, lp, model, network};

    /// The network solver and the full model through the LP backend agree on the bench
    /// instances: run with `--features highs` (CI does) to check against HiGHS.
    fn agree(problem: &Problem) {
        let analysis = analyze(problem);
        let built = model::build(problem, &analysis);
        let full = lp::solve(&built.model, 600.0).expect("full model");
        let net = network::solve(&built.model, &built.structure, 600.0).expect("network");
        let tolerance = 1e-7 * full.objective.abs().max(1.0);
        assert!(
            (full.objective - net.objective).abs() <= tolerance,
            "{}: full {} vs network {} ({})",
            lp::solver_name(),
            full.objective,
            net.objective,
            net.method
        );
        assert_eq!(net.status, lp::SolveStatus::Optimal);
    }

    #[test]
    #[cfg_attr(
        not(feature = "highs"),
        ignore = "slow without HiGHS; CI runs it with --features highs"
    )]
    fn network_solver_matches_the_lp_backend_on_the_city_event() {
        agree(&city_event(42));
    }

    #[test]
    #[cfg_attr(
        not(feature = "highs"),
        ignore = "slow without HiGHS; CI runs it with --features highs"
    )]
    fn network_solver_matches_the_lp_backend_on_a_large_batch() {
        agree(&large_batch(42, 0.1));
    }

    #[test]
    fn network_solver_matches_the_lp_backend_on_a_small_city_event() {
        let mut p = city_event(7);
        p.panels.truncate(8);
        agree(&p);
    }

    #[test]
    #[cfg_attr(
        not(feature = "highs"),
        ignore = "slow without HiGHS; CI runs it with --features highs"
    )]
    fn openreview_solve_matches_the_lp_backend() {
        use crate::assign::lp::{Model01, Row};
        use crate::assign::openreview::{self, SolveSpec};
        // A smaller openreview instance: 120 items × 180 reviewers, dense.
        let (scores, conflicts) = openreview_instance(3);
        let keep = |t: &(String, String, f64)| {
            t.0[1..].parse::<usize>().is_ok_and(|i| i < 120)
                && t.1[1..].parse::<usize>().is_ok_and(|r| r < 180)
        };
        let scores: Vec<_> = scores.into_iter().filter(keep).collect();
        let conflicts: Vec<_> = conflicts.into_iter().filter(keep).collect();
        let spec = SolveSpec {
            per_item: 3,
            max_load: 3,
            min_load: 0,
            seed: 1,
            time_limit_secs: 600.0,
        };
        let m = openreview::solve(&scores, &conflicts, &spec).unwrap();
        let banned: std::collections::HashSet<(&str, &str)> = conflicts
            .iter()
            .map(|c| (c.0.as_str(), c.1.as_str()))
            .collect();
        let pairs: Vec<&(String, String, f64)> = scores
            .iter()
            .filter(|s| !banned.contains(&(s.0.as_str(), s.1.as_str())))
            .collect();
        let ones = |f: &dyn Fn(&(String, String, f64)) -> bool| Row {
            terms: pairs
                .iter()
                .enumerate()
                .filter(|(_, p)| f(p))
                .map(|(v, _)| (v, 1.0))
                .collect(),
            lo: None,
            hi: None,
        };
        let mut rows = Vec::new();
        for i in 0..120 {
            let name = format!("i{i}");
            rows.push(Row {
                lo: Some(3.0),
                hi: Some(3.0),
                ..ones(&|p| p.0 == name)
            });
        }
        for r in 0..180 {
            let name = format!("r{r}");
            rows.push(Row {
                hi: Some(3.0),
                ..ones(&|p| p.1 == name)
            });
        }
        let full = lp::solve(
            &Model01 {
                weights: pairs.iter().map(|p| p.2).collect(),
                rows,
                fixed_one: vec![],
            },
            600.0,
        )
        .unwrap();
        assert!(
            (full.objective - m.objective).abs() < 1e-6,
            "full {} vs network {}",
            full.objective,
            m.objective
        );
    }
}
