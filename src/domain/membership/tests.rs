//! Membership transitions, entry rules and the serving rule.
use super::*;

fn all_actions() -> Vec<Action> {
    let d = NaiveDate::from_ymd_opt(2029, 1, 1).unwrap();
    vec![
        Action::Approve { term_end: d },
        Action::Refuse,
        Action::Suspend { until: None },
        Action::Reinstate,
        Action::Exit {
            reason: ExitReason::OwnRequest,
        },
        Action::Renew { term_end: d },
        Action::Withdraw,
    ]
}

#[test]
fn every_legal_and_illegal_transition() {
    use MembershipState::*;
    let legal = [
        (Applied, "approve", Active),
        (Applied, "refuse", Refused),
        (Active, "suspend", Suspended),
        (Suspended, "reinstate", Active),
        (Active, "exit", Exited),
        (Suspended, "exit", Exited),
        (Active, "renew", Active),
        (Applied, "withdraw", Withdrawn),
    ];
    for &from in MembershipState::ALL {
        for action in all_actions() {
            let expected = legal
                .iter()
                .find(|(f, a, _)| *f == from && *a == action.name())
                .map(|(_, _, to)| *to);
            match (next_state(from, &action), expected) {
                (Ok(to), Some(want)) => {
                    assert_eq!(to, want, "{from} + {}", action.name());
                    assert!(actions_for(from).contains(&action.name()));
                }
                (Err(e), None) => {
                    assert_eq!(e.from, from);
                    assert!(!actions_for(from).contains(&action.name()));
                }
                (got, want) => panic!("{from} + {}: got {got:?}, want {want:?}", action.name()),
            }
        }
    }
}

#[test]
fn exited_members_cannot_be_reinstated_and_refusals_are_final() {
    let e = next_state(MembershipState::Exited, &Action::Reinstate).unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot reinstate a membership that is exited"
    );
    let d = NaiveDate::from_ymd_opt(2029, 1, 1).unwrap();
    assert!(next_state(MembershipState::Refused, &Action::Approve { term_end: d }).is_err());
}

fn standing(state: MembershipState, end: Option<NaiveDate>) -> Option<Standing> {
    Some(Standing {
        state,
        term_end: end,
        suspended_until: None,
    })
}

#[test]
fn only_active_members_within_their_term_serve() {
    let day = NaiveDate::from_ymd_opt(2026, 12, 15).unwrap();
    let later = NaiveDate::from_ymd_opt(2027, 1, 1);
    let earlier = NaiveDate::from_ymd_opt(2026, 12, 1);
    assert_eq!(
        not_serving(Pool::Review, standing(MembershipState::Active, later), day),
        None
    );
    assert_eq!(
        not_serving(
            Pool::Review,
            standing(MembershipState::Active, earlier),
            day
        )
        .unwrap(),
        "review pool term ended 2026-12-01"
    );
    assert!(not_serving(
        Pool::Review,
        standing(MembershipState::Suspended, later),
        day
    )
    .unwrap()
    .contains("suspended"));
    assert!(not_serving(Pool::Advisory, None, day)
        .unwrap()
        .contains("not a member"));
}

#[test]
fn a_suspension_ends_by_itself_after_its_last_day() {
    let day = |d| NaiveDate::from_ymd_opt(2027, 3, d).unwrap();
    let suspended = |until| {
        Some(Standing {
            state: MembershipState::Suspended,
            term_end: Some(day(31)),
            suspended_until: Some(until),
        })
    };
    let still = not_serving(Pool::Review, suspended(day(10)), day(10)).unwrap();
    assert_eq!(
        still,
        "review pool membership is suspended until 2027-03-10"
    );
    assert_eq!(not_serving(Pool::Review, suspended(day(10)), day(11)), None);
    // An open-ended suspension lasts until reinstated.
    let open = Some(Standing {
        suspended_until: None,
        ..suspended(day(1)).unwrap()
    });
    assert!(not_serving(Pool::Review, open, day(30)).is_some());
    // Over, but the term ended meanwhile: still out.
    let ended = Some(Standing {
        term_end: Some(day(5)),
        ..suspended(day(1)).unwrap()
    });
    assert!(not_serving(Pool::Review, ended, day(20))
        .unwrap()
        .contains("term ended"));
}

fn profile() -> ExpertProfile {
    let input = crate::domain::expert::ExpertInput {
        name: "王芳".into(),
        gender: "F".into(),
        birth_year: "1958".into(),
        title: "正高".into(),
        org_id: "lzu".into(),
        region: "province".into(),
        disciplines: vec!["210".into()],
        field_since: "1985".into(),
        ..Default::default()
    };
    ExpertProfile::try_from(input).unwrap()
}

fn verdict(checks: &[RuleCheck], rule: &str) -> bool {
    checks.iter().find(|c| c.rule == rule).unwrap().passed
}

#[test]
fn academicians_enter_up_to_seventy_and_the_pledge_is_required() {
    let rules = EntryRules::default_for(Pool::Review);
    let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
    let signed = EntryFacts {
        pledge_signed: Some("2026-11-29".into()),
        ..Default::default()
    };
    let mut p = profile(); // 68 in 2026
    let checks = check_entry(&p, &rules, today, &signed);
    assert!(!verdict(&checks, "age"));
    p.distinction = Some(crate::domain::expert::Distinction::Academician);
    let checks = check_entry(&p, &rules, today, &signed);
    assert!(verdict(&checks, "age"), "{checks:?}");
    assert!(verdict(&checks, "pledge"));
    p.birth_year = 1955; // 71
    assert!(!verdict(&check_entry(&p, &rules, today, &signed), "age"));
    let unsigned = check_entry(&p, &rules, today, &EntryFacts::default());
    assert!(!verdict(&unsigned, "pledge"));
    let no_pledge = EntryRules {
        require_pledge: false,
        ..rules
    };
    let checks = check_entry(&p, &no_pledge, today, &EntryFacts::default());
    assert!(checks.iter().all(|c| c.rule != "pledge"));
}

#[test]
fn years_in_the_field_come_from_the_start_year_or_the_work_history() {
    let rules = EntryRules::default_for(Pool::Review);
    let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
    let facts = EntryFacts::default();
    let mut p = profile();
    p.field_since = Some(2023);
    let checks = check_entry(&p, &rules, today, &facts);
    assert!(!verdict(&checks, "years_in_field"));
    p.field_since = Some(2021);
    assert!(verdict(
        &check_entry(&p, &rules, today, &facts),
        "years_in_field"
    ));
    p.field_since = None;
    assert!(!verdict(
        &check_entry(&p, &rules, today, &facts),
        "years_in_field"
    ));
    p.employments = vec![crate::domain::expert::Employment {
        org_id: "tsinghua".into(),
        from: Some(2004),
        to: Some(2010),
    }];
    assert!(verdict(
        &check_entry(&p, &rules, today, &facts),
        "years_in_field"
    ));
}

#[test]
fn the_misconduct_bar_cannot_be_overridden() {
    let rules = EntryRules::default_for(Pool::Review);
    let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
    let facts = EntryFacts {
        misconduct_exits: vec![NaiveDate::from_ymd_opt(2024, 1, 10).unwrap()],
        pledge_signed: None,
    };
    let checks = check_entry(&profile(), &rules, today, &facts);
    let bar = checks.iter().find(|c| c.rule == "misconduct").unwrap();
    assert!(!bar.passed && !bar.overridable);
    assert!(bar.detail.contains("2029-01-10"));
    assert!(checks
        .iter()
        .filter(|c| c.rule != "misconduct")
        .all(|c| c.overridable));
}

#[test]
fn a_renewal_never_shortens_a_term() {
    let rules = EntryRules::default_for(Pool::Review);
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    let today = d(2026, 11, 29);
    // No date: one more term from the current end, not from today.
    assert_eq!(
        rules
            .renewed_end(Some(d(2028, 6, 30)), today, None)
            .unwrap(),
        d(2031, 6, 30)
    );
    // A term already over renews from today.
    assert_eq!(
        rules.renewed_end(Some(d(2026, 1, 1)), today, None).unwrap(),
        d(2029, 11, 29)
    );
    let err = rules
        .renewed_end(Some(d(2028, 6, 30)), today, Some(d(2027, 1, 1)))
        .unwrap_err();
    assert_eq!(err.field, "term_end");
    assert_eq!(
        rules.suspension_end(d(2026, 11, 29)),
        d(2027, 5, 29),
        "six months by default"
    );
}

#[test]
fn rules_validate_and_terms_last_the_configured_years() {
    let rules = EntryRules::default_for(Pool::Review);
    rules.validate().unwrap();
    assert_eq!(
        rules.term_end(NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()),
        NaiveDate::from_ymd_opt(2029, 11, 24).unwrap()
    );
    let bad = EntryRules {
        term_years: 0,
        ..rules
    };
    assert_eq!(bad.validate().unwrap_err().field, "term_years");
    assert_eq!(EntryRules::default_for(Pool::Advisory).max_entry_age, 75);
}

#[test]
fn a_rotation_needs_enough_newcomers_for_its_target_share() {
    // 30 stay: 10 newcomers make 25 % of 40.
    assert_eq!(newcomers_needed(30, 25), 10);
    assert_eq!(newcomers_needed(31, 25), 11);
    assert_eq!(newcomers_needed(30, 0), 0);
    assert_eq!(newcomer_share(10, 40), 25.0);
    assert_eq!(newcomer_share(1, 3), 33.3);
    assert_eq!(newcomer_share(0, 0), 0.0);
}
