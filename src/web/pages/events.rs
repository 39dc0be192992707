//! Event pages: list and create; an event's items, panels, eligibility and draws.

use super::{context, render, Html};
use crate::domain::event::{EventKind, EventMode};
use crate::error::{AppError, AppResult};
use crate::service::events::{self, EventInput};
use crate::store::Store;
use crate::web::guards::{Csrf, Reader, Staff};
use crate::web::i18n::Lang;
use rocket::form::Form;
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::State;
use serde_json::json;

#[get("/events")]
async fn list(r: Reader, lang: Lang, csrf: Csrf, store: &State<Store>) -> AppResult<Html> {
    let mut ctx = context(lang, Some(&r.0 .0), &csrf.0, "/events");
    ctx.insert("events".into(), json!(events::list(store).await?));
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
            let mut ctx = context(lang, Some(&s.0 .0), &csrf.0, "/events");
            ctx.insert("events".into(), json!(events::list(store).await?));
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
            ctx.insert("error".into(), json!(e.for_page()));
            Ok(Err(render(e.status(), "staff/events", ctx)))
        }
        Err(e) => Err(e),
    }
}

async fn event_page(
    r: &Reader,
    lang: Lang,
    csrf: &Csrf,
    store: &Store,
    id: i64,
    error: Option<&AppError>,
) -> AppResult<Html> {
    let event = events::get(store, id).await?;
    let (items, panels) = events::contents(store, id).await?;
    let mut ctx = context(lang, Some(&r.0 .0), &csrf.0, &format!("/events/{id}"));
    let overview = if panels.is_empty() {
        vec![]
    } else {
        events::overview(store, id).await?
    };
    let draws = crate::store::events::draws(store, id).await?;
    // The rules each seated member satisfies, read from the draw's own input.
    let member_rules: std::collections::BTreeMap<String, Vec<String>> = match draws.first() {
        Some(row) => match serde_json::from_str::<crate::assign::Problem>(&row.input_json) {
            Ok(problem) => {
                let seated: serde_json::Value =
                    serde_json::from_str(&row.result_json).unwrap_or_default();
                let keys: std::collections::BTreeSet<&str> = seated["panels"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|p| {
                        p["members"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|m| m["expert"].as_str())
                    })
                    .collect();
                let requirements = problem.rules.requirements();
                problem
                    .candidates
                    .iter()
                    .filter(|c| keys.contains(c.key.as_str()))
                    .map(|c| {
                        (
                            c.key.clone(),
                            requirements
                                .iter()
                                .filter(|(_, f, _)| c.matches(f))
                                .map(|(_, f, _)| f.describe())
                                .collect(),
                        )
                    })
                    .collect()
            }
            Err(_) => Default::default(),
        },
        None => Default::default(),
    };
    ctx.insert("member_rules".into(), json!(member_rules));
    // Only a draw that may still be confirmed is checked against the event as it is now.
    let freshness = match (draws.first(), event.status) {
        (Some(row), crate::domain::event::EventStatus::Drawn) => {
            Some(crate::service::draws::freshness(store, &event, row).await?)
        }
        _ => None,
    };
    ctx.insert(
        "freshness_since".into(),
        json!(freshness
            .as_ref()
            .and_then(|f| f.since.as_deref())
            .map(crate::clock::local_time)),
    );
    ctx.insert("freshness".into(), json!(freshness));
    ctx.insert(
        "draw_at".into(),
        json!(draws
            .first()
            .map(|d| crate::clock::local_time(&d.at))
            .unwrap_or_default()),
    );
    let seat_count: usize = draws
        .first()
        .and_then(|d| serde_json::from_str::<serde_json::Value>(&d.result_json).ok())
        .map(|r| {
            r["panels"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| p["members"].as_array().map_or(0, Vec::len))
                .sum()
        })
        .unwrap_or(0);
    ctx.insert("seat_count".into(), json!(seat_count.to_string()));
    ctx.insert(
        "started".into(),
        json!(crate::clock::today() >= event.dates[0]),
    );
    let mut chain = crate::service::draws::chain(store, &event).await?;
    for link in &mut chain.links {
        link.at = crate::clock::local_time(&link.at);
    }
    ctx.insert("chain".into(), json!(chain));
    let latest = draws.first().cloned().map(events::StoredDraw::from);
    let manual: Vec<String> = panels
        .iter()
        .map(|p| {
            format!(
                "{}{}: {}",
                p.code,
                p.slot.as_ref().map(|s| format!(" {s}")).unwrap_or_default(),
                p.items.join(", ")
            )
        })
        .collect();
    ctx.insert("manual_panels".into(), json!(manual.join("\n")));
    ctx.insert(
        "rules_json".into(),
        json!(serde_json::to_string_pretty(&event.rules).unwrap_or_default()),
    );
    ctx.insert("event".into(), json!(event));
    ctx.insert(
        "items".into(),
        json!(items.iter().map(item_view).collect::<Vec<_>>()),
    );
    ctx.insert("panels".into(), json!(panels));
    ctx.insert("overview".into(), json!(overview));
    ctx.insert("draw".into(), json!(latest));
    let invitations = crate::service::invitations::roster(store, id).await?;
    ctx.insert(
        "invitation_count".into(),
        json!(invitations.len().to_string()),
    );
    let mut messages: std::collections::BTreeMap<String, Vec<crate::store::outbox::Message>> =
        Default::default();
    for m in crate::store::outbox::for_event(store, id).await? {
        if let Some(inv) = m.invitation_id {
            messages.entry(inv.to_string()).or_default().push(m);
        }
    }
    ctx.insert("messages".into(), json!(messages));
    ctx.insert(
        "invitations".into(),
        json!(invitations
            .iter()
            .map(|i| {
                let mut v = json!(i);
                v["deadline_local"] = json!(i
                    .answer_deadline
                    .as_deref()
                    .and_then(crate::clock::parse_stamp)
                    .map(crate::service::notify::local));
                v
            })
            .collect::<Vec<_>>()),
    );
    ctx.insert("draw_count".into(), json!(draws.len()));
    ctx.insert("error".into(), json!(error.map(AppError::for_page)));
    Ok(render(
        error.map(|e| e.status()).unwrap_or(Status::Ok),
        "staff/event",
        ctx,
    ))
}

#[get("/events/<id>")]
async fn show(r: Reader, lang: Lang, csrf: Csrf, store: &State<Store>, id: i64) -> AppResult<Html> {
    event_page(&r, lang, &csrf, store, id, None).await
}

/// Runs a staff action and shows the event again, with the error in place when it failed.
async fn after(
    r: Reader,
    lang: Lang,
    csrf: &Csrf,
    store: &Store,
    id: i64,
    result: AppResult<()>,
) -> AppResult<Result<Redirect, Html>> {
    match result {
        Ok(()) => Ok(Ok(Redirect::to(format!("/events/{id}")))),
        Err(
            e @ (AppError::Validation(_) | AppError::Conflict { .. } | AppError::WrongState(_)),
        ) => Ok(Err(event_page(&r, lang, csrf, store, id, Some(&e)).await?)),
        Err(e) => Err(e),
    }
}

#[derive(FromForm)]
struct ItemsForm {
    csv: String,
    csrf: String,
}

#[post("/events/<id>/items", data = "<form>")]
async fn items(
    s: Staff,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<ItemsForm>,
) -> AppResult<Result<Redirect, Html>> {
    csrf.verify(&form.csrf)?;
    let result = events::add_items_csv(store, &s.0.actor(), id, &form.csv)
        .await
        .map(|_| ());
    after(Reader(s.0), lang, &csrf, store, id, result).await
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
) -> AppResult<Result<Redirect, Html>> {
    csrf.verify(&form.csrf)?;
    let result = events::group_panels(store, &s.0.actor(), id, form.items_per_panel)
        .await
        .map(|_| ());
    after(Reader(s.0), lang, &csrf, store, id, result).await
}

#[derive(FromForm)]
struct RulesForm {
    rules: String,
    csrf: String,
}

#[post("/events/<id>/rules", data = "<form>")]
async fn rules(
    s: Staff,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<RulesForm>,
) -> AppResult<Result<Redirect, Html>> {
    csrf.verify(&form.csrf)?;
    let result = match serde_json::from_str::<crate::assign::Rules>(&form.rules) {
        Ok(rules) => events::set_rules(store, &s.0.actor(), id, rules)
            .await
            .map(|_| ()),
        Err(e) => Err(AppError::Validation(crate::domain::ValidationError::new(
            "rules",
            format!("not valid rules JSON: {e}"),
        ))),
    };
    after(Reader(s.0), lang, &csrf, store, id, result).await
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
) -> AppResult<Result<Redirect, Html>> {
    csrf.verify(&form.csrf)?;
    let result = match events::parse_panel_lines(&form.panels) {
        Ok(panels) => events::set_panels(store, &s.0.actor(), id, panels)
            .await
            .map(|_| ()),
        Err(e) => Err(e.into()),
    };
    after(Reader(s.0), lang, &csrf, store, id, result).await
}

#[derive(FromForm)]
struct PinForm {
    panel: String,
    expert: String,
    kind: String,
    reason: String,
    csrf: String,
}

#[post("/events/<id>/pins", data = "<form>")]
async fn pin(
    s: Staff,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<PinForm>,
) -> AppResult<Result<Redirect, Html>> {
    csrf.verify(&form.csrf)?;
    let result = events::pin(
        store,
        &s.0.actor(),
        id,
        form.panel.trim(),
        form.expert.trim(),
        &form.kind,
        &form.reason,
    )
    .await;
    after(Reader(s.0), lang, &csrf, store, id, result).await
}

#[derive(FromForm)]
struct ExclusionForm {
    item: String,
    expert: String,
    kind: String,
    reason: String,
    csrf: String,
}

#[post("/events/<id>/exclusions", data = "<form>")]
async fn exclude(
    s: Staff,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<ExclusionForm>,
) -> AppResult<Result<Redirect, Html>> {
    csrf.verify(&form.csrf)?;
    let result = events::add_exclusion(
        store,
        &s.0.actor(),
        id,
        form.item.trim(),
        form.expert.trim(),
        &form.kind,
        &form.reason,
    )
    .await;
    after(Reader(s.0), lang, &csrf, store, id, result).await
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
) -> AppResult<Result<Redirect, Html>> {
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
    after(Reader(s.0), lang, &csrf, store, id, result).await
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

/// An item with its avoidances (and their reasons), prior roles and earlier items as lists.
fn item_view(i: &crate::store::events::ItemRow) -> serde_json::Value {
    let notes = |text: &str| -> std::collections::BTreeMap<String, String> {
        serde_json::from_str(text).unwrap_or_default()
    };
    let reasons = notes(&i.avoid_reasons);
    let avoid: Vec<serde_json::Value> = i
        .requested_avoid
        .split(';')
        .filter(|c| !c.is_empty())
        .map(|c| json!({"expert": c, "reason": reasons.get(c)}))
        .collect();
    let prior: Vec<serde_json::Value> = notes(&i.prior_roles)
        .into_iter()
        .map(|(expert, role)| json!({"expert": expert, "role": role}))
        .collect();
    let mut v = json!(i);
    v["avoid"] = json!(avoid);
    v["prior"] = json!(prior);
    v["earlier"] = json!(i
        .earlier_items
        .split(';')
        .filter(|c| !c.is_empty())
        .collect::<Vec<_>>());
    v
}

pub fn routes() -> Vec<rocket::Route> {
    routes![
        list,
        create,
        show,
        rules,
        items,
        group,
        manual_panels,
        pin,
        exclude,
        draw,
        replay
    ]
}
