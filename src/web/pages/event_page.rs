//! An event's page as steps: 项目 → 分组 → 可选专家 → 抽取 → 邀请与答复 → 名单 → 评审后.
//! Each step loads only what it shows (the eligibility overview scores every candidate, so
//! it runs on its own step), says what is done and what comes next, and every action comes
//! back to its step with a success message or the error in place.

use super::{context, render, Html};
use crate::assign::rules::{Filter, Rules};
use crate::domain::event::EventStatus;
use crate::error::{AppError, AppResult};
use crate::service::events;
use crate::store::people::{self, Person};
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
    id: i64,
    step: Step,
    notice: &str,
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
}

#[get("/events/<id>?<step>&<draw>&<compare>")]
async fn show(
    r: Reader,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    flash: Option<FlashMessage<'_>>,
    id: i64,
    step: Option<&str>,
    draw: Option<i64>,
    compare: Option<i64>,
) -> AppResult<Html> {
    let view = View {
        step: step.and_then(Step::parse),
        notice: flash.map(|f| f.message().to_string()),
        draw,
        compare,
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
    ctx.insert("counts".into(), json!({"items": items.len(), "panels": panels.len(), "draws": draws.len()}));
    ctx.insert(
        "notice".into(),
        json!(view
            .notice
            .as_deref()
            .and_then(|key| catalog(lang.0).get(key))),
    );
    ctx.insert("error".into(), json!(view.error.map(|e| super::error_text(lang, e))));
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
            ctx.insert("item_columns".into(), json!(crate::dataset::sheet::item_template_header()));
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
            ctx.insert("form".into(), super::event_rules::form_view(lang, &event.rules));
            draw_step(store, lang, &event, &draws, &view, &orgs, &mut ctx).await?;
        }
        Step::Invite | Step::Roster | Step::After => {
            invitations(store, lang, &event, &draws, &orgs, &mut ctx).await?;
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
    group(f.title.iter().map(|v| word(format!("title_{}", v.as_str()))).collect());
    group(f.types.iter().map(|v| word(format!("type_{}", v.as_str()))).collect());
    group(f.region.iter().map(|v| word(format!("region_{}", v.as_str()))).collect());
    group(f.gender.iter().map(|v| word(format!("gender_{}", v.as_str()))).collect());
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
async fn draw_step(
    store: &Store,
    lang: Lang,
    event: &events::Event,
    draws: &[crate::store::events::DrawRow],
    view: &View<'_>,
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
                   "at_local": crate::clock::local_time(&a.at, lang.0), "reason": a.reason})
        }))
        .collect();
    history.sort_by(|a, b| b["at"].as_str().cmp(&a["at"].as_str()));
    ctx.insert("history".into(), json!(history));
    let Some(shown) = (match view.draw {
        Some(id) => draws.iter().find(|d| d.draw_id == id),
        None => draws.first(),
    }) else {
        return Ok(());
    };
    let result: Value = serde_json::from_str(&shown.result_json).unwrap_or_default();
    let rules = serde_json::from_str::<RulesOnly>(&shown.input_json)
        .ok()
        .map(|r| r.rules);
    let earlier = view
        .compare
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
               "panels": panels, "seat_count": seat_count.to_string(), "compare": earlier.is_some().then_some(view.compare)}),
    );
    Ok(())
}

/// The invitation steps: every invitation with its messages, people by name and employer.
async fn invitations(
    store: &Store,
    lang: Lang,
    event: &events::Event,
    draws: &[crate::store::events::DrawRow],
    orgs: &BTreeMap<String, String>,
    ctx: &mut serde_json::Map<String, Value>,
) -> AppResult<()> {
    let rows = crate::service::invitations::roster(store, event.id).await?;
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
    ctx.insert(
        "invitations".into(),
        json!(rows
            .iter()
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
    ctx.insert("latest_draw".into(), json!(draws.first().map(|d| d.draw_id)));
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
    let notes = |text: &str| -> BTreeMap<String, String> {
        serde_json::from_str(text).unwrap_or_default()
    };
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
        assert!(Step::ALL.iter().all(|s| Step::parse(s.as_str()) == Some(*s)));
    }
}
