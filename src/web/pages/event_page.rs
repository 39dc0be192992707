//! An event's page as steps: 项目 → 分组 → 可选专家 → 抽取 → 邀请与答复 → 名单 → 评审后.
//! Each step loads only what it shows (the eligibility overview scores every candidate, so
//! it runs on its own step), says what is done and what comes next, and every action comes
//! back to its step with a success message or the error in place.

use super::{context, render, Html};
use crate::domain::event::{EventAction, EventStatus};
use crate::error::{AppError, AppResult};
use crate::service::events;
use crate::store::people;
use crate::store::Store;
use crate::web::guards::{Csrf, Reader};
use crate::web::i18n::{catalog, Lang};
use rocket::http::Status;
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::State;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The steps, in the order staff work through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Items,
    Panels,
    Eligible,
    Draw,
    Invite,
    Roster,
    After,
}

impl Step {
    const ALL: [Step; 7] = [
        Step::Items,
        Step::Panels,
        Step::Eligible,
        Step::Draw,
        Step::Invite,
        Step::Roster,
        Step::After,
    ];

    /// The name in URLs and catalog keys (`step_items`, `step_hint_items`).
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Items => "items",
            Step::Panels => "panels",
            Step::Eligible => "eligible",
            Step::Draw => "draw",
            Step::Invite => "invite",
            Step::Roster => "roster",
            Step::After => "after",
        }
    }

    fn parse(raw: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// How far an event is: which steps are done.
struct Progress {
    items: usize,
    panels: usize,
    draws: usize,
    status: EventStatus,
}

impl Progress {
    fn done(&self, step: Step) -> bool {
        use EventStatus as S;
        let sent = matches!(self.status, S::Inviting | S::Confirmed | S::Closed);
        match step {
            Step::Items => self.items > 0,
            Step::Panels => self.panels > 0,
            Step::Eligible => self.draws > 0,
            Step::Draw => sent,
            Step::Invite | Step::Roster => matches!(self.status, S::Confirmed | S::Closed),
            Step::After => self.status == S::Closed,
        }
    }

    /// The first step not done (the last when all are).
    fn next(&self) -> Step {
        Step::ALL
            .into_iter()
            .find(|s| !self.done(*s))
            .unwrap_or(Step::After)
    }
}

/// Where an action on `step` goes back to: the step, with a success message (a catalog key)
/// or, for a mistake the user can fix, the step again with the error and their input kept.
pub(super) async fn outcome(
    r: Reader,
    lang: Lang,
    csrf: &Csrf,
    store: &Store,
    (id, step, notice): (i64, Step, &str),
    result: AppResult<()>,
    kept: Option<(&str, &str)>,
) -> AppResult<Result<Flash<Redirect>, Html>> {
    match result {
        Ok(()) => Ok(Ok(Flash::success(
            Redirect::to(format!("/events/{id}?step={}", step.as_str())),
            notice,
        ))),
        Err(
            e @ (AppError::Validation(_) | AppError::Conflict { .. } | AppError::WrongState(_)),
        ) => {
            let view = View {
                step: Some(step),
                error: Some(&e),
                kept,
                ..View::default()
            };
            Ok(Err(page(&r, lang, csrf, store, id, view).await?))
        }
        Err(e) => Err(e),
    }
}

/// What to show besides the event.
#[derive(Default)]
struct View<'a> {
    step: Option<Step>,
    error: Option<&'a AppError>,
    notice: Option<String>,
    /// A form's text to put back after an error: (field, text).
    kept: Option<(&'a str, &'a str)>,
    /// The draw to show (default the latest) and one to compare it with.
    draw: Option<i64>,
    compare: Option<i64>,
    /// How the invitations are sorted: `panel` (default), `name`, `org`, `status`.
    sort: Option<String>,
    /// The page of the invitations.
    page: Option<usize>,
}

/// What the event page shows besides the event: the step, the draw and the one compared
/// with it, the order of the invitations.
#[derive(FromForm, Default)]
struct PageQuery {
    step: Option<String>,
    draw: Option<i64>,
    compare: Option<i64>,
    sort: Option<String>,
    page: Option<usize>,
}

#[get("/events/<id>?<query..>")]
async fn show(
    r: Reader,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    flash: Option<FlashMessage<'_>>,
    id: i64,
    query: PageQuery,
) -> AppResult<Html> {
    let view = View {
        step: query.step.as_deref().and_then(Step::parse),
        notice: flash.map(|f| f.message().to_string()),
        draw: query.draw,
        compare: query.compare,
        sort: query.sort,
        page: query.page,
        ..View::default()
    };
    page(&r, lang, &csrf, store, id, view).await
}

async fn page(
    r: &Reader,
    lang: Lang,
    csrf: &Csrf,
    store: &Store,
    id: i64,
    view: View<'_>,
) -> AppResult<Html> {
    let event = events::get(store, id).await?;
    let (items, panels) = events::contents(store, id).await?;
    let draws = crate::store::events::draws(store, id).await?;
    let progress = Progress {
        items: items.len(),
        panels: panels.len(),
        draws: draws.len(),
        status: event.status,
    };
    let step = view.step.unwrap_or_else(|| progress.next());
    let mut ctx = context(lang, Some(&r.0 .0), &csrf.0, &format!("/events/{id}"));
    let next = progress.next();
    ctx.insert(
        "steps".into(),
        json!(Step::ALL
            .iter()
            .map(|s| json!({"key": s.as_str(), "done": progress.done(*s), "current": *s == step, "next": *s == next}))
            .collect::<Vec<_>>()),
    );
    ctx.insert("step".into(), json!(step.as_str()));
    ctx.insert("next_step".into(), json!(next.as_str()));
    ctx.insert(
        "counts".into(),
        json!({"items": items.len(), "panels": panels.len(), "draws": draws.len()}),
    );
    ctx.insert(
        "notice".into(),
        json!(view
            .notice
            .as_deref()
            .and_then(|key| catalog(lang.0).get(key))),
    );
    ctx.insert(
        "error".into(),
        json!(view.error.map(|e| super::error_text(lang, e))),
    );
    ctx.insert(
        "kept".into(),
        json!(view.kept.map(|(k, v)| BTreeMap::from([(k, v)]))),
    );
    let orgs = super::roster_files::org_names(store, lang).await?;
    match step {
        Step::Items => {
            let disciplines: BTreeMap<String, String> =
                crate::store::reference::disciplines(store, "")
                    .await?
                    .into_iter()
                    .map(|d| {
                        let name = if lang.0 == "en" { d.name_en } else { d.name_zh };
                        (d.code.as_str().to_string(), name)
                    })
                    .collect();
            ctx.insert(
                "items".into(),
                json!(items
                    .iter()
                    .map(|i| item_view(i, &orgs, &disciplines))
                    .collect::<Vec<_>>()),
            );
            ctx.insert(
                "item_columns".into(),
                json!(crate::dataset::sheet::item_template_header()),
            );
        }
        Step::Panels => {
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
        }
        Step::Eligible => {
            if !panels.is_empty() {
                ctx.insert("overview".into(), json!(events::overview(store, id).await?));
            }
            decisions(store, lang, id, &mut ctx).await?;
        }
        Step::Draw => {
            if !panels.is_empty() && event.status.check(EventAction::Draw).is_ok() {
                // The draw analyses what the overview does (kept per registry snapshot, seed
                // aside): made now in the background, it is ready when the button is pressed.
                let (store, id) = (store.clone(), id);
                tokio::spawn(async move { events::overview(&store, id).await.map(drop) });
            }
            ctx.insert(
                "form".into(),
                super::event_rules::form_view(lang, &event.rules),
            );
            super::event_draws::draw_step(
                store,
                lang,
                &event,
                &draws,
                (view.draw, view.compare),
                &orgs,
                &mut ctx,
            )
            .await?;
        }
        Step::Invite | Step::Roster | Step::After => {
            let list = (
                step,
                view.sort.as_deref().unwrap_or("panel"),
                view.page.unwrap_or(1),
            );
            invitations(store, lang, &event, &draws, &orgs, list, &mut ctx).await?;
        }
    }
    if step == Step::After || step == Step::Draw {
        let mut chain = crate::service::draws::chain(store, &event).await?;
        for link in &mut chain.links {
            link.at = crate::clock::local_time(&link.at, lang.0);
        }
        ctx.insert("chain".into(), json!(chain));
    }
    ctx.insert(
        "started".into(),
        json!(crate::clock::today() >= event.dates[0]),
    );
    ctx.insert("panels".into(), json!(panels));
    ctx.insert("event".into(), json!(event));
    Ok(render(
        view.error.map(|e| e.status()).unwrap_or(Status::Ok),
        "staff/event",
        ctx,
    ))
}

/// Exclusions, cleared conflicts, pins and removals in force, and those lifted.
async fn decisions(
    store: &Store,
    lang: Lang,
    id: i64,
    ctx: &mut serde_json::Map<String, Value>,
) -> AppResult<()> {
    let rows = crate::store::events::exclusions(store, id).await?;
    let live: BTreeSet<i64> = events::in_force(rows.clone())
        .iter()
        .map(|x| x.exclusion_id)
        .collect();
    let codes: Vec<String> = rows.iter().map(|x| x.expert_code.clone()).collect();
    let who = people::by_codes(store, &codes).await?;
    let list: Vec<Value> = rows
        .iter()
        .map(|x| {
            json!({
                "id": x.exclusion_id,
                "item": x.item_code,
                "expert": x.expert_code,
                "name": who.get(&x.expert_code).map(|p| p.name.as_str()).unwrap_or_default(),
                "kind": x.kind,
                "reason": x.reason,
                "actor": x.actor,
                "at": crate::clock::local_time(&x.at, lang.0),
                "in_force": live.contains(&x.exclusion_id),
                "liftable": live.contains(&x.exclusion_id) && x.kind != "declared",
            })
        })
        .collect();
    ctx.insert("decisions".into(), json!(list));
    Ok(())
}

/// The invitation steps: every invitation with its messages, people by name and employer.
async fn invitations(
    store: &Store,
    lang: Lang,
    event: &events::Event,
    draws: &[crate::store::events::DrawRow],
    orgs: &BTreeMap<String, String>,
    (step, sort, page): (Step, &str, usize),
    ctx: &mut serde_json::Map<String, Value>,
) -> AppResult<()> {
    let mut rows = crate::service::invitations::roster(store, event.id).await?;
    match sort {
        "name" => rows.sort_by(|a, b| a.expert_name.cmp(&b.expert_name)),
        "org" => rows.sort_by(|a, b| {
            let name = |code: &String| orgs.get(code).cloned().unwrap_or_default();
            name(&a.organization_code).cmp(&name(&b.organization_code))
        }),
        "status" => rows.sort_by(|a, b| a.status.cmp(&b.status)),
        _ => rows.sort_by(|a, b| {
            (a.panel_code.as_str(), a.invitation_id).cmp(&(b.panel_code.as_str(), b.invitation_id))
        }),
    }
    ctx.insert("inv_sort".into(), json!(sort));
    let mut messages: BTreeMap<String, Vec<Value>> = Default::default();
    for m in crate::store::outbox::for_event(store, event.id).await? {
        if let Some(inv) = m.invitation_id {
            let mut v = json!(m);
            v["created_local"] = json!(crate::clock::local_time(&m.created_at, lang.0));
            messages.entry(inv.to_string()).or_default().push(v);
        }
    }
    ctx.insert("messages".into(), json!(messages));
    let accepted = rows.iter().filter(|i| i.status == "accepted").count();
    let pending = rows.iter().filter(|i| i.status == "pending").count();
    ctx.insert(
        "invitation_counts".into(),
        json!({"all": rows.len().to_string(), "accepted": accepted, "pending": pending}),
    );
    // The roster step lists the accepted seats; every list is cut into pages of 100.
    if step == Step::Roster {
        rows.retain(|i| i.status == "accepted");
    }
    const PER_PAGE: usize = 100;
    let pages = rows.len().div_ceil(PER_PAGE).max(1);
    let page = page.clamp(1, pages);
    ctx.insert(
        "inv_paging".into(),
        json!({"page": page, "pages": pages, "shown": rows.len()}),
    );
    ctx.insert(
        "invitations".into(),
        json!(rows
            .iter()
            .skip((page - 1) * PER_PAGE)
            .take(PER_PAGE)
            .map(|i| {
                let mut v = json!(i);
                v["org_name"] = json!(orgs
                    .get(&i.organization_code)
                    .cloned()
                    .unwrap_or_else(|| i.organization_code.clone()));
                v["deadline_local"] = json!(i
                    .answer_deadline
                    .as_deref()
                    .map(|t| crate::clock::local_time(t, lang.0)));
                v
            })
            .collect::<Vec<_>>()),
    );
    ctx.insert(
        "latest_draw".into(),
        json!(draws.first().map(|d| d.draw_id)),
    );
    Ok(())
}

/// An item with applicants and disciplines by name, its avoidances (and their reasons), prior
/// roles and earlier items as lists.
fn item_view(
    i: &crate::store::events::ItemRow,
    orgs: &BTreeMap<String, String>,
    disciplines: &BTreeMap<String, String>,
) -> Value {
    let names = |codes: &str, names: &BTreeMap<String, String>| -> Vec<String> {
        codes
            .split(';')
            .filter(|c| !c.is_empty())
            .map(|c| names.get(c).cloned().unwrap_or_else(|| c.to_string()))
            .collect()
    };
    let notes =
        |text: &str| -> BTreeMap<String, String> { serde_json::from_str(text).unwrap_or_default() };
    let reasons = notes(&i.avoid_reasons);
    let avoid: Vec<Value> = i
        .requested_avoid
        .split(';')
        .filter(|c| !c.is_empty())
        .map(|c| json!({"expert": c, "reason": reasons.get(c)}))
        .collect();
    let prior: Vec<Value> = notes(&i.prior_roles)
        .into_iter()
        .map(|(expert, role)| json!({"expert": expert, "role": role}))
        .collect();
    let mut v = json!(i);
    v["applicants"] = json!(names(&i.applicant_orgs, orgs));
    v["discipline_names"] = json!(names(&i.disciplines, disciplines));
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
    routes![show]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_step_follows_the_work_done() {
        let mut p = Progress {
            items: 0,
            panels: 0,
            draws: 0,
            status: EventStatus::Draft,
        };
        assert_eq!(p.next(), Step::Items);
        p.items = 3;
        assert_eq!(p.next(), Step::Panels);
        p.panels = 1;
        assert_eq!(p.next(), Step::Eligible);
        p.draws = 1;
        p.status = EventStatus::Drawn;
        assert_eq!(p.next(), Step::Draw);
        p.status = EventStatus::Inviting;
        assert_eq!(p.next(), Step::Invite);
        p.status = EventStatus::Confirmed;
        assert_eq!(p.next(), Step::After);
        p.status = EventStatus::Closed;
        assert_eq!(p.next(), Step::After);
        assert!(Step::ALL
            .iter()
            .all(|s| Step::parse(s.as_str()) == Some(*s)));
    }
}
