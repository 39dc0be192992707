//! End-to-end tests of the engine on small hand-made instances.

use super::alternates::Board;
use super::check::{violations, Seating};
use super::draw::{draw, replace, DrawError, DrawResult};
use super::eligibility::analyze;
use super::problem::{PairNote, Problem};
use super::rules::{ConflictMode, Filter, LeaderRule, MinCount};
use super::testkit::*;
use crate::domain::expert::{ExpertType, Region, Title};
use proptest::prelude::*;

/// 4 panels of one item each, 24 experts across 8 organizations.
fn city(seed: u64) -> Problem {
    let items = (0..4)
        .map(|i| item(&format!("P{i}"), &format!("app{i}"), &[]))
        .collect();
    let candidates = (0..24)
        .map(|e| {
            let mut c = candidate(
                &format!("E{e:02}"),
                &format!("专家{e}"),
                &format!("org{}", e % 8),
            );
            if e % 6 == 0 {
                c.types = [ExpertType::Finance].into_iter().collect();
            }
            if e % 3 == 0 {
                c.title = Title::AssociateSenior;
            }
            c.region = if e % 2 == 0 {
                Region::Local
            } else {
                Region::Outside
            };
            c
        })
        .collect();
    let mut p = problem(items, candidates);
    p.rules.panel_size = 3;
    p.rules.randomness = 0.5;
    p.rules.min_fit_exempt_types = vec![ExpertType::Finance];
    p.rules.min_count = vec![MinCount {
        filter: Filter {
            types: vec![ExpertType::Finance],
            ..Filter::default()
        },
        count: 1,
    }];
    p.rules.leader = Some(LeaderRule {
        filter: Filter {
            title: vec![Title::Senior],
            ..Filter::default()
        },
    });
    p.seed = seed;
    p
}

fn seating_of(p: &Problem, r: &DrawResult) -> Vec<Vec<usize>> {
    r.panels
        .iter()
        .map(|panel| {
            panel
                .members
                .iter()
                .map(|m| p.candidates.iter().position(|c| c.key == m.expert).unwrap())
                .collect()
        })
        .collect()
}

fn leaders_of(p: &Problem, r: &DrawResult) -> Vec<Option<usize>> {
    r.panels
        .iter()
        .map(|panel| {
            panel
                .leader
                .as_ref()
                .map(|l| p.candidates.iter().position(|c| &c.key == l).unwrap())
        })
        .collect()
}

#[test]
fn same_seed_gives_a_byte_identical_result() {
    let a = draw(&city(11)).unwrap().result;
    let b = draw(&city(11)).unwrap().result;
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    assert_eq!(a.hash(), b.hash());
}

#[test]
fn a_deputy_is_another_member_meeting_its_filter() {
    let mut p = city(5);
    let leader = p
        .rules
        .leader
        .clone()
        .expect("the city rules have a leader");
    // Same filter as the leader: two members must meet it.
    p.rules.deputy = Some(leader.clone());
    p.rules.panel_size = 3;
    let r = draw(&p).unwrap().result;
    for panel in &r.panels {
        let (l, d) = (panel.leader.clone().unwrap(), panel.deputy.clone().unwrap());
        assert_ne!(l, d, "{}", panel.panel);
        let cand = p.candidates.iter().find(|c| c.key == d).unwrap();
        assert!(cand.matches(&leader.filter));
        assert!(panel.members.iter().any(|m| m.expert == d));
    }
    // Without a deputy rule the result has no deputy field at all: stored results of
    // earlier draws replay byte for byte.
    let plain = draw(&city(5)).unwrap().result;
    assert!(!serde_json::to_string(&plain).unwrap().contains("deputy"));
}

#[test]
fn different_seeds_give_different_lotteries() {
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..6 {
        let mut p = city(seed);
        p.rules.randomness = 1.0;
        let r = draw(&p).unwrap().result;
        seen.insert(
            r.panels
                .iter()
                .map(|x| {
                    x.members
                        .iter()
                        .map(|m| m.expert.clone())
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>(),
        );
    }
    assert!(seen.len() > 1, "six seeds drew the same panels");
}

#[test]
fn every_rule_holds_and_each_panel_has_a_finance_expert_and_a_senior_leader() {
    let p = city(3);
    let r = draw(&p).unwrap().result;
    for panel in &r.panels {
        assert_eq!(panel.members.len(), 3);
        let finance = panel
            .members
            .iter()
            .filter(|m| m.expert.trim_start_matches('E').parse::<usize>().unwrap() % 6 == 0)
            .count();
        assert!(finance >= 1);
        assert!(panel.leader.is_some());
    }
    let a = analyze(&p);
    assert!(violations(
        &p,
        &a,
        &Seating {
            members: &seating_of(&p, &r),
            leaders: &leaders_of(&p, &r),
            deputies: &[]
        }
    )
    .is_empty());
}

#[test]
fn conflicted_expert_is_never_seated() {
    let mut p = city(5);
    p.rules.randomness = 0.0;
    let first = draw(&p).unwrap().result;
    let seated = first.panels[0].members[0].expert.clone();
    p.overrides.staff_exclusions.push(PairNote {
        item: "P0".into(),
        expert: seated.clone(),
        reason: "reviewed a competing bid".into(),
    });
    let again = draw(&p).unwrap().result;
    assert!(!again.panels[0].members.iter().any(|m| m.expert == seated));
}

#[test]
fn alternates_keep_every_rule() {
    let p = city(8);
    let r = draw(&p).unwrap().result;
    let a = analyze(&p);
    for (pi, panel) in r.panels.iter().enumerate() {
        assert!(!panel.alternates.is_empty());
        for alt in &panel.alternates {
            for out in &alt.replaces {
                let mut board = Board::new(&p, &a, seating_of(&p, &r));
                let ci = p
                    .candidates
                    .iter()
                    .position(|c| c.key == alt.expert)
                    .unwrap();
                let co = p.candidates.iter().position(|c| &c.key == out).unwrap();
                board.swap(pi, co, ci);
                let leaders: Vec<Option<usize>> = board
                    .members
                    .iter()
                    .map(|list| {
                        list.iter().copied().find(|&c| {
                            p.candidates[c].matches(&p.rules.leader.as_ref().unwrap().filter)
                        })
                    })
                    .collect();
                let broken = violations(
                    &p,
                    &a,
                    &Seating {
                        members: &board.members,
                        leaders: &leaders,
                        deputies: &[],
                    },
                );
                assert!(
                    broken.is_empty(),
                    "{} for {out} on {}: {broken:?}",
                    alt.expert,
                    panel.panel
                );
            }
        }
    }
}

#[test]
fn replace_keeps_every_other_member() {
    let p = city(9);
    let r = draw(&p).unwrap().result;
    let decliner = r.panels[1].members[0].expert.clone();
    let after = replace(&p, None, &r, &r.panels[1].panel, &decliner, &[])
        .unwrap()
        .result;
    for (before, now) in r.panels.iter().zip(&after.panels) {
        let kept = before
            .members
            .iter()
            .filter(|m| now.members.iter().any(|n| n.expert == m.expert))
            .count();
        let expected = if before.panel == r.panels[1].panel {
            2
        } else {
            3
        };
        assert_eq!(kept, expected, "{}", before.panel);
    }
    assert!(!after.panels[1].members.iter().any(|m| m.expert == decliner));
}

#[test]
fn replace_leaves_every_accepted_member_seated() {
    let mut p = city(10);
    p.rules.alternate_ratio = 0.0;
    let r = draw(&p).unwrap().result;
    // Decline someone who is not the panel's only finance expert (there are just four).
    let is_finance = |key: &str| key.trim_start_matches('E').parse::<usize>().unwrap() % 6 == 0;
    let decliner = r.panels[0]
        .members
        .iter()
        .find(|m| !is_finance(&m.expert))
        .unwrap()
        .expert
        .clone();
    let accepted: Vec<(String, String)> = r
        .panels
        .iter()
        .flat_map(|x| {
            x.members
                .iter()
                .filter(|m| m.expert != decliner)
                .map(|m| (x.panel.clone(), m.expert.clone()))
        })
        .collect();
    let after = replace(&p, None, &r, "P0", &decliner, &accepted)
        .unwrap()
        .result;
    for (panel, expert) in &accepted {
        assert!(after
            .panels
            .iter()
            .any(|x| &x.panel == panel && x.members.iter().any(|m| &m.expert == expert)));
    }
}

#[test]
fn infeasible_draw_names_the_panel_and_the_binding_rule_with_counts() {
    let mut p = city(1);
    for c in &mut p.candidates {
        if c.types.contains(&ExpertType::Finance) && c.org_id != "org0" {
            c.unavailable =
                vec![
                    crate::domain::expert::DateRange::parse("u", "2026-12-01..2026-12-31").unwrap(),
                ];
        }
    }
    p.items[2].applicant_orgs = vec!["org0".into()];
    match draw(&p) {
        Err(DrawError::Infeasible(d)) => {
            let f = d
                .findings
                .iter()
                .find(|f| f.panel.as_deref() == Some("P2"))
                .expect("P2 named");
            assert_eq!(f.rule, "min_count");
            assert!(
                f.message.contains("0 eligible")
                    && f.message.contains("same_org")
                    && f.message.contains("unavailable"),
                "{}",
                f.message
            );
        }
        other => panic!("expected infeasible, got {other:?}"),
    }
}

#[test]
fn recuse_mode_keeps_min_voting_members_per_item() {
    let items = (0..2)
        .map(|i| item(&format!("P{i}"), &format!("app{i}"), &[]))
        .collect();
    let candidates = (0..6)
        .map(|e| candidate(&format!("E{e}"), &format!("专家{e}"), &format!("org{e}")))
        .collect();
    let mut p = problem(items, candidates);
    p.panels = vec![super::problem::PanelSpec {
        key: "AW".into(),
        slot: None,
        date: None,
        items: vec![0, 1],
        meets: None,
    }];
    p.rules.panel_size = 4;
    p.rules.conflict_mode = ConflictMode::Recuse;
    p.rules.min_voting = Some(3);
    // E0 and E1 work for the applicant of P0: in recuse mode they may sit but not both.
    p.candidates[0].org_id = "app0".into();
    p.candidates[1].org_id = "app0".into();
    p.rules.max_per_org = 2;
    let r = draw(&p).unwrap().result;
    let members = &r.panels[0].members;
    let recused = members
        .iter()
        .filter(|m| !m.recused_items.is_empty())
        .count();
    assert!(recused <= 1, "{members:?}");
    p.rules.conflict_mode = ConflictMode::Strict;
    let strict = draw(&p).unwrap().result;
    assert!(strict.panels[0]
        .members
        .iter()
        .all(|m| m.expert != "E0" && m.expert != "E1"));
}

#[test]
fn time_slots_are_exclusive_and_forced_pairs_are_seated() {
    let mut p = city(4);
    p.rules.max_panels_per_expert = 4;
    p.rules.same_slot_exclusive = true;
    for panel in &mut p.panels {
        panel.slot = Some("S1".into());
    }
    p.overrides.forced.push(("P3".into(), "E05".into()));
    p.overrides.forbidden.push(("P0".into(), "E01".into()));
    let r = draw(&p).unwrap().result;
    let mut all: Vec<&str> = r
        .panels
        .iter()
        .flat_map(|x| x.members.iter().map(|m| m.expert.as_str()))
        .collect();
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), n, "someone sits twice in one slot");
    assert!(r.panels[3].members.iter().any(|m| m.expert == "E05"));
    assert!(!r.panels[0].members.iter().any(|m| m.expert == "E01"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn random_instances_are_solved_validly_or_diagnosed(
        experts in 3usize..24, panels in 1usize..5, size in 1u32..4, orgs in 2usize..6,
        finance_every in 2usize..8, need_finance in 0u32..2, seed in 0u64..1000, slots in proptest::bool::ANY,
    ) {
        let items = (0..panels).map(|i| item(&format!("P{i}"), &format!("org{}", i % orgs), &[])).collect();
        let candidates = (0..experts).map(|e| {
            let mut c = candidate(&format!("E{e:02}"), &format!("专家{e}"), &format!("org{}", e % orgs));
            if e % finance_every == 0 { c.types = [ExpertType::Finance].into_iter().collect(); }
            c
        }).collect();
        let mut p = problem(items, candidates);
        p.seed = seed;
        p.rules.panel_size = size;
        p.rules.max_panels_per_expert = 2;
        p.rules.same_slot_exclusive = slots;
        for panel in &mut p.panels { panel.slot = Some(format!("S{}", panel.items[0] % 2)); }
        p.rules.min_fit_exempt_types = vec![ExpertType::Finance];
        p.rules.min_count = vec![MinCount { filter: Filter { types: vec![ExpertType::Finance], ..Filter::default() }, count: need_finance.min(size) }];
        match draw(&p) {
            Ok(outcome) => {
                let a = analyze(&p);
                let r = outcome.result;
                let (members, leaders) = (seating_of(&p, &r), leaders_of(&p, &r));
                let broken = violations(&p, &a, &Seating { members: &members, leaders: &leaders, deputies: &[] });
                prop_assert!(broken.is_empty(), "{:?}", broken);
            }
            Err(DrawError::Infeasible(d)) => prop_assert!(!d.findings.is_empty()),
            Err(other) => prop_assert!(false, "unexpected error {other}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    /// The network solver (flow + Lagrangian prices + reduced MIP) reaches the optimum of
    /// the full 0-1 model solved by the LP backend, with composition rules that break the
    /// network structure.
    #[test]
    fn network_solver_matches_the_full_model(
        experts in 6usize..40, panels in 1usize..7, size in 1u32..5, orgs in 2usize..9,
        need_finance in 0u32..3, need_senior in 0u32..3, outside_share in 0u32..2,
        seed in 0u64..10_000, slots in proptest::bool::ANY, load in 1u32..3,
    ) {
        use super::{lp, model, network};
        let items = (0..panels).map(|i| item(&format!("P{i}"), &format!("org{}", i % orgs), &[])).collect();
        let candidates = (0..experts).map(|e| {
            let mut c = candidate(&format!("E{e:02}"), &format!("专家{e}"), &format!("org{}", e % orgs));
            if (e * 7 + seed as usize).is_multiple_of(5) { c.types = [ExpertType::Finance].into_iter().collect(); }
            if !(e * 3 + seed as usize).is_multiple_of(3) { c.title = Title::AssociateSenior; }
            if (e + seed as usize).is_multiple_of(4) { c.region = Region::Outside; }
            c.recent_reviews = (e % 4) as u32;
            c
        }).collect();
        let mut p = problem(items, candidates);
        p.seed = seed;
        p.rules.randomness = 0.7;
        p.rules.panel_size = size;
        p.rules.max_panels_per_expert = load;
        p.rules.same_slot_exclusive = slots;
        for panel in &mut p.panels { panel.slot = Some(format!("S{}", panel.items[0] % 2)); }
        p.rules.min_fit_exempt_types = vec![ExpertType::Finance];
        p.rules.min_count = vec![
            MinCount { filter: Filter { types: vec![ExpertType::Finance], ..Filter::default() }, count: need_finance.min(size) },
            MinCount { filter: Filter { title: vec![Title::Senior], ..Filter::default() }, count: need_senior.min(size) },
        ];
        if outside_share > 0 {
            p.rules.min_share = vec![super::rules::MinShare {
                filter: Filter { region: vec![Region::Outside], ..Filter::default() },
                numerator: 1, denominator: 3,
            }];
        }
        let a = analyze(&p);
        let built = model::build(&p, &a);
        let full = lp::solve(&built.model, 60.0);
        let net = network::solve(&built.model, &built.structure, 60.0);
        match (full, net) {
            (Ok(f), Ok(n)) => {
                prop_assert!((f.objective - n.objective).abs() < 1e-6, "full {} network {} ({})", f.objective, n.objective, n.method);
                prop_assert!(n.bound >= n.objective - 1e-9);
                prop_assert_eq!(n.status, lp::SolveStatus::Optimal);
            }
            (Err(lp::LpError::Infeasible), Err(lp::LpError::Infeasible)) => {}
            (f, n) => prop_assert!(false, "full {:?} vs network {:?}", f.map(|s| s.objective), n.map(|s| s.objective)),
        }
    }
}

#[test]
fn same_but_seed_ignores_only_the_seed() {
    let a = city(1);
    let mut b = a.clone();
    b.seed = 99;
    assert!(a.same_but_seed(&b), "a different seed analyses the same");
    // A copied profile (another address, same content) is the same input.
    let mut c = a.clone();
    c.candidates[3].profile = std::sync::Arc::new((*a.candidates[3].profile).clone());
    assert!(a.same_but_seed(&c));
    type Change = Box<dyn Fn(&mut Problem)>;
    let changes: Vec<Change> = vec![
        Box::new(|p| p.candidates[5].keywords.push("土壤".into())),
        Box::new(|p| p.candidates[5].recent_reviews += 1),
        Box::new(|p| p.candidates[5].inactive_reason = Some("suspended".into())),
        Box::new(|p| p.rules.panel_size += 1),
        Box::new(|p| p.items[0].keywords.push("水稻".into())),
        Box::new(|p| p.panels[0].items.push(1)),
        Box::new(|p| p.overrides.forbidden.push(("P0".into(), "E01".into()))),
        Box::new(|p| {
            p.org_names
                .insert("org1".into(), "某大学".into())
                .map(drop)
                .unwrap_or(())
        }),
        Box::new(|p| p.candidates.truncate(20)),
        Box::new(|p| {
            p.dates
                .push(chrono::NaiveDate::from_ymd_opt(2026, 12, 16).unwrap())
        }),
    ];
    for (i, change) in changes.iter().enumerate() {
        let mut d = a.clone();
        change(&mut d);
        assert!(!a.same_but_seed(&d), "change {i} went unnoticed");
    }
}
