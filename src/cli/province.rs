//! `bench --only d`: an acceptance event at province scale (issue 11 §6), on a registry made
//! by the sample generator (`generate.py --seed 7 --experts 30000 --projects 10000`), timed
//! as the service runs it: the profile-only analysis once per registry snapshot, then each
//! overview reusing it, and each draw reusing the overview's analysis and diagnosis (neither
//! depends on the seed) and storing its input in format 2 (`assign::stored_input`).

use crate::assign::diagnose::diagnose;
use crate::assign::draw::solve_prepared;
use crate::assign::stored_input::{profiles_json, sha256_hex, split_json};
use crate::assign::{analyze, analyze_with, ProfileIndex};
use crate::dataset::Dataset;
use std::path::Path;
use std::time::Instant;

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e3
}

/// Times instance (d) on the sample-format folder `dir`, event `event`.
pub fn run(dir: &str, event: &str, seed: u64) -> Result<(), String> {
    let started = Instant::now();
    let data = Dataset::load(Path::new(dir)).map_err(|e| format!("(d) {dir}: {e}"))?;
    let problem = data
        .problem(event, seed)
        .map_err(|e| format!("(d) {event}: {e}"))?;
    out!(
        "(d) {dir}: {} experts, {event}: {} items in {} panels, loaded in {:.0} ms (not timed below)",
        problem.candidates.len(),
        problem.items.len(),
        problem.panels.len(),
        ms(started)
    )?;
    let first = Instant::now();
    let index = ProfileIndex::of(&problem.candidates);
    let first_ms = ms(first);
    let again = Instant::now();
    drop(ProfileIndex::of(&problem.candidates));
    out!(
        "(d) profile analysis, once per registry snapshot: {first_ms:.0} ms in a fresh process (every profile segmented), {:.0} ms after a profile change (segmentation remembered)",
        ms(again)
    )?;
    let scratch = Instant::now();
    drop(analyze(&problem));
    out!(
        "(d) an analysis from scratch (no kept profiles, the command line's `draw`): {:.0} ms",
        ms(scratch)
    )?;
    let mut kept = None;
    for round in 1..=3 {
        let t = Instant::now();
        let analysis = analyze_with(&problem, &index);
        let eligible: usize = analysis.panels.iter().map(|p| p.arcs.len()).sum();
        out!(
            "(d) overview #{round}: {:.0} ms ({eligible} eligible pairs)",
            ms(t)
        )?;
        kept = Some(analysis);
    }
    let analysis = kept.ok_or("(d): no overview")?;
    let t = Instant::now();
    let diagnosis = diagnose(&problem, &analysis);
    let t2 = Instant::now();
    let profiles = profiles_json(problem.candidates.iter().map(|c| &*c.profile))
        .map_err(|e| format!("(d): {e}"))?;
    let profiles_hash = sha256_hex(&profiles);
    out!(
        "(d) kept with the analysis: the pre-solve diagnosis, {:.0} ms; once per registry snapshot: the profiles serialized and hashed, {:.0} ms ({} KiB)",
        (t2 - t).as_secs_f64() * 1e3,
        ms(t2),
        profiles.len() / 1024
    )?;
    for round in 0..3 {
        let mut p = problem.clone();
        p.seed = seed + round;
        let t = Instant::now();
        let mut o = solve_prepared(&p, &analysis, Some(&diagnosis), 0.0, Some(String::new()))
            .map_err(|e| format!("(d): {e}"))?;
        let text = split_json(&p, &profiles_hash).map_err(|e| format!("(d): {e}"))?;
        o.result.input_hash = sha256_hex(&text);
        let (r, s) = (&o.result, &o.stats);
        out!(
            "(d) draw seed {} [{}]: total {:.0} ms (model {:.0}, solve {:.0}, input {} KiB) | objective {:.4}, bound {:.4}, gap {:.4}%",
            p.seed, s.solver, ms(t), s.build_ms, s.solve_ms, text.len() / 1024, r.objective, r.bound, r.gap * 100.0
        )?;
    }
    Ok(())
}
