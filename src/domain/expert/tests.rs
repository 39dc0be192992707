use super::*;

pub(crate) fn valid_input() -> ExpertInput {
    ExpertInput {
        name: "王伟".into(),
        gender: "M".into(),
        birth_year: "1970".into(),
        title: "正高".into(),
        org_id: "lzu".into(),
        region: "province".into(),
        disciplines: vec!["43045".into()],
        email: "Wang@Example.org".into(),
        ..Default::default()
    }
}

#[test]
fn a_valid_profile_parses_and_lowercases_email() {
    let p = ExpertProfile::try_from(valid_input()).unwrap();
    assert_eq!(p.email.unwrap().as_str(), "wang@example.org");
    assert_eq!(p.title, Title::Senior);
}

#[test]
fn each_bad_field_is_named() {
    type Breaker = Box<dyn Fn(&mut ExpertInput)>;
    let cases: Vec<(&str, Breaker)> = vec![
        ("birth_year", Box::new(|i| i.birth_year = "1850".into())),
        ("birth_year", Box::new(|i| i.birth_year = "abc".into())),
        ("email", Box::new(|i| i.email = "not-an-email".into())),
        (
            "disciplines[0]",
            Box::new(|i| i.disciplines = vec!["4x".into()]),
        ),
        ("disciplines", Box::new(|i| i.disciplines.clear())),
        ("title", Box::new(|i| i.title = "教授".into())),
        (
            "unavailable[0]",
            Box::new(|i| i.unavailable = vec!["2026-05-02..2026-05-01".into()]),
        ),
        ("name", Box::new(|i| i.name = "  ".into())),
        (
            "relations[0].kind",
            Box::new(|i| {
                i.relations = vec![RelationInput {
                    kind: "friend".into(),
                    person_name: "李娜".into(),
                    ..Default::default()
                }]
            }),
        ),
    ];
    for (field, mutate) in cases {
        let mut input = valid_input();
        mutate(&mut input);
        let err = ExpertProfile::try_from(input).unwrap_err();
        assert_eq!(err.field, field, "{err}");
    }
}

#[test]
fn profile_round_trips_through_input() {
    let mut input = valid_input();
    input.unavailable = vec!["2026-12-01..2026-12-03".into()];
    input.relations = vec![RelationInput {
        kind: "collaborator".into(),
        person_name: "李娜".into(),
        org_id: "lut".into(),
        since: "2020".into(),
        until: String::new(),
    }];
    let p = ExpertProfile::try_from(input).unwrap();
    assert_eq!(ExpertProfile::try_from(p.to_input()).unwrap(), p);
}

#[test]
fn an_experts_own_change_to_eligibility_attributes_waits_for_staff() {
    let verified = ExpertProfile::try_from(valid_input()).unwrap();
    let mut proposed = verified.clone();
    proposed.title = Title::parse("副高").unwrap();
    proposed.region = Region::parse("outside").unwrap();
    proposed.summary = "新的研究方向".into();
    let pending = PendingAttributes::between(&verified, &proposed);
    assert_eq!(pending.fields(), vec!["title", "region"]);
    let stored = proposed.keeping_verified(&verified);
    assert_eq!(stored.title, verified.title, "the verified title stays");
    assert_eq!(
        stored.summary, "新的研究方向",
        "other fields change at once"
    );
    assert_eq!(
        stored.with(&pending),
        proposed,
        "accepting gives the proposal"
    );
    assert!(PendingAttributes::between(&verified, &verified).is_empty());
}
