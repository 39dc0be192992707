//! Findings on small hand-made problems, and a check that no finding is ever claimed for a
//! problem the solver can fill.

use super::{diagnose, Diagnosis, Finding};
use crate::assign::draw::{draw, DrawError};
use crate::assign::eligibility::analyze;
use crate::assign::problem::{PanelSpec, Problem};
use crate::assign::rules::{Filter, LeaderRule, MinCount};
use crate::assign::testkit::*;
use crate::assign::{lp, model};
use crate::domain::expert::{ExpertType, Region, Title};
use proptest::prelude::*;

fn diagnosis(p: &Problem) -> Diagnosis {
    diagnose(p, &analyze(p))
}

fn only(d: &Diagnosis) -> &Finding {
    assert_eq!(d.findings.len(), 1, "{:#?}", d.findings);
    &d.findings[0]
}

fn legal_outside() -> Filter {
    Filter {
        types: vec![ExpertType::Legal],
        region: vec![Region::Outside],
        ..Filter::default()
    }
}

/// One panel of 3; four outside legal experts, all at 兰州大学, and three others.
fn one_organization_holds_every_legal_expert() -> Problem {
    let mut candidates = Vec::new();
    for e in 0..4 {
        let mut c = candidate(&format!("E{e}"), &format!("法律专家{e}"), "lzu");
        c.types = [ExpertType::Legal].into_iter().collect();
        c.region = Region::Outside;
        candidates.push(c);
    }
    for e in 4..7 {
        candidates.push(candidate(
            &format!("E{e}"),
            &format!("专家{e}"),
            &format!("org{e}"),
        ));
    }
    let mut p = problem(vec![item("P01", "app", &[])], candidates);
    p.panels[0].key = "P01".into();
    p.org_names.insert("lzu".into(), "兰州大学".into());
    p.rules.panel_size = 3;
    p.rules.max_per_org = 1;
    p.rules.min_count = vec![MinCount {
        filter: legal_outside(),
        count: 2,
    }];
    // Every expert is 正高: the leader rule holds, so it must not be named.
    p.rules.leader = Some(LeaderRule {
        filter: Filter {
            title: vec![Title::Senior],
            ..Filter::default()
        },
    });
    p
}

#[test]
fn a_minimum_that_one_organization_holds_names_both_rules_and_the_organization() {
    let p = one_organization_holds_every_legal_expert();
    let d = diagnosis(&p);
    let f = only(&d);
    assert_eq!(f.panel.as_deref(), Some("P01"));
    assert_eq!(f.rule, "min_count+max_per_org");
    assert_eq!(
        f.message,
        "panel P01 (3 seats) needs at least 2 with type=legal, region=outside and at most 1 per organization: \
         the 4 eligible experts with type=legal, region=outside all work at 兰州大学 (lzu)"
    );
    match draw(&p) {
        Err(DrawError::Infeasible(from_draw)) => assert_eq!(from_draw, d),
        other => panic!("expected infeasible, got {other:?}"),
    }
}

#[test]
fn a_leader_and_a_minimum_that_cannot_share_the_seats_are_named_together() {
    let candidates = (0..6)
        .map(|e| {
            let mut c = candidate(&format!("E{e}"), &format!("专家{e}"), &format!("org{e}"));
            if e < 3 {
                c.types = [ExpertType::Finance].into_iter().collect();
                c.title = Title::AssociateSenior;
            }
            c
        })
        .collect();
    let mut p = problem(vec![item("P0", "app", &[])], candidates);
    p.rules.panel_size = 2;
    p.rules.min_count = vec![MinCount {
        filter: Filter {
            types: vec![ExpertType::Finance],
            ..Filter::default()
        },
        count: 2,
    }];
    p.rules.leader = Some(LeaderRule {
        filter: Filter {
            title: vec![Title::Senior],
            ..Filter::default()
        },
    });
    let d = diagnosis(&p);
    let f = only(&d);
    assert_eq!(f.rule, "min_count+leader");
    assert_eq!(
        f.message,
        "panel P0 (2 seats) needs at least 2 with type=finance and a leader with title=正高: \
         of the 6 eligible experts, 3 have type=finance, 3 can lead (title=正高) and none meets all of them"
    );
}

#[test]
fn two_pins_from_one_organization_name_the_pins_and_the_cap() {
    let candidates = (0..5)
        .map(|e| {
            candidate(
                &format!("E{e}"),
                &format!("专家{e}"),
                &format!("org{}", e.min(2)),
            )
        })
        .collect();
    let mut p = problem(vec![item("P0", "app", &[])], candidates);
    p.rules.panel_size = 3;
    p.overrides.forced = vec![("P0".into(), "E2".into()), ("P0".into(), "E3".into())];
    let f = diagnosis(&p).findings.remove(0);
    assert_eq!(f.rule, "max_per_org+forced");
    assert!(
        f.message.contains("E2 is pinned (works at org2)")
            && f.message.contains("E3 is pinned (works at org2)"),
        "{}",
        f.message
    );
}

/// Two panels of two in one slot, three experts eligible for both.
fn one_slot_two_panels(load: u32) -> Problem {
    let candidates = (0..3)
        .map(|e| candidate(&format!("E{e}"), &format!("专家{e}"), &format!("org{e}")))
        .collect();
    let mut p = problem(
        vec![item("P0", "app0", &[]), item("P1", "app1", &[])],
        candidates,
    );
    p.rules.panel_size = 2;
    p.rules.max_panels_per_expert = load;
    p.rules.same_slot_exclusive = true;
    for panel in &mut p.panels {
        panel.slot = Some("S1".into());
    }
    p
}

#[test]
fn two_panels_of_one_slot_that_fit_alone_are_named_with_the_slot() {
    let d = diagnosis(&one_slot_two_panels(2));
    let f = only(&d);
    assert_eq!(f.panel, None);
    assert_eq!(f.rule, "same_slot_exclusive");
    assert_eq!(
        f.message,
        "panels P0 and P1 meet in slot S1 and need 4 experts in all (2 each): \
         only 3 distinct experts are eligible for them, and nobody sits on two panels of one slot"
    );
}

#[test]
fn with_one_panel_per_expert_the_workload_is_named_rather_than_the_slot() {
    let f = only(&diagnosis(&one_slot_two_panels(1))).clone();
    assert_eq!(f.rule, "workload");
    assert!(
        f.message
            .contains("can take only 3 of these seats: at most 1 panel each"),
        "{}",
        f.message
    );
}

#[test]
fn a_scarce_type_across_panels_names_the_minimum_and_the_workload() {
    let candidates = (0..6)
        .map(|e| {
            let mut c = candidate(&format!("E{e}"), &format!("专家{e}"), &format!("org{e}"));
            if e == 0 {
                c.types = [ExpertType::Finance].into_iter().collect();
            }
            c
        })
        .collect();
    let items = (0..3)
        .map(|i| item(&format!("P{i}"), &format!("app{i}"), &[]))
        .collect();
    let mut p = problem(items, candidates);
    p.rules.panel_size = 2;
    p.rules.min_fit_exempt_types = vec![ExpertType::Finance];
    p.rules.min_count = vec![MinCount {
        filter: Filter {
            types: vec![ExpertType::Finance],
            ..Filter::default()
        },
        count: 1,
    }];
    let d = diagnosis(&p);
    let f = only(&d);
    assert_eq!(f.rule, "min_count+workload");
    assert_eq!(
        f.message,
        "panels P0 and P1 need at least 1 with type=finance each, 2 in all: \
         the only expert with type=finance eligible for them can take only 1 of these seats: at most 1 panel each"
    );
}

#[test]
fn a_pin_elsewhere_that_uses_up_the_only_leader_names_both_panels() {
    let candidates = (0..3)
        .map(|e| {
            let mut c = candidate(&format!("E{e}"), &format!("专家{e}"), &format!("org{e}"));
            if e != 1 {
                c.title = Title::AssociateSenior;
            }
            c
        })
        .collect();
    let mut p = problem(
        vec![item("P0", "app0", &[]), item("P1", "app1", &[])],
        candidates,
    );
    p.rules.panel_size = 1;
    p.rules.leader = Some(LeaderRule {
        filter: Filter {
            title: vec![Title::Senior],
            ..Filter::default()
        },
    });
    p.overrides.forced = vec![("P0".into(), "E1".into())];
    let d = diagnosis(&p);
    let f = only(&d);
    assert_eq!(f.rule, "leader+workload");
    assert_eq!(
        f.message,
        "panels P0 and P1 need a leader with title=正高 each, 2 in all: \
         the only expert with title=正高 eligible for them can take only 1 of these seats: at most 1 panel each"
    );
}

#[test]
fn a_feasible_problem_gets_only_the_combined_note() {
    let mut p = one_slot_two_panels(2);
    p.panels[1].slot = Some("S2".into());
    let d = diagnosis(&p);
    assert_eq!(only(&d).rule, "combined");
}

#[test]
fn the_diagnosis_is_the_same_every_time() {
    let p = one_organization_holds_every_legal_expert();
    assert_eq!(diagnosis(&p), diagnosis(&p));
}

#[test]
fn three_hundred_infeasible_panels_stay_within_the_solve_budget() {
    let mut p = one_organization_holds_every_legal_expert();
    let template = p.panels[0].clone();
    p.panels = (0..300)
        .map(|i| PanelSpec {
            key: format!("P{i:03}"),
            ..template.clone()
        })
        .collect();
    p.rules.max_panels_per_expert = 300;
    let started = std::time::Instant::now();
    let d = diagnosis(&p);
    let named = d
        .findings
        .iter()
        .filter(|f| f.rule == "min_count+max_per_org")
        .count();
    // Two MIPs a panel (the greedy proves each relaxation that drops a binding rule): 20
    // panels within the 40 solves, the rest said to be unexamined.
    assert_eq!(named, 20);
    let last = d.findings.last().unwrap();
    assert_eq!(last.rule, "unexamined");
    assert!(
        last.message.starts_with("280 more panels"),
        "{}",
        last.message
    );
    assert!(started.elapsed().as_secs_f64() < 20.0);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]
    /// Every cause the diagnosis names is real: the full model of the problem is infeasible.
    #[test]
    fn a_named_cause_means_the_full_model_is_infeasible(
        experts in 3usize..16, panels in 1usize..5, size in 1u32..4, orgs in 1usize..5,
        need_finance in 0u32..3, leader in proptest::bool::ANY, slots in proptest::bool::ANY,
        load in 1u32..3, pin in proptest::option::of((0usize..5, 0usize..16)), seed in 0u64..1000,
        per_org in 1u32..3, outside_share in proptest::bool::ANY,
    ) {
        let items = (0..panels).map(|i| item(&format!("P{i}"), &format!("app{i}"), &[])).collect();
        let candidates = (0..experts).map(|e| {
            let mut c = candidate(&format!("E{e:02}"), &format!("专家{e}"), &format!("org{}", e % orgs));
            if (e + seed as usize).is_multiple_of(3) { c.types = [ExpertType::Finance].into_iter().collect(); }
            if (e * 7 + seed as usize).is_multiple_of(2) { c.title = Title::AssociateSenior; }
            if (e + 2 * seed as usize).is_multiple_of(4) { c.region = Region::Outside; }
            c
        }).collect();
        let mut p = problem(items, candidates);
        p.seed = seed;
        p.rules.panel_size = size;
        p.rules.max_panels_per_expert = load;
        p.rules.same_slot_exclusive = slots;
        for panel in &mut p.panels { panel.slot = Some(format!("S{}", panel.items[0] % 2)); }
        p.rules.min_fit_exempt_types = vec![ExpertType::Finance];
        p.rules.min_count = vec![MinCount {
            filter: Filter { types: vec![ExpertType::Finance], ..Filter::default() },
            count: need_finance.min(size),
        }];
        p.rules.max_per_org = per_org;
        if outside_share {
            p.rules.min_share = vec![crate::assign::rules::MinShare {
                filter: Filter { region: vec![Region::Outside], ..Filter::default() },
                numerator: 1, denominator: 3,
            }];
        }
        if leader {
            p.rules.leader = Some(LeaderRule { filter: Filter { title: vec![Title::Senior], ..Filter::default() } });
        }
        if let Some((pi, e)) = pin {
            p.overrides.forced.push((format!("P{}", pi % panels), format!("E{:02}", e % experts)));
        }
        let a = analyze(&p);
        let d = diagnose(&p, &a);
        let named: Vec<&Finding> = d.findings.iter().filter(|f| f.rule != "combined").collect();
        if !named.is_empty() {
            let built = model::build(&p, &a);
            let full = lp::solve(&built.model, 60.0);
            prop_assert!(matches!(full, Err(lp::LpError::Infeasible)), "feasible, yet {:#?}", named);
        }
    }
}
