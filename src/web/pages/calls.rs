//! Calls for experts (征集): the public list and page of each call (no login), where an
//! expert who is signed in applies; administrators publish and edit calls; staff follow each
//! call's applications against the numbers sought (server-side SVG, CSV).

use super::{context, render, Download, Html};
use crate::domain::call::CallInput;
use crate::error::{AppError, AppResult};
use crate::service::calls;
use crate::store::Store;
use crate::web::guards::{Admin, Csrf, CurrentUser, Reader};
use crate::web::i18n::{catalog, Lang};
use rocket::form::Form;
use rocket::http::{ContentType, Status};
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::State;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Discipline code → name in the reader's language.
async fn discipline_names(store: &Store, lang: Lang) -> AppResult<BTreeMap<String, String>> {
    Ok(crate::store::reference::disciplines(store, "")
        .await?
        .into_iter()
        .map(|d| {
            let name = if lang.0 == "en" { d.name_en } else { d.name_zh };
            (d.code.as_str().to_string(), name)
        })
        .collect())
}

/// A call for a page: its sought lines with discipline names, its documents and status in
/// words.
fn call_view(lang: Lang, listed: &calls::Listed, names: &BTreeMap<String, String>) -> Value {
    let t = catalog(lang.0);
    let mut v = json!(listed);
    v["sought_lines"] = json!(listed
        .call
        .sought
        .iter()
        .map(|s| json!({
            "code": s.discipline.as_str(),
            "name": names.get(s.discipline.as_str()).cloned().unwrap_or_default(),
            "count": s.count,
        }))
        .collect::<Vec<_>>());
    v["document_words"] = json!(listed
        .call
        .documents
        .iter()
        .map(|d| t
            .get(&format!("doc_{}", d.as_str()))
            .cloned()
            .unwrap_or_default())
        .collect::<Vec<_>>());
    v
}

fn listed(call: crate::domain::call::Call) -> calls::Listed {
    calls::Listed {
        status: call.status(crate::clock::today()),
        call,
    }
}

/// The open and upcoming calls, for anyone.
#[get("/calls")]
async fn public_list(
    lang: Lang,
    csrf: Csrf,
    user: Option<CurrentUser>,
    store: &State<Store>,
) -> AppResult<Html> {
    let names = discipline_names(store, lang).await?;
    let mut ctx = context(lang, user.as_ref().map(|u| &u.0), &csrf.0, "/calls");
    ctx.insert(
        "calls".into(),
        json!(calls::list(store, true)
            .await?
            .iter()
            .map(|l| call_view(lang, l, &names))
            .collect::<Vec<_>>()),
    );
    Ok(render(Status::Ok, "public/calls", ctx))
}

/// A call's page, for anyone; a signed-in expert applies from it while it is open.
#[get("/calls/<id>")]
async fn public_page(
    lang: Lang,
    csrf: Csrf,
    user: Option<CurrentUser>,
    flash: Option<FlashMessage<'_>>,
    store: &State<Store>,
    id: i64,
) -> AppResult<Html> {
    let call = listed(calls::get(store, id).await?);
    let names = discipline_names(store, lang).await?;
    let mut ctx = context(
        lang,
        user.as_ref().map(|u| &u.0),
        &csrf.0,
        &format!("/calls/{id}"),
    );
    ctx.insert("call".into(), call_view(lang, &call, &names));
    ctx.insert("form".into(), json!({}));
    ctx.insert(
        "notice".into(),
        json!(flash.and_then(|f| catalog(lang.0).get(f.message()).cloned())),
    );
    Ok(render(Status::Ok, "public/call", ctx))
}

/// The call form as typed: sought lines `学科 人数` (a discipline by code or name).
#[derive(FromForm)]
struct CallForm {
    #[field(default = String::new())]
    pool: String,
    #[field(default = String::new())]
    title: String,
    #[field(default = String::new())]
    body: String,
    #[field(default = String::new())]
    opens_on: String,
    #[field(default = String::new())]
    closes_on: String,
    /// One line per discipline sought: `食品科学 10` or `830 10`.
    #[field(default = String::new())]
    sought: String,
    #[field(default = Vec::new())]
    documents: Vec<String>,
    csrf: String,
}

impl CallForm {
    /// The input, discipline names turned into codes (the last word of a line is the count).
    fn input(&self, names: &BTreeMap<String, String>) -> CallInput {
        let sought = self
            .sought
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|line| {
                let (what, count) = line.rsplit_once([' ', '\t', '　']).unwrap_or((line, ""));
                let what = what.trim();
                let code = names
                    .iter()
                    .find(|(_, name)| name.as_str() == what)
                    .map(|(code, _)| code.clone())
                    .unwrap_or_else(|| {
                        what.split_whitespace()
                            .next()
                            .unwrap_or_default()
                            .to_string()
                    });
                (code, count.trim().to_string())
            })
            .collect();
        CallInput {
            pool: self.pool.clone(),
            title: self.title.clone(),
            body: self.body.clone(),
            opens_on: self.opens_on.clone(),
            closes_on: self.closes_on.clone(),
            sought,
            documents: self.documents.clone(),
        }
    }

    /// The form as shown again after an error.
    fn view(&self) -> Value {
        json!({"pool": self.pool, "title": self.title, "body": self.body, "opens_on": self.opens_on,
               "closes_on": self.closes_on, "sought": self.sought, "documents": self.documents})
    }
}

/// Every call, for staff, with the form to publish one (administrators).
async fn admin_page(
    user: &CurrentUser,
    lang: Lang,
    csrf: &Csrf,
    store: &Store,
    form: Option<Value>,
    error: Option<&AppError>,
) -> AppResult<Html> {
    let names = discipline_names(store, lang).await?;
    let mut ctx = context(lang, Some(&user.0), &csrf.0, "/admin/calls");
    ctx.insert(
        "calls".into(),
        json!(calls::list(store, false)
            .await?
            .iter()
            .map(|l| call_view(lang, l, &names))
            .collect::<Vec<_>>()),
    );
    ctx.insert(
        "form".into(),
        form.unwrap_or_else(|| json!({"pool": "review", "documents": ["title_certificate", "employer_recommendation"]})),
    );
    ctx.insert(
        "error".into(),
        json!(error.map(|e| super::error_text(lang, e))),
    );
    Ok(render(
        error.map(AppError::status).unwrap_or(Status::Ok),
        "admin/calls",
        ctx,
    ))
}

#[get("/admin/calls")]
async fn admin_list(r: Reader, lang: Lang, csrf: Csrf, store: &State<Store>) -> AppResult<Html> {
    admin_page(&r.0, lang, &csrf, store, None, None).await
}

#[post("/admin/calls", data = "<form>")]
async fn create(
    a: Admin,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    form: Form<CallForm>,
) -> AppResult<Result<Flash<Redirect>, Html>> {
    csrf.verify(&form.csrf)?;
    let names = discipline_names(store, lang).await?;
    match calls::create(store, &a.0.actor(), &form.input(&names)).await {
        Ok(call) => Ok(Ok(Flash::success(
            Redirect::to(format!("/calls/{}", call.id)),
            "done_call_published",
        ))),
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => Ok(Err(admin_page(
            &a.0,
            lang,
            &csrf,
            store,
            Some(form.view()),
            Some(&e),
        )
        .await?)),
        Err(e) => Err(e),
    }
}

/// A call's form filled with its values, to edit (or reopen: move the closing date).
#[get("/admin/calls/<id>/edit")]
async fn edit_page(
    a: Admin,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
) -> AppResult<Html> {
    let call = calls::get(store, id).await?;
    let names = discipline_names(store, lang).await?;
    let sought: Vec<String> = call
        .sought
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                names
                    .get(s.discipline.as_str())
                    .cloned()
                    .unwrap_or_else(|| s.discipline.as_str().to_string()),
                s.count
            )
        })
        .collect();
    let mut ctx = context(
        lang,
        Some(&a.0 .0),
        &csrf.0,
        &format!("/admin/calls/{id}/edit"),
    );
    ctx.insert(
        "form".into(),
        json!({"id": id, "pool": call.pool, "title": call.title, "body": call.body,
               "opens_on": call.opens_on.to_string(), "closes_on": call.closes_on.to_string(),
               "sought": sought.join("\n"), "documents": call.documents}),
    );
    ctx.insert("error".into(), Value::Null);
    Ok(render(Status::Ok, "admin/call_form", ctx))
}

#[post("/admin/calls/<id>", data = "<form>")]
async fn update(
    a: Admin,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<CallForm>,
) -> AppResult<Result<Flash<Redirect>, Html>> {
    csrf.verify(&form.csrf)?;
    let names = discipline_names(store, lang).await?;
    match calls::update(store, &a.0.actor(), id, &form.input(&names)).await {
        Ok(_) => Ok(Ok(Flash::success(
            Redirect::to(format!("/calls/{id}")),
            "done_call_saved",
        ))),
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => {
            let mut ctx = context(
                lang,
                Some(&a.0 .0),
                &csrf.0,
                &format!("/admin/calls/{id}/edit"),
            );
            let mut view = form.view();
            view["id"] = json!(id);
            ctx.insert("form".into(), view);
            ctx.insert("error".into(), json!(super::error_text(lang, &e)));
            Ok(Err(render(e.status(), "admin/call_form", ctx)))
        }
        Err(e) => Err(e),
    }
}

/// A dashboard line's label: the discipline's name, or "others".
fn label_of(lang: Lang, l: &calls::Progress, names: &BTreeMap<String, String>) -> String {
    if l.discipline.is_empty() {
        catalog(lang.0)
            .get("call_others")
            .cloned()
            .unwrap_or_default()
    } else {
        names
            .get(&l.discipline)
            .cloned()
            .unwrap_or_else(|| l.discipline.clone())
    }
}

/// The lines worth showing: every discipline sought, and "others" when someone is in it.
fn shown(lines: &[calls::Progress]) -> impl Iterator<Item = &calls::Progress> {
    lines
        .iter()
        .filter(|l| !l.discipline.is_empty() || l.total > 0)
}

/// Per line: sought, applied (every application submitted and not withdrawn) and approved.
fn figures(l: &calls::Progress) -> [f64; 3] {
    let n = |state: &str| l.by_state.get(state).copied().unwrap_or(0);
    let approved = n("active") + n("suspended") + n("exited");
    [
        f64::from(l.sought),
        (l.total - n("withdrawn") - n("app_withdrawn") - n("app_draft")) as f64,
        approved as f64,
    ]
}

/// A dashboard state in words: a membership's, or an application's (`app_…`).
fn state_word(lang: Lang, state: &str) -> String {
    let key = match state.strip_prefix("app_") {
        Some(s) => format!("app_state_{s}"),
        None => format!("state_{state}"),
    };
    catalog(lang.0).get(&key).cloned().unwrap_or(key)
}

#[get("/calls/<id>/dashboard")]
async fn dashboard(
    r: Reader,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
) -> AppResult<Html> {
    let (call, lines, answers) = calls::dashboard(store, id).await?;
    let names = discipline_names(store, lang).await?;
    let orgs = super::roster_files::org_names(store, lang).await?;
    let t = catalog(lang.0);
    let word = |k: &str| t.get(k).cloned().unwrap_or_default();
    let rows: Vec<(String, [f64; 3])> = shown(&lines)
        .map(|l| (label_of(lang, l, &names), figures(l)))
        .collect();
    let chart = crate::web::charts::progress(
        &call.title,
        [
            &word("call_sought"),
            &word("call_applied"),
            &word("call_approved"),
        ],
        &rows,
    );
    let mut ctx = context(
        lang,
        Some(&r.0 .0),
        &csrf.0,
        &format!("/calls/{id}/dashboard"),
    );
    ctx.insert("call".into(), call_view(lang, &listed(call), &names));
    ctx.insert("chart".into(), json!(chart));
    ctx.insert(
        "lines".into(),
        json!(shown(&lines)
            .map(|l| {
                let [sought, applied, approved] = figures(l);
                let states: Vec<String> = l
                    .by_state
                    .iter()
                    .map(|(state, n)| format!("{} {n}", state_word(lang, state)))
                    .collect();
                json!({"label": label_of(lang, l, &names), "sought": sought, "applied": applied,
                       "approved": approved, "states": states})
            })
            .collect::<Vec<_>>()),
    );
    ctx.insert(
        "answers".into(),
        json!(answers
            .iter()
            .map(|a| json!({"href": a.href, "code": a.code, "name": a.name, "state": state_word(lang, &a.state),
                            "discipline": names.get(&a.primary).cloned().unwrap_or_else(|| a.primary.clone()),
                            "org": orgs.get(&a.organization_code).cloned().unwrap_or_else(|| a.organization_code.clone()),
                            "since": if a.since.contains('T') { crate::clock::local_time(&a.since, lang.0) } else { a.since.clone() }}))
            .collect::<Vec<_>>()),
    );
    Ok(render(Status::Ok, "admin/call_dashboard", ctx))
}

/// The dashboard as CSV (with the BOM): one line per discipline sought and state.
#[get("/calls/<id>/dashboard.csv")]
async fn dashboard_csv(
    _r: Reader,
    lang: Lang,
    store: &State<Store>,
    id: i64,
) -> AppResult<Download> {
    let (_, lines, _) = calls::dashboard(store, id).await?;
    let names = discipline_names(store, lang).await?;
    let t = catalog(lang.0);
    let word = |k: &str| t.get(k).cloned().unwrap_or_else(|| k.to_string());
    let header = [
        word("col_disciplines"),
        word("call_sought"),
        word("col_state"),
        word("call_count"),
    ];
    let mut rows: Vec<Vec<String>> = Vec::new();
    for l in &lines {
        let label = label_of(lang, l, &names);
        if l.by_state.is_empty() && !l.discipline.is_empty() {
            rows.push(vec![
                label.clone(),
                l.sought.to_string(),
                String::new(),
                "0".into(),
            ]);
        }
        for (state, n) in &l.by_state {
            rows.push(vec![
                label.clone(),
                l.sought.to_string(),
                state_word(lang, state),
                n.to_string(),
            ]);
        }
    }
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let text = crate::web::export::csv_document(&header, rows)?;
    Ok(Download::new(
        ContentType::CSV,
        text.into_bytes(),
        &format!("call-{id}.csv"),
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![
        public_list,
        public_page,
        admin_list,
        create,
        edit_page,
        update,
        dashboard,
        dashboard_csv
    ]
}
