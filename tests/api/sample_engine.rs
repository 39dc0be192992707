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
