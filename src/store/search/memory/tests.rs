use super::*;
use crate::domain::ExpertId;

fn row(id: i64, code: &str, name: &str, keywords: &str, region: &str) -> ListRow {
    ListRow {
        summary: ExpertSummary {
            id: ExpertId(id),
            code: code.into(),
            name: name.into(),
            title: "教授".into(),
            org_id: "ORG1".into(),
            org_name: "兰州大学".into(),
            region: region.into(),
            types: vec!["finance".into()],
            disciplines: vec!["45020".into(), "610".into()],
            to_verify: vec![],
        },
        searched: [
            code.into(),
            name.into(),
            keywords.into(),
            "Copper Smelting".into(),
            String::new(),
        ],
        org_name_en: "Lanzhou University".into(),
        types: "finance".into(),
        updated_at: format!("2026-01-{id:02}"),
        to_verify: String::new(),
    }
}

/// Three experts in code order; the name order read from the database is given as ids.
fn index(backend: Backend) -> ListIndex {
    let rows = vec![
        row(3, "E001", "王伟", "土壤修复;重金属", "local"),
        row(1, "E002", "李娜", "有色冶金", "outside"),
        row(2, "E003", "Émile", "土壤;冶金", "local"),
    ];
    // name, title, org, region, updated: ids in the database's order (ties by code).
    let orders = vec![
        vec![2, 1, 3],
        vec![3, 1, 2],
        vec![3, 1, 2],
        vec![3, 2, 1],
        vec![1, 2, 3],
    ];
    ListIndex::build(backend, lowering(backend), 7, rows, &orders)
}

fn codes(index: &ListIndex, f: &ExpertFilter) -> Option<(Vec<String>, i64)> {
    index
        .answer(f)
        .map(|(items, n)| (items.into_iter().map(|s| s.code).collect(), n))
}

fn q(text: &str) -> ExpertFilter {
    ExpertFilter {
        q: text.into(),
        ..filter()
    }
}

/// The list's defaults: page 1 of 20.
fn filter() -> ExpertFilter {
    ExpertFilter {
        page: 1,
        per_page: 20,
        ..Default::default()
    }
}

#[test]
fn a_keyword_is_a_substring_of_one_column_with_ascii_case_ignored() {
    let i = index(Backend::Sqlite);
    let found = |text: &str| codes(&i, &q(text)).map(|(c, _)| c);
    assert_eq!(found("土壤"), Some(vec!["E001".into(), "E003".into()]));
    assert_eq!(found("土壤修复"), Some(vec!["E001".into()]));
    assert_eq!(
        found("COPPER smelting"),
        Some(vec!["E001".into(), "E002".into(), "E003".into()])
    );
    assert_eq!(found("冶"), Some(vec!["E002".into(), "E003".into()]));
    // Not across two columns, nor across the `;` of two keywords as two words.
    assert_eq!(found("重金属copper"), Some(vec![]));
    assert_eq!(found("壤冶"), Some(vec![]));
    assert_eq!(
        found("e00"),
        Some(vec!["E001".into(), "E002".into(), "E003".into()])
    );
}

#[test]
fn what_the_database_folds_differently_goes_to_the_database() {
    let i = index(Backend::Sqlite);
    for text in ["émile", "土_", "50%", "a\\b"] {
        assert_eq!(codes(&i, &q(text)), None, "{text}");
    }
    // ASCII capitals are folded the same everywhere.
    assert!(codes(&i, &q("MILE")).is_some());
}

#[test]
fn sqlite_folds_ascii_only_and_postgres_every_letter() {
    // `lower('Émile')` is 'Émile' in SQLite and 'émile' in PostgreSQL; the query `mile`
    // matches both, a discipline or type prefix is compared case-sensitively by PostgreSQL.
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let i = index(backend);
        assert_eq!(codes(&i, &q("mile")).map(|c| c.1), Some(1));
    }
    let upper = ExpertFilter {
        expert_type: "FINANCE".into(),
        ..filter()
    };
    assert_eq!(codes(&index(Backend::Sqlite), &upper).map(|c| c.1), Some(3));
    assert_eq!(
        codes(&index(Backend::Postgres), &upper).map(|c| c.1),
        Some(0)
    );
}

#[test]
fn filters_combine_and_pages_follow_the_databases_orders() {
    let i = index(Backend::Sqlite);
    let f = ExpertFilter {
        discipline: "450".into(),
        region: "local".into(),
        org: "lanzhou".into(),
        ..filter()
    };
    assert_eq!(codes(&i, &f), Some((vec!["E001".into(), "E003".into()], 2)));
    let by = |sort: &str, desc: bool, page: i64| {
        let f = ExpertFilter {
            sort: sort.into(),
            desc,
            page,
            per_page: 2,
            ..Default::default()
        };
        codes(&i, &f).map(|(c, _)| c)
    };
    assert_eq!(
        by("name", false, 1),
        Some(vec!["E003".into(), "E002".into()])
    );
    assert_eq!(by("name", false, 2), Some(vec!["E001".into()]));
    assert_eq!(
        by("code", true, 1),
        Some(vec!["E003".into(), "E002".into()])
    );
    // Regions local (E001, E003), outside (E002): descending keeps code order in a tie.
    assert_eq!(
        by("region", true, 1),
        Some(vec!["E002".into(), "E001".into()])
    );
    assert_eq!(by("region", true, 2), Some(vec!["E003".into()]));
    assert_eq!(by("name", false, 9), Some(vec![]));
}

#[test]
fn descending_reverses_runs_of_equal_values_and_keeps_each_run() {
    let values = ["a", "b", "b", "c"];
    let asc = [0, 1, 2, 3];
    assert_eq!(desc_of(&asc, |p| values[p as usize]), vec![3, 1, 2, 0]);
    assert_eq!(desc_of(&[], |_| ""), Vec::<u32>::new());
}

/// PostgreSQL in a UTF-8 locale: every letter lowered one to one.
fn lowering(backend: Backend) -> Lowering {
    match backend {
        Backend::Sqlite => Lowering::Ascii,
        Backend::Postgres => Lowering::Table(
            [
                'A', 'C', 'E', 'F', 'G', 'I', 'L', 'M', 'N', 'O', 'P', 'R', 'S', 'U', 'Z', 'É',
            ]
            .into_iter()
            .map(|c| (c, c.to_lowercase().next().unwrap_or(c)))
            .collect(),
        ),
    }
}

#[test]
fn the_databases_own_lowering_decides() {
    // A `C` locale lowers ASCII only: `É` stays, so `émile`… is asked of the database
    // anyway, and `mile` still matches; with a lowering that breaks positions the database
    // answers everything.
    let rows = || vec![row(1, "E001", "Émile", "", "local")];
    let c_locale = Lowering::Table([('E', 'e'), ('M', 'm')].into_iter().collect());
    let i = ListIndex::build(Backend::Postgres, c_locale, 1, rows(), &vec![vec![1]; 5]);
    assert_eq!(codes(&i, &q("mile")).map(|c| c.1), Some(1));
    let unknown = ListIndex::build(
        Backend::Postgres,
        Lowering::Unknown,
        1,
        rows(),
        &vec![vec![1]; 5],
    );
    assert_eq!(codes(&unknown, &q("mile")), None);
}
