use super::*;
use crate::assign::problem::PairNote;
use crate::assign::testkit::*;
use crate::domain::expert::RelationKind;

fn codes(problem: &Problem) -> Vec<(usize, usize, &'static str)> {
    find_conflicts(problem)
        .iter()
        .filter(|c| c.blocks())
        .map(|c| (c.item, c.candidate, c.code.as_str()))
        .collect()
}

#[test]
fn current_employer_applying_is_same_org() {
    let p = problem(
        vec![item("P1", "lzu", &[])],
        vec![candidate("E1", "王芳", "lzu")],
    );
    assert_eq!(codes(&p), vec![(0, 0, "same_org")]);
    assert!(find_conflicts(&p)[0].reason.contains("lzu"));
}

#[test]
fn past_employer_counts_within_the_window_only() {
    let mut recent = candidate("E1", "王芳", "nwu");
    recent.employments = vec![employment("lzu", 2010, 2023)];
    let mut old = candidate("E2", "李娜", "nwu");
    old.employments = vec![employment("lzu", 2000, 2022)];
    let p = problem(vec![item("P1", "lzu", &[])], vec![recent, old]);
    // Event year 2026, window 3: a job that ended in 2023 counts, one that ended in 2022 does not.
    assert_eq!(codes(&p), vec![(0, 0, "past_org")]);
}

#[test]
fn team_member_needs_name_and_org_and_name_only_is_possible() {
    let p = problem(
        vec![item("P1", "bygroup", &[("王芳", "lzu"), ("李娜", "byh1")])],
        vec![
            candidate("E1", "王芳", "lzu"),
            candidate("E2", "李娜", "xauat"),
        ],
    );
    let all = find_conflicts(&p);
    assert!(all
        .iter()
        .any(|c| c.candidate == 0 && c.code == ConflictCode::TeamMember));
    assert!(all
        .iter()
        .any(|c| c.candidate == 1 && c.code == ConflictCode::PossibleNameOnly && c.blocks()));
}

#[test]
fn cleared_possible_conflicts_stop_blocking() {
    let mut p = problem(
        vec![item("P1", "bygroup", &[("李娜", "byh1")])],
        vec![candidate("E2", "李娜", "xauat")],
    );
    p.overrides.cleared_possible.push(PairNote {
        item: "P1".into(),
        expert: "E2".into(),
        reason: "different person, checked by phone".into(),
    });
    let all = find_conflicts(&p);
    assert_eq!(all.len(), 1);
    assert!(all[0].cleared && !all[0].blocks());
}

#[test]
fn identifiers_decide_when_both_sides_have_one() {
    let mut p = problem(
        vec![item("P1", "bygroup", &[("王芳", "lzu")])],
        vec![candidate("E1", "王芳", "lzu")],
    );
    p.items[0].team[0].identifier = Some("A1".into());
    p.candidates[0].identifier = Some("B2".into());
    assert!(codes(&p).is_empty());
}

#[test]
fn advisor_relations_never_expire_but_collaborations_do() {
    let mut advisor = candidate("E1", "张磊", "nwu");
    advisor.relations = vec![relation(
        RelationKind::Advisor,
        Some("王芳"),
        "lzu",
        Some(2005),
    )];
    let mut old_collab = candidate("E2", "刘洋", "nwu");
    old_collab.relations = vec![relation(
        RelationKind::Collaborator,
        Some("王芳"),
        "lzu",
        Some(2020),
    )];
    let mut collab = candidate("E3", "陈静", "nwu");
    collab.relations = vec![relation(
        RelationKind::Collaborator,
        Some("王芳"),
        "lzu",
        Some(2024),
    )];
    let p = problem(
        vec![item("P1", "bygroup", &[("王芳", "lzu")])],
        vec![advisor, old_collab, collab],
    );
    assert_eq!(codes(&p), vec![(0, 0, "relation"), (0, 2, "relation")]);
}

#[test]
fn organization_level_relation_to_an_applicant_is_a_relation() {
    let mut c = candidate("E1", "张磊", "nwu");
    c.relations = vec![relation(RelationKind::Collaborator, None, "bygroup", None)];
    let p = problem(vec![item("P1", "bygroup", &[])], vec![c]);
    assert_eq!(codes(&p), vec![(0, 0, "relation")]);
}

#[test]
fn requested_avoidance_is_honoured() {
    let mut p = problem(
        vec![item("P1", "bygroup", &[])],
        vec![candidate("E1", "张磊", "nwu")],
    );
    p.items[0].requested_avoid = vec!["E1".into()];
    assert_eq!(codes(&p), vec![(0, 0, "requested")]);
    p.items[0]
        .avoid_reasons
        .insert("E1".into(), "与申请人存在竞争关系".into());
    let found = find_conflicts(&p);
    assert!(
        found[0].reason.ends_with(": 与申请人存在竞争关系"),
        "{found:?}"
    );
}

#[test]
fn a_prior_role_recorded_on_the_item_is_a_conflict() {
    let mut p = problem(
        vec![item("P1", "bygroup", &[])],
        vec![
            candidate("E1", "张磊", "nwu"),
            candidate("E2", "王芳", "lzu"),
        ],
    );
    p.items[0]
        .prior_roles
        .insert("E2".into(), "reviewed the application (EV001-APP)".into());
    assert_eq!(codes(&p), vec![(0, 1, "prior_role")]);
    assert!(find_conflicts(&p)[0].reason.contains("EV001-APP"));
}

#[test]
fn a_team_member_conflicts_with_every_competing_item() {
    let p = problem(
        vec![
            item("P1", "bygroup", &[("张磊", "nwu")]),
            item("P2", "byh1", &[]),
        ],
        vec![candidate("E1", "张磊", "nwu")],
    );
    assert_eq!(
        codes(&p),
        vec![(0, 0, "team_member"), (1, 0, "co_applicant")]
    );
}

#[test]
fn staff_declared_and_prior_role_notes_become_conflicts() {
    let mut p = problem(
        vec![item("P1", "bygroup", &[])],
        vec![candidate("E1", "张磊", "nwu")],
    );
    let note = |r: &str| PairNote {
        item: "P1".into(),
        expert: "E1".into(),
        reason: r.into(),
    };
    p.overrides
        .staff_exclusions
        .push(note("reviewed the pre-proposal"));
    p.overrides
        .declared
        .push(note("former student on the team"));
    p.overrides
        .prior_roles
        .push(note("drafted the application"));
    assert_eq!(
        codes(&p),
        vec![(0, 0, "staff"), (0, 0, "declared"), (0, 0, "prior_role")]
    );
    assert!(find_conflicts(&p)
        .iter()
        .any(|c| c.reason.contains("drafted the application")));
}

#[test]
fn windows_are_parameters() {
    let mut c = candidate("E1", "王芳", "nwu");
    c.employments = vec![employment("lzu", 2010, 2020)];
    let mut p = problem(vec![item("P1", "lzu", &[])], vec![c]);
    assert!(codes(&p).is_empty());
    p.rules.past_org_years = 6;
    assert_eq!(codes(&p), vec![(0, 0, "past_org")]);
}
