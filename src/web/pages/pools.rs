//! Pool pages: roster with filters, order, pages and counts; bulk approval; ending terms
//! (previewed first); nomination; entry rules; CSV export.

use super::{context, render, Download, Html};
use crate::domain::membership::Pool;
use crate::error::{AppError, AppResult};
use crate::service::memberships::{self, DecisionInput};
use crate::store::memberships::{roster, RosterFilter};
use crate::store::Store;
use crate::web::api::pools::{pool, RosterQuery};
use crate::web::guards::{Admin, Csrf, CurrentUser, Reader, Staff};
use crate::web::i18n::catalog;
use crate::web::i18n::Lang;
use rocket::form::Form;
use rocket::http::{ContentType, Status};
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::State;
use serde_json::json;

#[get("/pools/<name>?<query..>")]
async fn roster_page(
    r: Reader,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    flash: Option<FlashMessage<'_>>,
    name: &str,
    query: RosterQuery,
) -> AppResult<Html> {
    let notice = flash.and_then(|f| catalog(lang.0).get(f.message()).cloned());
    pool_page(
        &r.0,
        lang,
        &csrf,
        store,
        pool(name)?,
        &query.filter_paged(50),
        Outcome::Notice(notice),
    )
    .await
}

/// What the pool page reports besides the roster.
enum Outcome<'a> {
    Notice(Option<String>),
    Error(&'a AppError),
}

/// The pool page: roster with filter, counts, entry rules; with an error when an action failed.
async fn pool_page(
    user: &CurrentUser,
    lang: Lang,
    csrf: &Csrf,
    store: &Store,
    pool: Pool,
    f: &RosterFilter,
    outcome: Outcome<'_>,
) -> AppResult<Html> {
    let (notice, error) = match outcome {
        Outcome::Notice(n) => (n, None),
        Outcome::Error(e) => (None, Some(e)),
    };
    let page = roster(store, pool, f).await?;
    let mut ctx = context(lang, Some(&user.0), &csrf.0, &format!("/pools/{pool}"));
    ctx.insert("notice".into(), json!(notice));
    ctx.insert("pool".into(), json!(pool));
    ctx.insert("total".into(), json!(page.total));
    let orgs = super::roster_files::org_names(store, lang).await?;
    let today = crate::clock::today().to_string();
    ctx.insert(
        "items".into(),
        json!(page
            .lines
            .iter()
            .map(|m| {
                let mut v = json!(m);
                v["org_name"] = json!(orgs
                    .get(&m.organization_code)
                    .cloned()
                    .unwrap_or_else(|| m.organization_code.clone()));
                // A term that has ended while the member still counts as serving.
                v["term_over"] = json!(
                    matches!(m.state.as_str(), "active" | "suspended")
                        && m.term_end.as_deref().is_some_and(|t| t < today.as_str())
                );
                v
            })
            .collect::<Vec<_>>()),
    );
    ctx.insert("counts".into(), json!(page.counts));
    let filters = [
        ("state", f.state.as_str()),
        ("term_before", f.term_before.as_str()),
        ("discipline", f.discipline.as_str()),
        ("region", f.region.as_str()),
        ("title", f.title.as_str()),
        ("q", f.q.as_str()),
    ];
    // Links keep the filter; sorting keeps it and starts at page 1.
    ctx.insert("filter_query".into(), json!(super::query_string(&filters)));
    let dir = if f.desc { "desc" } else { "asc" };
    ctx.insert(
        "page_query".into(),
        json!(format!(
            "{}&sort={}&dir={dir}",
            super::query_string(&filters),
            f.sort
        )),
    );
    ctx.insert(
        "sort".into(),
        json!({"by": if f.sort.is_empty() { "code" } else { f.sort.as_str() }, "desc": f.desc}),
    );
    let pages = (page.total + f.per_page - 1) / f.per_page.max(1);
    ctx.insert(
        "paging".into(),
        json!({"page": f.page, "pages": pages, "per_page": f.per_page}),
    );
    ctx.insert("titles".into(), json!(super::title_choices(lang)));
    ctx.insert("filter".into(), json!({"state": f.state, "term_before": f.term_before, "discipline": f.discipline, "region": f.region, "title": f.title, "q": f.q}));
    ctx.insert(
        "rules".into(),
        json!(memberships::rules(store, pool).await?),
    );
    let flags = crate::store::tracking::flag_rules(store, pool).await?;
    ctx.insert(
        "flags".into(),
        json!({"rules": flags, "decline_rate_percent": (flags.decline_rate_above * 100.0).round()}),
    );
    ctx.insert(
        "error".into(),
        json!(error.map(|e| super::error_text(lang, e))),
    );
    Ok(render(
        error.map(AppError::status).unwrap_or(Status::Ok),
        "admin/pool",
        ctx,
    ))
}

#[get("/pools/<name>/roster.csv?<query..>")]
async fn roster_download(
    _r: Reader,
    lang: Lang,
    store: &State<Store>,
    name: &str,
    query: RosterQuery,
) -> AppResult<Download> {
    let pool = pool(name)?;
    let items = roster(store, pool, &query.filter()).await?.lines;
    let orgs = super::roster_files::org_names(store, lang).await?;
    let table = super::roster_files::pool_roster(&items, lang, &orgs);
    Ok(Download::new(
        ContentType::CSV,
        table.csv()?.into_bytes(),
        &format!("{pool}-roster.csv"),
    ))
}

#[derive(FromForm)]
struct BulkForm {
    #[field(default = Vec::new())]
    ids: Vec<i64>,
    #[field(default = String::new())]
    reason: String,
    csrf: String,
}

async fn pool_error(
    a: &Admin,
    lang: Lang,
    csrf: &Csrf,
    store: &Store,
    pool: Pool,
    e: AppError,
) -> AppResult<Html> {
    pool_page(
        &a.0,
        lang,
        csrf,
        store,
        pool,
        &RosterFilter {
            page: 1,
            per_page: 50,
            ..RosterFilter::default()
        },
        Outcome::Error(&e),
    )
    .await
}

#[post("/pools/<name>/approve", data = "<form>")]
async fn bulk_approve(
    a: Admin,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    name: &str,
    form: Form<BulkForm>,
) -> AppResult<Result<Flash<Redirect>, Html>> {
    csrf.verify(&form.csrf)?;
    let pool = pool(name)?;
    let input = DecisionInput {
        action: "approve".into(),
        reason: form.reason.clone(),
        ..Default::default()
    };
    match memberships::bulk(store, &a.0.actor(), a.0 .0.expert_id, &form.ids, &input).await {
        Ok(_) => Ok(Ok(Flash::success(
            Redirect::to(format!("/pools/{pool}?state=active")),
            "done_approved",
        ))),
        Err(
            e @ (AppError::Validation(_)
            | AppError::Conflict { .. }
            | AppError::WrongState(_)
            | AppError::Forbidden(_)),
        ) => Ok(Err(pool_error(&a, lang, &csrf, store, pool, e).await?)),
        Err(e) => Err(e),
    }
}

#[derive(FromForm)]
struct ExpiryForm {
    before: String,
    csrf: String,
}

#[post("/pools/<name>/expire-terms", data = "<form>")]
async fn expire(
    a: Admin,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    name: &str,
    form: Form<ExpiryForm>,
) -> AppResult<Result<Flash<Redirect>, Html>> {
    csrf.verify(&form.csrf)?;
    let pool = pool(name)?;
    let result = match crate::domain::expert::parse_date("before", &form.before) {
        Ok(before) => memberships::expire_terms(store, &a.0.actor(), pool, before).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => Ok(Ok(Flash::success(
            Redirect::to(format!("/pools/{pool}?state=exited")),
            "done_expired",
        ))),
        Err(
            e @ (AppError::Validation(_) | AppError::Conflict { .. } | AppError::WrongState(_)),
        ) => Ok(Err(pool_error(&a, lang, &csrf, store, pool, e).await?)),
        Err(e) => Err(e),
    }
}

/// Which terms would end: the list and its count before anything is changed.
#[get("/pools/<name>/expire-terms?<before>")]
async fn expire_preview(
    a: Admin,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    name: &str,
    before: &str,
) -> AppResult<Html> {
    let pool = pool(name)?;
    let date = crate::domain::expert::parse_date("before", before)?;
    let filter = RosterFilter {
        term_before: date.to_string(),
        ..RosterFilter::default()
    };
    let orgs = super::roster_files::org_names(store, lang).await?;
    let lines: Vec<serde_json::Value> = roster(store, pool, &filter)
        .await?
        .lines
        .into_iter()
        .filter(|m| matches!(m.state.as_str(), "active" | "suspended"))
        .map(|m| {
            let mut v = json!(m);
            v["org_name"] = json!(orgs
                .get(&m.organization_code)
                .cloned()
                .unwrap_or(m.organization_code));
            v
        })
        .collect();
    let mut ctx = context(lang, Some(&a.0 .0), &csrf.0, &format!("/pools/{pool}"));
    ctx.insert("pool".into(), json!(pool));
    ctx.insert("before".into(), json!(date.to_string()));
    ctx.insert("count".into(), json!(lines.len().to_string()));
    ctx.insert("lines".into(), json!(lines));
    Ok(render(Status::Ok, "admin/expire", ctx))
}

#[derive(FromForm)]
struct NominateForm {
    expert_code: String,
    #[field(default = String::new())]
    note: String,
    #[field(default = false)]
    pledge_on_paper: bool,
    csrf: String,
}

#[post("/pools/<name>/nominate", data = "<form>")]
async fn nominate(
    s: Staff,
    store: &State<Store>,
    name: &str,
    form: Form<NominateForm>,
    csrf: Csrf,
) -> AppResult<Redirect> {
    csrf.verify(&form.csrf)?;
    let pool = pool(name)?;
    let mut conn = store.pool.acquire().await?;
    let expert = crate::store::experts::get_by_code(&mut conn, form.expert_code.trim())
        .await
        .map_err(|_| {
            crate::domain::ValidationError::new(
                "expert_code",
                format!("no expert with code '{}'", form.expert_code.trim()),
            )
        })?;
    drop(conn);
    let view = memberships::apply(
        store,
        &s.0.actor(),
        expert.id,
        memberships::Application {
            pool,
            note: &form.note,
            nominated: true,
            pledge: form.pledge_on_paper,
            call: None,
        },
    )
    .await?;
    Ok(Redirect::to(format!("/memberships/{}", view.membership.id)))
}

#[derive(FromForm)]
struct RulesForm {
    #[field(default = Vec::new())]
    titles: Vec<String>,
    max_entry_age: i32,
    term_years: i32,
    misconduct_bar_years: i32,
    min_years_in_field: i32,
    max_entry_age_distinguished: i32,
    #[field(default = false)]
    require_pledge: bool,
    suspend_after_declines: u32,
    suspension_months: u32,
    newcomer_share_percent: u32,
    csrf: String,
}

#[post("/pools/<name>/rules", data = "<form>")]
async fn save_rules(
    a: Admin,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    name: &str,
    form: Form<RulesForm>,
) -> AppResult<Result<Flash<Redirect>, Html>> {
    csrf.verify(&form.csrf)?;
    let pool = pool(name)?;
    let titles = form
        .titles
        .iter()
        .map(|t| crate::domain::expert::Title::parse(t))
        .collect::<Result<Vec<_>, _>>()?;
    let rules = crate::domain::membership::EntryRules {
        titles,
        max_entry_age: form.max_entry_age,
        term_years: form.term_years,
        misconduct_bar_years: form.misconduct_bar_years,
        min_years_in_field: form.min_years_in_field,
        max_entry_age_distinguished: form.max_entry_age_distinguished,
        require_pledge: form.require_pledge,
        suspend_after_declines: form.suspend_after_declines,
        suspension_months: form.suspension_months,
        newcomer_share_percent: form.newcomer_share_percent,
    };
    match memberships::set_rules(store, &a.0.actor(), pool, rules).await {
        Ok(_) => Ok(Ok(Flash::success(
            Redirect::to(format!("/pools/{pool}")),
            "done_rules_saved",
        ))),
        Err(e @ AppError::Validation(_)) => {
            Ok(Err(pool_error(&a, lang, &csrf, store, pool, e).await?))
        }
        Err(e) => Err(e),
    }
}

pub fn routes() -> Vec<rocket::Route> {
    routes![
        expire_preview,
        save_rules,
        roster_page,
        roster_download,
        bulk_approve,
        expire,
        nominate
    ]
}
