//! The audit log page: actions and changes in words, filters, paging, and a CSV of the same
//! filtered list for the supervisor's files.

use super::{context, render, Download, Html};
use crate::error::AppResult;
use crate::store::audit::{search, AuditEntry};
use crate::store::Store;
use crate::web::api::AuditQuery;
use crate::web::guards::{AuditReader, Csrf};
use crate::web::i18n::{catalog, field_label, Lang};
use rocket::http::{ContentType, Status};
use rocket::State;
use serde_json::{json, Value};

/// The catalog key of an audit action: `event.draw` → `audit_event_draw`.
fn action_key(action: &str) -> String {
    format!("audit_{}", action.replace('.', "_"))
}

/// A stored value in words: codes with a catalog word (`state` `active` → 在库), text as is,
/// lists joined, a list of records counted.
fn value_words(lang: Lang, key: &str, v: &Value) -> String {
    let t = catalog(lang.0);
    match v {
        Value::Null => "—".into(),
        Value::String(s) => [
            format!("{key}_{s}"),
            format!("state_{s}"),
            format!("st_{s}"),
            format!("status_{s}"),
            format!("reason_{s}"),
        ]
        .iter()
        .find_map(|k| t.get(k).cloned())
        .unwrap_or_else(|| s.clone()),
        Value::Array(items) if items.iter().any(|i| i.is_object()) => crate::web::i18n::fill(
            lang.0,
            "n_entries",
            [("n", items.len().to_string().as_str())],
        ),
        Value::Array(items) => items
            .iter()
            .map(|i| value_words(lang, key, i))
            .collect::<Vec<_>>()
            .join("、"),
        Value::Bool(b) => t
            .get(if *b { "yes" } else { "no" })
            .cloned()
            .unwrap_or_else(|| b.to_string()),
        Value::Object(o) => {
            crate::web::i18n::fill(lang.0, "n_entries", [("n", o.len().to_string().as_str())])
        }
        other => other.to_string(),
    }
}

/// The differences between two recorded values, nested records field by field.
fn diff(
    lang: Lang,
    path: &[String],
    key: &str,
    before: Option<&Value>,
    after: Option<&Value>,
    out: &mut Vec<String>,
) {
    if before == after {
        return;
    }
    let here = || {
        let mut labels = path.to_vec();
        labels.push(field_label(lang.0, key));
        labels.retain(|l| !l.is_empty());
        labels.join(" · ")
    };
    match (before, after) {
        (Some(Value::Object(b)), Some(Value::Object(a))) => {
            let mut deeper = path.to_vec();
            if !key.is_empty() {
                deeper.push(field_label(lang.0, key));
            }
            let keys: std::collections::BTreeSet<&String> = b.keys().chain(a.keys()).collect();
            for k in keys {
                diff(lang, &deeper, k, b.get(k), a.get(k), out);
            }
        }
        (Some(x), Some(y)) => out.push(format!(
            "{}：{} → {}",
            here(),
            value_words(lang, key, x),
            value_words(lang, key, y)
        )),
        (Some(x), None) | (None, Some(x)) => {
            out.push(format!("{}：{}", here(), value_words(lang, key, x)))
        }
        (None, None) => {}
    }
}

/// What an entry changed, field by field: `label: before → after` (or the values recorded).
fn changes(lang: Lang, e: &AuditEntry) -> Vec<String> {
    let parse = |s: &Option<String>| -> Option<Value> {
        s.as_deref().and_then(|t| serde_json::from_str(t).ok())
    };
    let mut out = Vec::new();
    diff(
        lang,
        &[],
        "",
        parse(&e.before_json).as_ref(),
        parse(&e.after_json).as_ref(),
        &mut out,
    );
    out
}

fn entry_view(lang: Lang, e: &AuditEntry) -> Value {
    let t = catalog(lang.0);
    json!({
        "at": crate::clock::local_time(&e.at, lang.0),
        "actor": e.actor,
        "action": t.get(&action_key(&e.action)).cloned().unwrap_or_else(|| e.action.clone()),
        "entity": t.get(&format!("entity_{}", e.entity)).cloned().unwrap_or_else(|| e.entity.clone()),
        "entity_ref": e.entity_ref,
        "changes": changes(lang, e),
    })
}

/// The actions a filter can pick, in words.
fn action_choices(lang: Lang) -> Vec<Value> {
    catalog(lang.0)
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("audit_")
                .and_then(|a| a.split_once('_'))
                .map(|(entity, what)| json!({"code": format!("{entity}.{what}"), "label": v}))
        })
        .collect()
}

#[get("/audit?<query..>")]
async fn list(
    r: AuditReader,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    query: AuditQuery,
) -> AppResult<Html> {
    let f = query.filter();
    let (items, total) = search(store, &f).await?;
    let mut ctx = context(lang, Some(&r.0 .0), &csrf.0, "/audit");
    ctx.insert(
        "items".into(),
        json!(items
            .iter()
            .map(|e| entry_view(lang, e))
            .collect::<Vec<_>>()),
    );
    ctx.insert("total".into(), json!(total));
    ctx.insert("actions".into(), json!(action_choices(lang)));
    ctx.insert("filter".into(), json!({"actor": f.actor, "action": f.action, "entity": f.entity_ref, "from": f.from, "to": f.to}));
    ctx.insert(
        "query".into(),
        json!(super::query_string(&[
            ("actor", &f.actor),
            ("action", &f.action),
            ("entity", &f.entity_ref),
            ("from", &f.from),
            ("to", &f.to)
        ])),
    );
    ctx.insert(
        "sort".into(),
        json!({"by": if f.sort.is_empty() { "at" } else { f.sort.as_str() }, "asc": f.ascending}),
    );
    ctx.insert("page".into(), json!(f.page));
    ctx.insert(
        "pages".into(),
        json!((total + f.per_page - 1) / f.per_page.max(1)),
    );
    ctx.insert("has_next".into(), json!(f.page * f.per_page < total));
    Ok(render(Status::Ok, "supervisor/audit", ctx))
}

/// The filtered log as CSV (at most 50,000 lines), in the reader's language.
#[get("/audit.csv?<query..>")]
async fn csv(
    _r: AuditReader,
    lang: Lang,
    store: &State<Store>,
    query: AuditQuery,
) -> AppResult<Download> {
    let mut f = query.filter();
    f.page = 1;
    f.per_page = 50_000;
    let (items, _) = search(store, &f).await?;
    let t = catalog(lang.0);
    let header: Vec<&str> = [
        "col_at",
        "col_actor",
        "col_action",
        "col_entity",
        "col_change",
    ]
    .iter()
    .map(|k| t.get(*k).map(String::as_str).unwrap_or(k))
    .collect();
    let rows = items.iter().map(|e| {
        let v = entry_view(lang, e);
        let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        vec![
            s("at"),
            s("actor"),
            s("action"),
            format!("{} {}", s("entity"), s("entity_ref")),
            changes(lang, e).join("；"),
        ]
    });
    let text = crate::web::export::csv_document(&header, rows)?;
    Ok(Download::new(
        ContentType::CSV,
        text.into_bytes(),
        "audit.csv",
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![list, csv]
}
