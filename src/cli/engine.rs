//! `draw`, `conflicts` and `solve`: the engine from the command line, without a database.

use super::args::Args;
use super::usage;
use crate::assign::explain::explain;
use crate::assign::openreview::{self, SolveSpec};
use crate::assign::{analyze, solve_analyzed};
use crate::dataset::Dataset;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

fn load(args: &Args) -> Result<Dataset, String> {
    let dir = args.require("data")?;
    Dataset::load(Path::new(dir)).map_err(|e| e.to_string())
}

fn random_seed() -> u64 {
    use rand::RngExt;
    rand::rng().random()
}

/// `draw --data DIR --event ID [--seed N] [--json] [--explain EXPERT PANEL]`
pub fn draw(raw: &[String]) -> Result<(), String> {
    let args = usage::DRAW.parse(raw)?;
    let data = load(&args)?;
    let seed = match args.get("seed") {
        Some(_) => args.number("seed", 0u64)?,
        None => random_seed(),
    };
    let mut problem = data
        .problem(args.require("event")?, seed)
        .map_err(|e| e.to_string())?;
    if let Some(r) = args.get("randomness") {
        problem.rules.randomness = r
            .parse()
            .map_err(|_| format!("--randomness: '{r}' is not a number"))?;
    }
    problem.time_limit_secs = args.number("time-limit", problem.time_limit_secs)?;
    problem.rules.validate().map_err(|e| format!("rules.{e}"))?;
    let started = Instant::now();
    let analysis = analyze(&problem);
    let analysis_ms = started.elapsed().as_secs_f64() * 1e3;
    let outcome = solve_analyzed(&problem, &analysis, analysis_ms);
    if let Some(expert) = args.get("explain") {
        let panel = args
            .positional()
            .first()
            .ok_or("--explain needs an expert and a panel: --explain E00001 EV001-APP-P01")?;
        let result = outcome.as_ref().ok().map(|o| &o.result);
        let e = explain(&problem, &analysis, result, expert, panel)
            .ok_or_else(|| format!("unknown expert {expert} or panel {panel}"))?;
        return if args.flag("json") {
            out!(
                "{}",
                serde_json::to_string_pretty(&e).map_err(|e| e.to_string())?
            )
        } else {
            out!("{e}")
        };
    }
    let outcome = outcome.map_err(|e| e.to_string())?;
    if args.flag("json") {
        return out!(
            "{}",
            serde_json::to_string_pretty(&outcome).map_err(|e| e.to_string())?
        );
    }
    let c = |key: &str| problem.candidates.iter().find(|c| c.key == key);
    let mut out = String::new();
    let r = &outcome.result;
    for p in &r.panels {
        let _ = writeln!(out, "{}  (mean fit {:.3})", p.panel, p.mean_fit);
        for m in &p.members {
            if let Some(cand) = c(&m.expert) {
                let lead = if p.leader.as_deref() == Some(&m.expert) {
                    " 组长/leader"
                } else if p.deputy.as_deref() == Some(&m.expert) {
                    " 副组长/deputy"
                } else {
                    ""
                };
                let types: Vec<&str> = cand.types.iter().map(|t| t.as_str()).collect();
                let _ = writeln!(
                    out,
                    "  {} {:<6} fit {:.3}  {}  {}  {}  {}{lead}",
                    m.expert,
                    cand.name,
                    m.fit,
                    problem.org_label(&cand.org_id),
                    cand.title,
                    types.join("+"),
                    cand.region
                );
            }
        }
        let alts: Vec<String> = p
            .alternates
            .iter()
            .map(|a| format!("{} ({:.2})", a.expert, a.fit))
            .collect();
        let _ = writeln!(
            out,
            "  alternates: {}",
            if alts.is_empty() {
                "none".into()
            } else {
                alts.join(", ")
            }
        );
    }
    let s = &outcome.stats;
    let _ = writeln!(
        out,
        "objective {:.6}  bound {:.6}  gap {:.4}%  status {:?}  seed {}  solver {} ({} variables, {} rows, LP integral: {})",
        r.objective, r.bound, r.gap * 100.0, r.status, r.seed, s.solver, s.variables, s.rows, s.lp_integral
    );
    let _ = writeln!(
        out,
        "time: analysis {:.0} ms, build {:.0} ms, solve {:.0} ms; input {}; result {}",
        s.analysis_ms,
        s.build_ms,
        s.solve_ms,
        r.input_hash,
        r.hash()
    );
    super::out::text(&out)
}

/// `conflicts --data DIR [--event ID] [--csv]`
pub fn conflicts(raw: &[String]) -> Result<(), String> {
    let args = usage::CONFLICTS.parse(raw)?;
    let data = load(&args)?;
    let events: Vec<String> = match args.get("event") {
        Some(e) => vec![e.to_string()],
        None => data.events.iter().map(|e| e.id.clone()).collect(),
    };
    let mut writer = csv::Writer::from_writer(super::out::Stdout);
    if args.flag("csv") {
        writer
            .write_record([
                "event",
                "project_id",
                "expert_id",
                "code",
                "possible",
                "cleared",
                "detail",
            ])
            .map_err(|e| e.to_string())?;
    }
    for event in events {
        let problem = data.problem(&event, 0).map_err(|e| e.to_string())?;
        for c in crate::assign::conflict::find_conflicts(&problem) {
            let item = &problem.items[c.item].key;
            let expert = &problem.candidates[c.candidate].key;
            let possible = c.code == crate::assign::conflict::ConflictCode::PossibleNameOnly;
            if args.flag("csv") {
                writer
                    .write_record([
                        event.as_str(),
                        item,
                        expert,
                        c.code.as_str(),
                        if possible { "yes" } else { "no" },
                        if c.cleared { "yes" } else { "no" },
                        &c.reason,
                    ])
                    .map_err(|e| e.to_string())?;
            } else {
                out!(
                    "{event}\t{item}\t{expert}\t{}{}\t{}",
                    c.code.as_str(),
                    if possible { " (possible)" } else { "" },
                    c.reason
                )?;
            }
        }
    }
    writer.flush().map_err(|e| e.to_string())
}

/// `solve --scores F --constraints F --per-item K --max-load L [--min-load M] [--seed N] [--out F]`
pub fn solve(raw: &[String]) -> Result<(), String> {
    let args = usage::SOLVE.parse(raw)?;
    let read = |name: &str| -> Result<Vec<(String, String, f64)>, String> {
        let path = args.require(name)?;
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        openreview::parse_triples(path, &text).map_err(|e| e.to_string())
    };
    let scores = read("scores")?;
    let constraints = if args.get("constraints").is_some() {
        read("constraints")?
    } else {
        vec![]
    };
    let spec = SolveSpec {
        per_item: args
            .require("per-item")
            .and_then(|_| args.number("per-item", 0))?,
        max_load: args
            .require("max-load")
            .and_then(|_| args.number("max-load", 0))?,
        min_load: args.number("min-load", 0)?,
        seed: args.number("seed", 0)?,
        time_limit_secs: args.number("time-limit", 60.0)?,
    };
    if spec.per_item == 0 || spec.max_load == 0 {
        return Err("--per-item and --max-load must be at least 1".into());
    }
    let m = openreview::solve(&scores, &constraints, &spec).map_err(|e| e.to_string())?;
    let mut text = String::new();
    for (i, r, s) in &m.pairs {
        let _ = writeln!(text, "{i},{r},{s}");
    }
    match args.get("out") {
        Some(path) => std::fs::write(path, &text).map_err(|e| format!("{path}: {e}"))?,
        None => super::out::text(&text)?,
    }
    let gap = if m.bound.abs() > 0.0 {
        ((m.bound - m.objective) / m.bound.abs()).max(0.0)
    } else {
        0.0
    };
    eprintln!(
        "assigned {} pairs; objective {:.6}, bound {:.6}, gap {:.6}%, status {:?}, {} variables, solve {:.1} ms",
        m.pairs.len(), m.objective, m.bound, gap * 100.0, m.status, m.variables, m.solve_seconds * 1e3
    );
    Ok(())
}
