//! The engine on the sample data: the generator's ground truth and full draws.

use expertpool::assign::conflict::find_conflicts;
use expertpool::dataset::Dataset;
use std::collections::BTreeSet;

#[test]
fn conflicts_agree_with_the_generators_ground_truth() {
    let dir = crate::helpers::sample_dir();
    let data = Dataset::load(&dir).unwrap();
    let mut found = BTreeSet::new();
    for event in &data.events {
        let problem = data.problem(&event.id, 0).unwrap();
        for c in find_conflicts(&problem) {
            found.insert((
                problem.items[c.item].key.clone(),
                problem.candidates[c.candidate].key.clone(),
                c.code.as_str().to_string(),
            ));
        }
    }
    let mut reader = csv::Reader::from_path(dir.join("conflicts_expected.csv")).unwrap();
    let expected: BTreeSet<(String, String, String)> = reader
        .records()
        .map(|r| r.unwrap())
        .map(|r| (r[0].to_string(), r[1].to_string(), r[2].to_string()))
        .collect();
    let missing: Vec<_> = expected.difference(&found).take(5).collect();
    let extra: Vec<_> = found.difference(&expected).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    assert_eq!(expected.len(), 29154);
}

#[test]
fn every_sample_event_draws_and_replays_identically() {
    let data = Dataset::load(&crate::helpers::sample_dir()).unwrap();
    for event in &data.events {
        let problem = data.problem(&event.id, 20261124).unwrap();
        let first =
            expertpool::assign::draw(&problem).unwrap_or_else(|e| panic!("{}: {e}", event.id));
        let again = expertpool::assign::draw(&problem).unwrap();
        assert_eq!(
            first.result.hash(),
            again.result.hash(),
            "{} replays",
            event.id
        );
        assert_eq!(first.result.panels.len(), event.panels.len());
    }
}

#[test]
fn the_solve_command_reaches_the_hand_computed_optimum() {
    let dir = tempfile::tempdir().unwrap();
    let scores = dir.path().join("scores.csv");
    std::fs::write(&scores, "a,r1,0.9\na,r2,0.8\na,r3,0.1\nb,r1,0.9\nb,r2,0.7\nb,r3,0.2\nc,r1,0.5\nc,r2,0.5\nc,r3,0.6\nd,r1,0.3\nd,r2,0.9\nd,r3,0.9\n").unwrap();
    let constraints = dir.path().join("constraints.csv");
    std::fs::write(&constraints, "a,r1,-1\n").unwrap();
    let out = dir.path().join("out.csv");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_expertpool"))
        .args([
            "solve",
            "--scores",
            scores.to_str().unwrap(),
            "--constraints",
            constraints.to_str().unwrap(),
            "--per-item",
            "2",
            "--max-load",
            "3",
            "--out",
            out.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(out).unwrap();
    let total: f64 = text
        .lines()
        .map(|l| l.rsplit(',').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert!((total - 5.4).abs() < 1e-9, "{text}");
    assert!(!text.contains("a,r1,"));
}

/// Draws stored before the experts' analysis was kept per registry (engine 1: the fit's
/// vocabulary over items and experts together) name no fit basis; they must replay to the
/// very result they had. The hashes were printed by the engine-1 build (`1178cd3`), whose
/// draw of the 30,000-expert instance this build also reproduces bit for bit.
#[test]
fn an_engine_1_input_replays_to_its_old_result() {
    use expertpool::assign::{FitBasis, Problem};
    let data = Dataset::load(&crate::helpers::sample_dir()).unwrap();
    let mut problem = data.problem("EV001-APP", 1).unwrap();
    problem.fit_basis = FitBasis::ItemsAndExperts;
    let stored = serde_json::to_string(&problem).unwrap();
    assert!(
        !stored.contains("fit_basis"),
        "engine-1 inputs name no basis"
    );
    let read: Problem = serde_json::from_str(&stored).unwrap();
    assert_eq!(read.fit_basis, FitBasis::ItemsAndExperts);
    let replayed = expertpool::assign::draw(&read).unwrap();
    assert_eq!(
        replayed.result.input_hash,
        "520325a346b160c0a0333c7963dc725cedf2438704ec12361d95874fedcf3bfc"
    );
    assert_eq!(
        replayed.result.hash(),
        "1883fc6efec2584f61a431e7ffcb26779eef7a9558281e19f5f80cfa1a1a298a"
    );
}

/// With the experts' analysis computed once and reused (as the service does per registry
/// snapshot), every sample event draws the result computed from scratch.
#[test]
fn kept_profiles_draw_what_a_fresh_analysis_draws() {
    let data = Dataset::load(&crate::helpers::sample_dir()).unwrap();
    let first = data.problem(&data.events[0].id, 7).unwrap();
    let profiles = expertpool::assign::ProfileIndex::of(&first.candidates);
    for event in &data.events {
        let problem = data.problem(&event.id, 7).unwrap();
        assert!(profiles.describes(&problem.candidates));
        let fresh = expertpool::assign::draw(&problem).unwrap();
        let kept = expertpool::assign::draw_with(&problem, &profiles, None).unwrap();
        assert_eq!(fresh.result.hash(), kept.result.hash(), "{}", event.id);
    }
}
