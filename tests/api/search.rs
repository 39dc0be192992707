//! Keyword search through the gram index: in step with every write, and the same answers as
//! the `like` scan it replaced.

use crate::helpers::*;
use expertpool::dataset::Dataset;
use expertpool::store::audit::Actor;
use expertpool::store::import::import;
use rocket::http::{Method, Status};
use serde_json::{json, Value};
use sqlx::Row;

/// The codes and total of `GET /api/v1/experts?{query}`.
async fn found(app: &TestApp, query: &str) -> (Vec<String>, i64) {
    let (status, page) = app.get_json(&format!("/api/v1/experts?{query}")).await;
    assert_eq!(status, Status::Ok, "{query}: {page}");
    let codes = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["code"].as_str().unwrap_or_default().to_string())
        .collect();
    (codes, page["total"].as_i64().unwrap_or(-1))
}

async fn total(app: &TestApp, q: &str) -> i64 {
    found(app, &format!("q={}", encode(q))).await.1
}

/// The one number that `sql` selects.
async fn number(app: &TestApp, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(&app.store.pool)
        .await
        .expect(sql)
        .try_get::<i64, _>(0)
        .expect(sql)
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn soil_expert(name: &str) -> Value {
    let mut p = profile_json(name);
    p["keywords_zh"] = json!(["土壤修复", "重金属污染"]);
    p["keywords_en"] = json!(["Soil Remediation", "heavy metals"]);
    p["summary"] = json!("从事矿区土壤修复研究。");
    p
}

#[tokio::test]
async fn search_finds_new_words_at_once_and_forgets_removed_ones() {
    let app = spawn_app().await;
    app.login_admin().await;
    // A neighbour whose profile shares nothing with the words below.
    app.send_json(Method::Post, "/api/v1/experts", &profile_json("林晓"))
        .await;
    let (status, e) = app
        .send_json(Method::Post, "/api/v1/experts", &soil_expert("欧阳明"))
        .await;
    assert_eq!(status, Status::Created, "{e}");
    let (codes, n) = found(&app, &format!("q={}", encode("土壤"))).await;
    assert_eq!(
        (codes, n),
        (vec![e["code"].as_str().unwrap().to_string()], 1)
    );
    for q in [
        "土壤修复",
        "重金属",
        "soil",
        "REMEDIATION",
        "欧阳明",
        "欧阳",
        "矿区土壤",
    ] {
        assert_eq!(total(&app, q).await, 1, "{q}");
    }
    for q in [
        "冶金",
        "metallurgy",
        "欧阳亮",
        "土壤冶金",
        "soil metallurgy",
    ] {
        assert_eq!(total(&app, q).await, 0, "{q}");
    }

    let mut edit = profile_json("欧阳亮");
    edit["keywords_zh"] = json!(["冶金工程"]);
    edit["keywords_en"] = json!(["Metallurgy"]);
    edit["summary"] = json!("从事有色冶金研究。");
    let (status, after) = app
        .send_json(Method::Put, &format!("/api/v1/experts/{}", e["id"]), &edit)
        .await;
    assert_eq!(status, Status::Ok, "{after}");
    for q in [
        "土壤",
        "土壤修复",
        "重金属",
        "soil",
        "remediation",
        "欧阳明",
        "矿区",
    ] {
        assert_eq!(total(&app, q).await, 0, "{q} was removed");
    }
    for q in [
        "冶金",
        "冶金工程",
        "有色冶金",
        "METALLURGY",
        "欧阳亮",
        "欧阳",
    ] {
        assert_eq!(total(&app, q).await, 1, "{q} was added");
    }
    // The neighbour's 铜冶炼 shares the character 冶 only: one character scans, and finds both.
    assert_eq!(total(&app, "冶").await, 2);

    // A new code is searchable, the old one is not.
    let old_code = after["code"].as_str().unwrap().to_lowercase();
    edit["code"] = json!("X90210");
    let (status, _) = app
        .send_json(Method::Put, &format!("/api/v1/experts/{}", e["id"]), &edit)
        .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(total(&app, "x902").await, 1);
    assert_eq!(total(&app, &old_code).await, 0);
    assert_eq!(total(&app, "冶金").await, 1, "grams follow the new code");
}

#[tokio::test]
async fn an_expert_editing_their_own_profile_is_searchable_at_once() {
    let app = spawn_app().await;
    app.login_admin().await;
    let (_, e) = app
        .send_json(Method::Post, "/api/v1/experts", &profile_json("甲"))
        .await;
    app.logout().await;
    app.add_user("jia", "expert", e["code"].as_str().unwrap())
        .await;
    assert_eq!(app.login("jia", PASSWORD).await, Status::Ok);
    let mut edit = profile_json("甲");
    edit["keywords_zh"] = json!(["湿法冶金"]);
    let (status, _) = app.send_json(Method::Put, "/api/v1/me", &edit).await;
    assert_eq!(status, Status::Ok);
    app.logout().await;
    app.login_admin().await;
    assert_eq!(total(&app, "湿法").await, 1);
    assert_eq!(total(&app, "烟气").await, 0, "烟气治理 was dropped");
}

#[tokio::test]
async fn concurrent_edits_leave_the_index_of_the_last_one() {
    let app = spawn_app().await;
    app.login_admin().await;
    let (_, e) = app
        .send_json(Method::Post, "/api/v1/experts", &profile_json("丙"))
        .await;
    let uri = format!("/api/v1/experts/{}", e["id"]);
    let words = [
        "土壤修复",
        "湿法冶金",
        "水利工程",
        "电力系统",
        "精细化工",
        "临床医学",
    ];
    let put = |w: &str| {
        let mut edit = profile_json("丙");
        edit["keywords_zh"] = json!([w]);
        let (app, uri) = (&app, uri.clone());
        async move { app.send_json(Method::Put, &uri, &edit).await.0 }
    };
    let statuses = tokio::join!(
        put(words[0]),
        put(words[1]),
        put(words[2]),
        put(words[3]),
        put(words[4]),
        put(words[5])
    );
    assert_eq!(
        <[Status; 6]>::from(statuses),
        [Status::Ok; 6],
        "every edit went through"
    );
    let (_, last) = app.get_json(&uri).await;
    let last = last["keywords_zh"][0]
        .as_str()
        .unwrap_or_default()
        .to_string();
    for w in words {
        let expected = i64::from(w == last);
        assert_eq!(total(&app, w).await, expected, "{w} (last: {last})");
        let tail: String = w.chars().skip(2).collect();
        assert_eq!(total(&app, &tail).await, expected, "{tail} (last: {last})");
    }
}

#[tokio::test]
async fn an_import_is_searchable_and_a_reimport_changes_nothing() {
    let app = spawn_app().await;
    let dir = small_dataset(30);
    let data = Dataset::load(dir.path()).expect("dataset");
    import(&app.store, &data, &Actor::system("test"))
        .await
        .expect("import");
    app.login_admin().await;
    let first = &data.experts[0];
    let keyword = &first.keywords_zh[0];
    let (codes, n) = found(&app, &format!("q={}&per_page=200", encode(keyword))).await;
    assert!(
        n >= 1 && codes.contains(&first.code),
        "{keyword}: {codes:?}"
    );
    let by_name = found(&app, &format!("q={}", encode(&first.name))).await;
    assert!(by_name.0.contains(&first.code));

    let postings = "select count(*) from expert_gram";
    let version = "select version from registry_version";
    let (before, registry) = (number(&app, postings).await, number(&app, version).await);
    import(&app.store, &data, &Actor::system("test"))
        .await
        .expect("again");
    assert_eq!(number(&app, postings).await, before);
    // Unchanged organizations and experts are left alone: the registry (and the list kept
    // in memory) stays current.
    assert_eq!(number(&app, version).await, registry);
    assert_eq!(
        found(&app, &format!("q={}&per_page=200", encode(keyword))).await,
        (codes, n)
    );
}

#[tokio::test]
async fn an_index_left_by_an_older_version_is_rebuilt_at_start() {
    let app = spawn_app().await;
    app.login_admin().await;
    app.send_json(Method::Post, "/api/v1/experts", &soil_expert("欧阳明"))
        .await;
    for sql in [
        "delete from expert_gram",
        "update expert_gram_version set version = 0",
    ] {
        sqlx::query(sql).execute(&app.store.pool).await.expect(sql);
    }
    assert_eq!(total(&app, "土壤").await, 0, "the index is empty");
    app.store.migrate().await.expect("start again");
    assert_eq!(total(&app, "土壤").await, 1);
    assert_eq!(total(&app, "remediation").await, 1);
}

/// What the list returned before the index: the same filters with `like` over every row.
async fn scanned(app: &TestApp, q: &str, filter: &str) -> Vec<String> {
    let like = format!("%{}%", q.trim().to_lowercase());
    let sql = format!(
        "select e.code from expert e join organization o on o.code = e.organization_code
         where (lower(e.name) like $1 or lower(e.code) like $1 or lower(e.keywords_zh) like $1
                or lower(e.keywords_en) like $1 or lower(e.summary) like $1) {filter}
         order by e.code"
    );
    sqlx::query(&sql)
        .bind(like)
        .fetch_all(&app.store.pool)
        .await
        .expect("scan")
        .iter()
        .map(|r| r.try_get::<String, _>("code").expect("code"))
        .collect()
}

#[tokio::test]
async fn the_index_answers_what_the_scan_answered_on_the_sample() {
    let app = sample_app().await;
    app.login_admin().await;
    let queries = [
        "土壤",
        "冶金",
        "研究",
        "王伟",
        "土壤修复",
        "有色金属冶炼",
        "copper",
        "Copper Smelting",
        "e0001",
        "E01999",
        "水",
        "co",
        "ing",
        "修复 ",
        "冶金;",
        "土_",
        "理，",
    ];
    for q in queries {
        let expected = scanned(&app, q, "").await;
        let (codes, n) = found(&app, &format!("q={}&per_page=200", encode(q))).await;
        assert_eq!(n as usize, expected.len(), "total of {q:?}");
        assert_eq!(codes[..], expected[..expected.len().min(200)], "{q:?}");
        // A later page of the same list.
        let (codes, _) = found(&app, &format!("q={}&per_page=7&page=3", encode(q))).await;
        let tail: Vec<String> = expected.iter().skip(14).take(7).cloned().collect();
        assert_eq!(codes, tail, "page 3 of {q:?}");
        let beyond = found(&app, &format!("q={}&per_page=7&page=999", encode(q))).await;
        assert_eq!(
            beyond,
            (vec![], expected.len() as i64),
            "past the end of {q:?}"
        );
    }
    for (params, filter) in [
        ("region=local", "and e.region = 'local'"),
        ("type=finance", "and (';' || e.types || ';') like '%;finance;%'"),
        ("org=lzu", "and (lower(e.organization_code) = 'lzu' or lower(o.name_zh) like '%lzu%' or lower(o.name_en) like '%lzu%')"),
        ("discipline=450", "and exists (select 1 from expert_discipline d where d.expert_id = e.expert_id and d.code like '450%')"),
        ("discipline=45020&region=outside", "and exists (select 1 from expert_discipline d where d.expert_id = e.expert_id and d.code like '45020%') and e.region = 'outside'"),
    ] {
        for q in ["冶金", "研究", "copper", "有色金属"] {
            let expected = scanned(&app, q, filter).await;
            let (codes, n) = found(&app, &format!("q={}&{params}&per_page=200", encode(q))).await;
            assert_eq!(n as usize, expected.len(), "total of {q:?} {params}");
            assert_eq!(codes[..], expected[..expected.len().min(200)], "{q:?} {params}");
        }
    }
}

/// Words, names, codes and filter values of the stored registry, to draw filters from.
struct Vocabulary {
    words: Vec<String>,
    orgs: Vec<String>,
    titles: Vec<String>,
    regions: Vec<String>,
    types: Vec<String>,
    disciplines: Vec<String>,
}

impl Vocabulary {
    async fn read(pool: &sqlx::AnyPool) -> Vocabulary {
        let column = |sql: &'static str| async move {
            sqlx::query(sql)
                .fetch_all(pool)
                .await
                .expect(sql)
                .iter()
                .map(|r| r.try_get::<String, _>(0).expect("text"))
                .collect::<Vec<String>>()
        };
        let mut words: Vec<String> = Vec::new();
        for text in column("select keywords_zh from expert order by code limit 300").await {
            for w in text.split(';').filter(|w| !w.is_empty()) {
                let chars: Vec<char> = w.chars().collect();
                // The whole keyword, its first two characters and its tail.
                words.push(w.to_string());
                words.push(chars.iter().take(2).collect());
                words.push(chars.iter().skip(1).collect());
            }
        }
        words.extend(column("select name from expert order by code limit 50").await);
        words.extend(column("select code from expert order by code limit 20").await);
        for w in [
            "copper",
            "Copper Smelting",
            "ing",
            "co",
            "研究",
            "水",
            "e000",
            "E01",
            "理，",
            "土_",
            "50%",
            "ÉCOLE",
            "metal",
            "SOIL",
            "有色金属冶炼",
        ] {
            words.push(w.to_string());
        }
        let mut orgs = column("select code from organization order by code limit 30").await;
        orgs.extend(column("select name_zh from organization order by code limit 30").await);
        // Part of a code matches no code (the code must be whole; a name may be a part).
        orgs.extend(["大学", "institute", "LZU", "研究院", "LZ", "CAS"].map(String::from));
        let mut disciplines = column("select distinct code from expert_discipline").await;
        let prefixes: Vec<String> = disciplines
            .iter()
            .flat_map(|c| [c.chars().take(3).collect(), c.chars().take(5).collect()])
            .collect();
        disciplines.extend(prefixes);
        disciplines.sort();
        disciplines.dedup();
        let mut types = Vec::new();
        for t in column("select distinct types from expert").await {
            types.extend(t.split(';').filter(|w| !w.is_empty()).map(String::from));
        }
        types.sort();
        types.dedup();
        Vocabulary {
            words,
            orgs,
            titles: column("select distinct title from expert").await,
            regions: column("select distinct region from expert").await,
            types,
            disciplines,
        }
    }
}

#[tokio::test]
async fn the_list_kept_in_memory_answers_what_the_database_answers() {
    use expertpool::store::experts::ExpertFilter;
    use expertpool::store::search::{from_memory, refresh, search_database};
    use rand::{RngExt, SeedableRng};
    let app = sample_app().await;
    let store = &app.store;
    assert_eq!(refresh(store).await.expect("refresh"), 2000);
    let v = Vocabulary::read(&store.pool).await;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20261206);
    let mut pick = |list: &[String], odds: u32| -> String {
        if list.is_empty() || rng.random_range(0..odds) != 0 {
            String::new()
        } else {
            list[rng.random_range(0..list.len())].clone()
        }
    };
    let mut from_database = 0;
    for round in 0..400 {
        let mut f = ExpertFilter {
            q: pick(&v.words, 2),
            discipline: pick(&v.disciplines, 4),
            org: pick(&v.orgs, 6),
            title: pick(&v.titles, 6),
            region: pick(&v.regions, 4),
            expert_type: pick(&v.types, 8),
            ..Default::default()
        };
        let sorts = ["", "code", "name", "title", "org", "region", "updated"];
        f.sort = sorts[round % sorts.len()].to_string();
        f.desc = round % 3 == 0;
        f.to_verify = round % 11 == 0;
        f.per_page = [20, 7, 200][round % 3];
        f.page = [1, 1, 2, 3, 50][round % 5];
        let expected = search_database(store, &f).await.expect("database");
        let Some(kept) = from_memory(store, &f).await.expect("memory") else {
            from_database += 1;
            continue;
        };
        let codes = |page: &[expertpool::store::experts::ExpertSummary]| {
            page.iter().map(|e| e.code.clone()).collect::<Vec<_>>()
        };
        assert_eq!(kept.1, expected.1, "total of {f:?}");
        assert_eq!(codes(&kept.0), codes(&expected.0), "page of {f:?}");
        // Every column of the rows, not only their codes.
        assert_eq!(
            format!("{:?}", kept.0),
            format!("{:?}", expected.0),
            "rows of {f:?}"
        );
    }
    // Wildcards and non-ASCII capitals go to the database; everything else is answered.
    assert!(
        from_database < 60,
        "{from_database} of 400 went to the database"
    );
}

#[tokio::test]
async fn a_change_to_the_registry_sends_the_list_to_the_database_until_it_is_read_again() {
    use expertpool::store::experts::ExpertFilter;
    use expertpool::store::search::{from_memory, refresh};
    let app = spawn_app().await;
    app.login_admin().await;
    app.send_json(Method::Post, "/api/v1/experts", &soil_expert("欧阳明"))
        .await;
    assert_eq!(refresh(&app.store).await.expect("refresh"), 1);
    let f = ExpertFilter {
        q: "土壤".into(),
        page: 1,
        per_page: 20,
        ..Default::default()
    };
    let kept = from_memory(&app.store, &f).await.expect("memory");
    assert_eq!(kept.map(|k| k.1), Some(1));
    app.send_json(Method::Post, "/api/v1/experts", &soil_expert("欧阳亮"))
        .await;
    // The registry moved: not from memory (the database answers, the API says 2 at once).
    // (A rebuild may already have started in the background; refresh waits for its own.)
    assert_eq!(total(&app, "土壤").await, 2);
    assert_eq!(refresh(&app.store).await.expect("refresh"), 2);
    let kept = from_memory(&app.store, &f).await.expect("memory");
    assert_eq!(kept.map(|k| k.1), Some(2));
    // Renaming an organization moves the registry too (its name is listed and searched).
    let before = from_memory(&app.store, &f).await.expect("memory");
    assert!(before.is_some());
    sqlx::query("update organization set name_zh = name_zh || '（新）'")
        .execute(&app.store.pool)
        .await
        .expect("rename");
    assert!(from_memory(&app.store, &f).await.expect("memory").is_none());
}
