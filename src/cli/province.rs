//! `bench --only d`: an acceptance event at province scale (issue 11 §6), on a registry made
//! by the sample generator (`generate.py --seed 7 --experts 30000 --projects 10000`), timed
//! as the service runs it: the profile-only analysis once per registry snapshot, then each
//! overview and draw reusing it.

use crate::assign::{analyze, analyze_with, draw_with, ProfileIndex};
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
    for round in 1..=3 {
        let t = Instant::now();
        let analysis = analyze_with(&problem, &index);
        let eligible: usize = analysis.panels.iter().map(|p| p.arcs.len()).sum();
        out!(
            "(d) overview #{round}: {:.0} ms ({eligible} eligible pairs)",
            ms(t)
        )?;
    }
    for round in 0..3 {
        let mut p = problem.clone();
        p.seed = seed + round;
        let t = Instant::now();
        let o = draw_with(&p, &index, None).map_err(|e| format!("(d): {e}"))?;
        let (r, s) = (&o.result, &o.stats);
        out!(
            "(d) draw seed {} [{}]: total {:.0} ms (analysis {:.0}, model {:.0}, solve {:.0}) | objective {:.4}, bound {:.4}, gap {:.4}%",
            p.seed, s.solver, ms(t), s.analysis_ms, s.build_ms, s.solve_ms, r.objective, r.bound, r.gap * 100.0
        )?;
    }
    Ok(())
}
