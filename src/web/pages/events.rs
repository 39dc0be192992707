//! Event pages: list and create; an event's items, panels, eligibility and draws.

use super::event_page::{outcome, Step};
use super::event_rules::RulesForm;
use super::{context, render, Html};
use crate::dataset::sheet;
use crate::domain::event::{EventKind, EventMode};
use crate::error::{AppError, AppResult};
use crate::service::events::{self, EventInput};
use crate::store::Store;
use crate::web::guards::{Csrf, Reader, Staff};
use crate::web::i18n::Lang;
use rocket::form::Form;
use rocket::fs::TempFile;
use rocket::http::Status;
use rocket::response::{Flash, Redirect};
use rocket::State;
use serde_json::json;

/// The events list's filter, order and page.
#[derive(FromForm, Default)]
struct ListQuery {
    #[field(default = String::new())]
    q: String,
    #[field(default = String::new())]
    status: String,
    #[field(default = String::new())]
    sort: String,
    #[field(default = String::new())]
    dir: String,
    #[field(default = 1)]
    page: usize,
}

/// Events per page.
const PER_PAGE: usize = 30;

/// The list: every event of the bureau (hundreds a year at most) filtered, sorted and cut
/// into pages here, newest first unless asked otherwise.
async fn list_context(
    lang: Lang,
    user: &crate::store::users::User,
    csrf: &Csrf,
    store: &Store,
    query: &ListQuery,
) -> AppResult<serde_json::Map<String, serde_json::Value>> {
    let mut ctx = context(lang, Some(user), &csrf.0, "/events");
    let q = query.q.trim().to_lowercase();
    let mut all: Vec<events::Event> = events::list(store)
        .await?
        .into_iter()
        .filter(|e| query.status.is_empty() || e.status.as_str() == query.status)
        .filter(|e| {
            q.is_empty()
                || e.title.to_lowercase().contains(&q)
                || e.code.to_lowercase().contains(&q)
        })
        .collect();
    let sort = if query.sort.is_empty() {
        "date"
    } else {
        query.sort.as_str()
    };
    // Dates read newest first by default; names and codes A to Z.
    let desc = match query.dir.as_str() {
        "asc" => false,
        "desc" => true,
        _ => sort == "date",
    };
    all.sort_by(|a, b| {
        let order = match sort {
            "code" => a.code.cmp(&b.code),
            "title" => a.title.cmp(&b.title),
            "kind" => a.kind.as_str().cmp(b.kind.as_str()),
            "status" => a.status.as_str().cmp(b.status.as_str()),
            _ => a.dates.first().cmp(&b.dates.first()),
        };
        let order = order.then(a.id.cmp(&b.id));
        if desc {
            order.reverse()
        } else {
            order
        }
    });
    let total = all.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page = query.page.clamp(1, pages);
    let shown: Vec<_> = all
        .into_iter()
        .skip((page - 1) * PER_PAGE)
        .take(PER_PAGE)
        .collect();
    ctx.insert("events".into(), json!(shown));
    ctx.insert("total".into(), json!(total));
    ctx.insert("paging".into(), json!({"page": page, "pages": pages}));
    ctx.insert("sort".into(), json!({"by": sort, "desc": desc}));
    ctx.insert(
        "filter".into(),
        json!({"q": query.q, "status": query.status}),
    );
    let filters = [("q", query.q.as_str()), ("status", query.status.as_str())];
    ctx.insert("filter_query".into(), json!(super::query_string(&filters)));
    ctx.insert(
        "page_query".into(),
        json!(format!(
            "{}&sort={sort}&dir={}",
            super::query_string(&filters),
            if desc { "desc" } else { "asc" }
        )),
    );
    ctx.insert(
        "statuses".into(),
        json!(crate::domain::event::EventStatus::ALL
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()),
    );
    ctx.insert(
        "kinds".into(),
        json!(EventKind::ALL
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()),
    );
    ctx.insert(
        "modes".into(),
        json!(EventMode::ALL
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()),
    );
    ctx.insert("error".into(), serde_json::Value::Null);
    Ok(ctx)
}

#[get("/events?<query..>")]
async fn list(
    r: Reader,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    query: ListQuery,
) -> AppResult<Html> {
    let ctx = list_context(lang, &r.0 .0, &csrf, store, &query).await?;
    Ok(render(Status::Ok, "staff/events", ctx))
}

#[derive(FromForm)]
struct EventForm {
    #[field(default = String::new())]
    code: String,
    title: String,
    kind: String,
    #[field(default = String::new())]
    mode: String,
    #[field(default = String::new())]
    dates: String,
    #[field(default = String::new())]
    slots: String,
    #[field(default = String::new())]
    venue: String,
    #[field(default = String::new())]
    answer_by: String,
    #[field(default = String::new())]
    review_from: String,
    #[field(default = String::new())]
    review_to: String,
    answer_hours: Option<u32>,
    #[field(default = false)]
    auto_replace: bool,
    csrf: String,
}

#[post("/events", data = "<form>")]
async fn create(
    s: Staff,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    form: Form<EventForm>,
) -> AppResult<Result<Redirect, Html>> {
    csrf.verify(&form.csrf)?;
    let f = form.into_inner();
    let input = EventInput {
        code: f.code,
        title: f.title,
        kind: f.kind,
        pool: String::new(),
        mode: f.mode,
        dates: f.dates,
        slots: f.slots,
        rules: None,
        venue: f.venue,
        answer_by: f.answer_by,
        review_window: match (f.review_from.trim(), f.review_to.trim()) {
            ("", "") => String::new(),
            (from, "") => from.to_string(),
            ("", to) => to.to_string(),
            (from, to) => format!("{from}..{to}"),
        },
        answer_hours: f.answer_hours,
        auto_replace: Some(f.auto_replace),
    };
    match events::create(store, &s.0.actor(), input).await {
        Ok(e) => Ok(Ok(Redirect::to(format!("/events/{}", e.id)))),
        Err(
            e @ (AppError::Validation(_) | AppError::Conflict { .. } | AppError::WrongState(_)),
        ) => {
            let mut ctx = list_context(lang, &s.0 .0, &csrf, store, &ListQuery::default()).await?;
            ctx.insert("error".into(), json!(super::error_text(lang, &e)));
            Ok(Err(render(e.status(), "staff/events", ctx)))
        }
        Err(e) => Err(e),
    }
}

/// The result of an action on `step`: back to the step with `notice`, or the error in place.
type Outcome = AppResult<Result<Flash<Redirect>, Html>>;

#[derive(FromForm)]
struct ItemsForm<'r> {
    #[field(default = String::new())]
    csv: String,
    file: Option<TempFile<'r>>,
    csrf: String,
}

/// Items from a CSV or Excel file, or from text pasted as CSV or as Excel cells.
#[post("/events/<id>/items", data = "<form>")]
async fn items(
    s: Staff,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<ItemsForm<'_>>,
) -> Outcome {
    csrf.verify(&form.csrf)?;
    let upload = match &form.file {
        Some(file) if file.len() > 0 => {
            let name = file
                .raw_name()
                .map(|n| n.dangerous_unsafe_unsanitized_raw().as_str().to_string())
                .unwrap_or_default();
            let mut bytes = Vec::new();
            let mut reader = file.open().await.map_err(|e| {
                AppError::BadRequest(format!("the uploaded file cannot be read: {e}"))
            })?;
            tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut bytes)
                .await
                .map_err(|e| {
                    AppError::BadRequest(format!("the uploaded file cannot be read: {e}"))
                })?;
            Some(sheet::upload_to_csv(&name, &bytes))
        }
        _ => None,
    };
    let text = match upload {
        Some(Ok(text)) => text,
        Some(Err(e)) => {
            let result = Err(e.into());
            return outcome(
                Reader(s.0),
                lang,
                &csrf,
                store,
                (id, Step::Items, ""),
                result,
                Some(("csv", &form.csv)),
            )
            .await;
        }
        None => sheet::pasted_to_csv(&form.csv),
    };
    let result = events::add_items_csv(store, &s.0.actor(), id, &text)
        .await
        .map(|_| ());
    outcome(
        Reader(s.0),
        lang,
        &csrf,
        store,
        (id, Step::Items, "done_items"),
        result,
        Some(("csv", &form.csv)),
    )
    .await
}

#[derive(FromForm)]
struct RemoveItemForm {
    item: String,
    csrf: String,
}

#[post("/events/<id>/items/remove", data = "<form>")]
async fn remove_item(
    s: Staff,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<RemoveItemForm>,
) -> Outcome {
    csrf.verify(&form.csrf)?;
    let result = events::remove_item(store, &s.0.actor(), id, form.item.trim()).await;
    outcome(
        Reader(s.0),
        lang,
        &csrf,
        store,
        (id, Step::Items, "done_item_removed"),
        result,
        None,
    )
    .await
}

#[derive(FromForm)]
struct GroupForm {
    items_per_panel: usize,
    csrf: String,
}

#[post("/events/<id>/panels", data = "<form>")]
async fn group(
    s: Staff,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<GroupForm>,
) -> Outcome {
    csrf.verify(&form.csrf)?;
    let result = events::group_panels(store, &s.0.actor(), id, form.items_per_panel)
        .await
        .map(|_| ());
    outcome(
        Reader(s.0),
        lang,
        &csrf,
        store,
        (id, Step::Panels, "done_panels"),
        result,
        None,
    )
    .await
}

#[post("/events/<id>/rules", data = "<form>")]
async fn rules(
    s: Staff,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<RulesForm>,
) -> Outcome {
    csrf.verify(&form.csrf)?;
    let result = match form.to_rules() {
        Ok(rules) => events::set_rules(store, &s.0.actor(), id, rules)
            .await
            .map(|_| ()),
        Err(e) => Err(e.into()),
    };
    outcome(
        Reader(s.0),
        lang,
        &csrf,
        store,
        (id, Step::Draw, "done_rules"),
        result,
        None,
    )
    .await
}

#[derive(FromForm)]
struct ManualPanelsForm {
    panels: String,
    csrf: String,
}

#[post("/events/<id>/panels/manual", data = "<form>")]
async fn manual_panels(
    s: Staff,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<ManualPanelsForm>,
) -> Outcome {
    csrf.verify(&form.csrf)?;
    let result = match events::parse_panel_lines(&form.panels) {
        Ok(panels) => events::set_panels(store, &s.0.actor(), id, panels)
            .await
            .map(|_| ()),
        Err(e) => Err(e.into()),
    };
    outcome(
        Reader(s.0),
        lang,
        &csrf,
        store,
        (id, Step::Panels, "done_panels"),
        result,
        Some(("panels", &form.panels)),
    )
    .await
}

#[derive(FromForm)]
struct DrawForm {
    #[field(default = String::new())]
    seed: String,
    csrf: String,
}

#[post("/events/<id>/draws", data = "<form>")]
async fn draw(
    s: Staff,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<DrawForm>,
) -> Outcome {
    csrf.verify(&form.csrf)?;
    let seed = match form.seed.trim() {
        "" => Ok(None),
        t => t.parse::<u64>().map(Some).map_err(|_| {
            AppError::Validation(crate::domain::ValidationError::new(
                "seed",
                format!("'{t}' is not a whole number"),
            ))
        }),
    };
    let result = match seed {
        Ok(seed) => events::draw(store, &s.0.actor(), id, seed)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    // The page lists the failed attempt with its diagnosis in words: point there.
    let result = result.map_err(|e| match e {
        AppError::Conflict { field: Some(f), .. } if f == "rules" => AppError::Conflict {
            message: "no panel assignment meets the rules: the attempt and why are listed under every draw below; change the rules or the exclusions and draw again".into(),
            field: Some(f),
        },
        other => other,
    });
    outcome(
        Reader(s.0),
        lang,
        &csrf,
        store,
        (id, Step::Draw, "done_draw"),
        result,
        None,
    )
    .await
}

#[post("/draws/<id>/replay", data = "<form>")]
async fn replay(
    r: Reader,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<super::CsrfOnly>,
) -> AppResult<Html> {
    csrf.verify(&form.csrf)?;
    let outcome = events::replay(store, id).await?;
    let row = crate::store::events::draw(store, id).await?;
    let mut ctx = context(
        lang,
        Some(&r.0 .0),
        &csrf.0,
        &format!("/events/{}", row.event_id),
    );
    ctx.insert("replay".into(), json!(outcome));
    ctx.insert("event_id".into(), json!(row.event_id));
    ctx.insert(
        "event_code".into(),
        json!(events::get(store, row.event_id).await?.code),
    );
    Ok(render(Status::Ok, "supervisor/replay", ctx))
}

/// Replays a failed attempt: the stored input should still have no assignment.
#[post("/attempts/<id>/replay", data = "<form>")]
async fn replay_attempt(
    r: Reader,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<super::CsrfOnly>,
) -> AppResult<Html> {
    csrf.verify(&form.csrf)?;
    let outcome = crate::service::attempts::replay(store, id).await?;
    let event = events::get(store, outcome.event_id).await?;
    let mut ctx = context(
        lang,
        Some(&r.0 .0),
        &csrf.0,
        &format!("/events/{}", event.id),
    );
    ctx.insert("attempt".into(), json!(outcome));
    ctx.insert("event_id".into(), json!(event.id));
    ctx.insert("event_code".into(), json!(event.code));
    Ok(render(Status::Ok, "supervisor/replay", ctx))
}

/// An empty item sheet with the Chinese column names: what a clerk fills in Excel and uploads.
#[get("/events/items-template.csv")]
async fn items_template(_s: Staff) -> AppResult<super::Download> {
    let text =
        crate::web::export::csv_document(&sheet::item_template_header(), Vec::<Vec<&str>>::new())?;
    Ok(super::Download::new(
        rocket::http::ContentType::CSV,
        text.into_bytes(),
        "items-template.csv",
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![
        list,
        items_template,
        create,
        rules,
        items,
        remove_item,
        group,
        manual_panels,
        draw,
        replay,
        replay_attempt
    ]
}
