//! The draw step's content: every draw and failed attempt (its diagnosis in words), the
//! chosen draw with its people (name, employer, title, types, region, fit, the rules each
//! meets) and its comparison with an earlier draw.

use crate::assign::rules::{Filter, Rules};
use crate::domain::event::EventStatus;
use crate::error::AppResult;
use crate::service::events;
use crate::store::people::{self, Person};
use crate::store::Store;
use crate::web::i18n::{catalog, fill, Lang};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// A failed attempt's diagnosis in words: per finding, the panel and the rules that cannot
/// all hold (the engine's own sentence in English), then the seats against the supply.
pub(super) fn diagnosis_lines(lang: Lang, stored: &str) -> Vec<String> {
    let Ok(d) = serde_json::from_str::<Value>(stored) else {
        // (an attempt stored as text)
        return vec![crate::web::i18n::translate(lang.0, stored)];
    };
    let t = catalog(lang.0);
    let mut lines: Vec<String> = d["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .take(20)
        .map(|f| {
            if lang.0 == "en" {
                return f["message"].as_str().unwrap_or_default().to_string();
            }
            let rules: Vec<String> = f["rule"]
                .as_str()
                .unwrap_or_default()
                .split('+')
                .map(|r| {
                    t.get(&format!("diag_{r}"))
                        .cloned()
                        .unwrap_or_else(|| r.to_string())
                })
                .collect();
            let all = t.get("diag_all_panels").cloned().unwrap_or_default();
            let panel = f["panel"].as_str().unwrap_or(&all);
            fill(
                lang.0,
                "diag_finding",
                [("panel", panel), ("rules", rules.join("、").as_str())],
            )
        })
        .collect();
    let (seats, supply) = (d["seats"].to_string(), d["supply"].to_string());
    lines.push(fill(
        lang.0,
        "diag_seats",
        [("seats", seats.as_str()), ("supply", supply.as_str())],
    ));
    lines
}

/// A person as draw results and rosters show them: name, employer by name, title, types
/// and region in words, and which of the rules' filters they meet.
fn person_view(
    lang: Lang,
    code: &str,
    who: &BTreeMap<String, Person>,
    orgs: &BTreeMap<String, String>,
    rules: Option<&Rules>,
) -> Value {
    let t = catalog(lang.0);
    let word = |prefix: &str, v: &str| {
        t.get(&format!("{prefix}{v}"))
            .cloned()
            .unwrap_or_else(|| v.to_string())
    };
    let Some(p) = who.get(code) else {
        return json!({"code": code, "name": code});
    };
    let types: Vec<String> = crate::store::experts::split(&p.types)
        .iter()
        .map(|x| word("type_", x))
        .collect();
    let meets: Vec<String> = rules
        .map(|r| {
            r.requirements()
                .iter()
                .filter(|(_, f, _)| matches_person(f, p))
                .map(|(_, f, _)| describe(lang, f))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect()
        })
        .unwrap_or_default();
    json!({
        "code": p.code,
        "name": p.name,
        "org": orgs.get(&p.organization_code).cloned().unwrap_or_else(|| p.organization_code.clone()),
        "title": word("title_", &p.title),
        "types": types.join("、"),
        "region": word("region_", &p.region),
        "meets": meets,
    })
}

fn matches_person(f: &Filter, p: &Person) -> bool {
    use crate::domain::expert::{ExpertType, Gender, Region, Title};
    let (Ok(title), Ok(region), Ok(gender)) = (
        Title::parse(&p.title),
        Region::parse(&p.region),
        Gender::parse(&p.gender),
    ) else {
        return false;
    };
    let types = crate::store::experts::split(&p.types)
        .iter()
        .filter_map(|t| ExpertType::parse(t).ok())
        .collect();
    f.matches(title, &types, region, gender)
}

/// A filter in words: `正高 · 财务 · 省外` (`任何专家` when it is open).
pub(super) fn describe(lang: Lang, f: &Filter) -> String {
    let t = catalog(lang.0);
    let word = |key: String| t.get(&key).cloned().unwrap_or(key);
    let mut parts: Vec<String> = Vec::new();
    let or = t.get("or_word").cloned().unwrap_or_else(|| "/".into());
    let mut group = |words: Vec<String>| {
        if !words.is_empty() {
            parts.push(words.join(&or));
        }
    };
    group(
        f.title
            .iter()
            .map(|v| word(format!("title_{}", v.as_str())))
            .collect(),
    );
    group(
        f.types
            .iter()
            .map(|v| word(format!("type_{}", v.as_str())))
            .collect(),
    );
    group(
        f.region
            .iter()
            .map(|v| word(format!("region_{}", v.as_str())))
            .collect(),
    );
    group(
        f.gender
            .iter()
            .map(|v| word(format!("gender_{}", v.as_str())))
            .collect(),
    );
    if parts.is_empty() {
        word("any_expert".into())
    } else {
        parts.join(" · ")
    }
}

/// Only the rules of a stored draw input, without building its candidates (megabytes at
/// province scale).
#[derive(serde::Deserialize)]
struct RulesOnly {
    rules: Rules,
}

/// The draw step: every draw and failed attempt, the chosen draw with its people, and the
/// comparison with an earlier one.
pub(super) async fn draw_step(
    store: &Store,
    lang: Lang,
    event: &events::Event,
    draws: &[crate::store::events::DrawRow],
    (chosen, compare): (Option<i64>, Option<i64>),
    orgs: &BTreeMap<String, String>,
    ctx: &mut serde_json::Map<String, Value>,
) -> AppResult<()> {
    let attempts = crate::store::draw_attempts::for_event(store, event.id).await?;
    let mut history: Vec<Value> = draws
        .iter()
        .map(|d| {
            let result: Value = serde_json::from_str(&d.result_json).unwrap_or_default();
            json!({"kind": "draw", "id": d.draw_id, "seed": d.seed, "actor": d.actor, "at": d.at,
                   "at_local": crate::clock::local_time(&d.at, lang.0), "objective": result["objective"],
                   "gap": result["gap"], "solver": d.solver})
        })
        .chain(attempts.iter().map(|a| {
            json!({"kind": "attempt", "id": a.attempt_id, "seed": a.seed, "actor": a.actor, "at": a.at,
                   "at_local": crate::clock::local_time(&a.at, lang.0), "reason": diagnosis_lines(lang, &a.reason)})
        }))
        .collect();
    history.sort_by(|a, b| b["at"].as_str().cmp(&a["at"].as_str()));
    ctx.insert("history".into(), json!(history));
    let Some(shown) = (match chosen {
        Some(id) => draws.iter().find(|d| d.draw_id == id),
        None => draws.first(),
    }) else {
        return Ok(());
    };
    let result: Value = serde_json::from_str(&shown.result_json).unwrap_or_default();
    let rules = serde_json::from_str::<RulesOnly>(&shown.input_json)
        .ok()
        .map(|r| r.rules);
    let earlier = compare
        .and_then(|c| draws.iter().find(|d| d.draw_id == c && c != shown.draw_id))
        .and_then(|d| serde_json::from_str::<Value>(&d.result_json).ok());
    let mut codes: Vec<String> = Vec::new();
    for p in result["panels"].as_array().into_iter().flatten() {
        for m in p["members"].as_array().into_iter().flatten() {
            codes.extend(m["expert"].as_str().map(String::from));
        }
        for a in p["alternates"].as_array().into_iter().flatten() {
            codes.extend(a["expert"].as_str().map(String::from));
        }
    }
    let who = people::by_codes(store, &codes).await?;
    let panels: Vec<Value> = result["panels"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let code = p["panel"].as_str().unwrap_or_default();
            let seated = |r: &Value| -> BTreeSet<String> {
                r["panels"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|q| q["panel"] == p["panel"])
                    .flat_map(|q| q["members"].as_array().cloned().unwrap_or_default())
                    .filter_map(|m| m["expert"].as_str().map(String::from))
                    .collect()
            };
            let now = seated(&result);
            let before = earlier.as_ref().map(seated);
            let members: Vec<Value> = p["members"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|m| {
                    let key = m["expert"].as_str().unwrap_or_default();
                    let mut v = person_view(lang, key, &who, orgs, rules.as_ref());
                    v["fit"] = m["fit"].clone();
                    v["recused"] = m["recused_items"].clone();
                    v["role"] = json!(if p["leader"].as_str() == Some(key) {
                        "leader"
                    } else if p["deputy"].as_str() == Some(key) {
                        "deputy"
                    } else {
                        "member"
                    });
                    v["new"] = json!(before.as_ref().is_some_and(|b| !b.contains(key)));
                    v
                })
                .collect();
            let alternates: Vec<Value> = p["alternates"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| {
                    let key = a["expert"].as_str().unwrap_or_default();
                    let mut v = person_view(lang, key, &who, orgs, rules.as_ref());
                    v["fit"] = a["fit"].clone();
                    v
                })
                .collect();
            let left: Vec<&String> = before
                .as_ref()
                .map(|b| b.difference(&now).collect())
                .unwrap_or_default();
            json!({"panel": code, "mean_fit": p["mean_fit"], "members": members,
                   "alternates": alternates, "left": left})
        })
        .collect();
    let seat_count: usize = panels
        .iter()
        .map(|p| p["members"].as_array().map_or(0, Vec::len))
        .sum();
    // Only the latest draw may be confirmed, and only while it describes the event as it is.
    let latest = draws.first().map(|d| d.draw_id) == Some(shown.draw_id);
    let freshness = if latest && event.status == EventStatus::Drawn {
        Some(crate::service::draws::freshness(store, event, shown).await?)
    } else {
        None
    };
    ctx.insert(
        "freshness_since".into(),
        json!(freshness
            .as_ref()
            .and_then(|f| f.since.as_deref())
            .map(|t| crate::clock::local_time(t, lang.0))),
    );
    ctx.insert("freshness".into(), json!(freshness));
    ctx.insert(
        "shown".into(),
        json!({"id": shown.draw_id, "seed": shown.seed, "actor": shown.actor, "solver": shown.solver,
               "at_local": crate::clock::local_time(&shown.at, lang.0), "latest": latest,
               "objective": result["objective"], "bound": result["bound"], "gap": result["gap"],
               "status": result["status"], "input_hash": shown.input_hash, "result_hash": shown.result_hash,
               "panels": panels, "seat_count": seat_count.to_string(), "compare": earlier.is_some().then_some(compare)}),
    );
    Ok(())
}
