//! Pool dashboard (SVG charts with their numbers) and the rotation planner.

use super::{context, render, Html};
use crate::error::{AppError, AppResult};
use crate::service::memberships::DecisionInput;
use crate::service::tracking::{self, Dashboard, PlanDecision};
use crate::store::{reference, Store};
use crate::web::api::pools::pool;
use crate::web::api::tracking::date_or_today;
use crate::web::charts::bars;
use crate::web::guards::{Admin, Csrf, Reader};
use crate::web::i18n::{catalog, Lang};
use rocket::form::Form;
use rocket::http::{ContentType, Status};
use rocket::State;
use serde_json::json;
use std::collections::BTreeMap;
use std::collections::HashMap;

/// Every chart of the dashboard as (id, title, rows).
async fn charts(
    store: &Store,
    lang: Lang,
    d: &Dashboard,
) -> AppResult<Vec<(String, String, Vec<(String, f64)>)>> {
    let t = catalog(lang.0);
    let label = |k: &str| t.get(k).cloned().unwrap_or_else(|| k.to_string());
    let names: HashMap<String, String> = reference::disciplines(store, "")
        .await?
        .into_iter()
        .filter(|x| x.parent.is_none())
        .map(|x| {
            (
                x.code.as_str().to_string(),
                if lang.0 == "en" && !x.name_en.is_empty() {
                    x.name_en
                } else {
                    x.name_zh
                },
            )
        })
        .collect();
    let dim = |k: &str| d.composition.get(k).cloned().unwrap_or_default();
    let mut disciplines: Vec<(String, f64)> = dim("discipline")
        .into_iter()
        .map(|(c, n)| {
            (
                format!("{c} {}", names.get(&c).cloned().unwrap_or_default()),
                n as f64,
            )
        })
        .collect();
    disciplines.sort_by(|a, b| b.1.total_cmp(&a.1));
    disciplines.truncate(20);
    Ok(vec![
        (
            "state".into(),
            label("chart_state"),
            d.by_state
                .iter()
                .map(|(k, v)| (label(&format!("state_{k}")), *v as f64))
                .collect(),
        ),
        ("discipline".into(), label("chart_discipline"), disciplines),
        (
            "region".into(),
            label("chart_region"),
            dim("region")
                .into_iter()
                .map(|(k, v)| (label(&format!("region_{k}")), v as f64))
                .collect(),
        ),
        (
            "title".into(),
            label("chart_title"),
            dim("title")
                .into_iter()
                .map(|(k, v)| (k, v as f64))
                .collect(),
        ),
        (
            "age".into(),
            label("chart_age"),
            dim("age").into_iter().map(|(k, v)| (k, v as f64)).collect(),
        ),
        (
            "reviews".into(),
            label("chart_reviews"),
            d.reviews_histogram
                .iter()
                .map(|(k, v)| (k.to_string(), *v as f64))
                .collect(),
        ),
        (
            "acceptance".into(),
            label("chart_acceptance"),
            d.acceptance
                .iter()
                .map(|(q, (n, a))| {
                    (
                        q.clone(),
                        if *n == 0 {
                            0.0
                        } else {
                            (*a as f64 / *n as f64 * 1000.0).round() / 10.0
                        },
                    )
                })
                .collect(),
        ),
    ])
}

#[get("/pools/<name>/dashboard?<date>")]
async fn dashboard(
    r: Reader,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    name: &str,
    date: Option<&str>,
) -> AppResult<Html> {
    let pool = pool(name)?;
    let day = date_or_today(date)?;
    let d = tracking::dashboard(store, pool, day).await?;
    let charts: Vec<serde_json::Value> = charts(store, lang, &d).await?.into_iter().map(|(id, title, rows)| json!({"id": id, "svg": bars(&title, &rows), "title": title, "rows": rows})).collect();
    let mut ctx = context(
        lang,
        Some(&r.0 .0),
        &csrf.0,
        &format!("/pools/{pool}/dashboard"),
    );
    ctx.insert("pool".into(), json!(pool));
    ctx.insert("date".into(), json!(day));
    ctx.insert("charts".into(), json!(charts));
    Ok(render(Status::Ok, "admin/dashboard", ctx))
}

#[get("/pools/<name>/dashboard.csv?<date>")]
async fn dashboard_csv(
    _r: Reader,
    lang: Lang,
    store: &State<Store>,
    name: &str,
    date: Option<&str>,
) -> AppResult<(ContentType, String)> {
    let pool = pool(name)?;
    let d = tracking::dashboard(store, pool, date_or_today(date)?).await?;
    let mut lines = Vec::new();
    for (id, _, rows) in charts(store, lang, &d).await? {
        for (label, value) in rows {
            lines.push([id.clone(), label, value.to_string()]);
        }
    }
    let text = crate::web::export::csv_document(&["chart", "label", "value"], lines)?;
    Ok((ContentType::CSV, text))
}

async fn plan_page(
    r: &Reader,
    lang: Lang,
    csrf: &Csrf,
    store: &Store,
    name: &str,
    date: Option<&str>,
    extra: Option<(serde_json::Value, Status)>,
) -> AppResult<Html> {
    let pool = pool(name)?;
    let day = date_or_today(date)?;
    let plan = tracking::plan(store, pool, day).await?;
    let mut ctx = context(
        lang,
        Some(&r.0 .0),
        &csrf.0,
        &format!("/pools/{pool}/rotation"),
    );
    let words = Words::load(store, lang).await?;
    let mut plan = json!(plan);
    for list in ["expiring", "flagged"] {
        for m in plan[list].as_array_mut().into_iter().flatten() {
            words.member(m);
        }
    }
    for c in plan["applicants"].as_array_mut().into_iter().flatten() {
        // (an applicant's line is flattened into the candidate)
        words.member(c);
    }
    ctx.insert("plan".into(), plan);
    ctx.insert("all_expiring".into(), json!(""));
    ctx.insert("all_applicants".into(), json!(""));
    ctx.insert(
        "exit_reasons".into(),
        json!(crate::domain::membership::ExitReason::ALL
            .iter()
            .map(|x| x.as_str())
            .collect::<Vec<_>>()),
    );
    let status = match extra {
        Some((mut value, status)) => {
            if let Some(preview) = value.get_mut("preview") {
                let rows = words.composition(&preview["before"], &preview["after"]);
                preview["rows"] = json!(rows);
            }
            if let Some(obj) = value.as_object() {
                for (k, v) in obj {
                    ctx.insert(k.clone(), v.clone());
                }
            }
            status
        }
        None => Status::Ok,
    };
    Ok(render(status, "admin/rotation", ctx))
}

/// The words a rotation plan is read in: disciplines, regions, titles, genders by name,
/// flags and their findings in the reader's language.
struct Words {
    lang: Lang,
    disciplines: BTreeMap<String, String>,
}

impl Words {
    async fn load(store: &Store, lang: Lang) -> AppResult<Self> {
        let disciplines = crate::store::reference::disciplines(store, "")
            .await?
            .into_iter()
            .map(|d| {
                let name = if lang.0 == "en" { d.name_en } else { d.name_zh };
                (d.code.as_str().to_string(), name)
            })
            .collect();
        Ok(Words { lang, disciplines })
    }

    fn word(&self, dim: &str, key: &str) -> String {
        let t = catalog(self.lang.0);
        match dim {
            "discipline" => self
                .disciplines
                .get(key)
                .cloned()
                .unwrap_or_else(|| key.to_string()),
            "age" => key.to_string(),
            _ => t
                .get(&format!("{dim}_{key}"))
                .cloned()
                .unwrap_or_else(|| key.to_string()),
        }
    }

    /// A member line with its words beside its codes.
    fn member(&self, m: &mut serde_json::Value) {
        let fields: Vec<String> = m["fields"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f.as_str())
            .map(|f| self.word("discipline", f))
            .collect();
        m["fields_words"] = json!(fields);
        m["region_word"] = json!(self.word("region", m["region"].as_str().unwrap_or_default()));
        m["title_word"] = json!(self.word("title", m["title"].as_str().unwrap_or_default()));
        let t = catalog(self.lang.0);
        if let Some(flags) = m["flags"].as_array_mut() {
            for f in flags {
                let code = f["code"].as_str().unwrap_or_default().to_string();
                f["label"] = json!(t.get(&format!("flag_{code}")).cloned().unwrap_or(code));
                f["detail"] = json!(crate::web::i18n::translate(
                    self.lang.0,
                    f["detail"].as_str().unwrap_or_default()
                ));
            }
        }
    }

    /// Before and after, per dimension: rows of (word, before, after).
    fn composition(
        &self,
        before: &serde_json::Value,
        after: &serde_json::Value,
    ) -> Vec<serde_json::Value> {
        let t = catalog(self.lang.0);
        before
            .as_object()
            .into_iter()
            .flatten()
            .map(|(dim, counts)| {
                let mut keys: std::collections::BTreeSet<&String> =
                    counts.as_object().into_iter().flatten().map(|(k, _)| k).collect();
                keys.extend(after[dim].as_object().into_iter().flatten().map(|(k, _)| k));
                let entries: Vec<serde_json::Value> = keys
                    .into_iter()
                    .map(|k| {
                        json!({"label": self.word(dim, k), "before": counts[k].as_u64().unwrap_or(0),
                               "after": after[dim][k].as_u64().unwrap_or(0)})
                    })
                    .collect();
                json!({"dim": t.get(&format!("dim_{dim}")).cloned().unwrap_or_else(|| dim.clone()), "entries": entries})
            })
            .collect()
    }
}

#[get("/pools/<name>/rotation?<date>")]
async fn rotation(
    r: Reader,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    name: &str,
    date: Option<&str>,
) -> AppResult<Html> {
    plan_page(&r, lang, &csrf, store, name, date, None).await
}

#[derive(FromForm)]
struct PlanForm {
    #[field(default = String::new())]
    date: String,
    /// membership id → `exit:<reason>`, `suspend`, `renew` or `approve` (empty: no change).
    #[field(default = HashMap::new())]
    decisions: HashMap<i64, String>,
    #[field(default = String::new())]
    reason: String,
    /// One decision for every expiring term not decided line by line (`exit:term_expired`,
    /// `renew`, or empty).
    #[field(default = String::new())]
    all_expiring: String,
    /// One decision for every application not decided line by line (`approve` or empty).
    #[field(default = String::new())]
    all_applicants: String,
    #[field(default = String::new())]
    apply: String,
    csrf: String,
}

impl PlanForm {
    /// Spreads the section-wide choices over the lines left without one: a pool of thousands
    /// is decided without choosing in thousands of lists.
    fn spread(&mut self, plan: &tracking::Plan) {
        let sections = [
            (
                self.all_expiring.clone(),
                plan.expiring
                    .iter()
                    .map(|m| m.membership_id)
                    .collect::<Vec<_>>(),
                ["exit:term_expired", "renew"].as_slice(),
            ),
            (
                self.all_applicants.clone(),
                plan.applicants
                    .iter()
                    .map(|c| c.member.membership_id)
                    .collect(),
                ["approve"].as_slice(),
            ),
        ];
        for (choice, ids, allowed) in sections {
            if !allowed.contains(&choice.as_str()) {
                continue;
            }
            for id in ids {
                let line = self.decisions.entry(id).or_default();
                if line.is_empty() {
                    *line = choice.clone();
                }
            }
        }
    }
}

fn decisions(form: &PlanForm) -> Vec<PlanDecision> {
    let mut out: Vec<PlanDecision> = form
        .decisions
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(id, v)| {
            let (action, code) = v.split_once(':').unwrap_or((v.as_str(), ""));
            let reason = if form.reason.trim().is_empty() {
                format!("rotation plan {}", form.date)
            } else {
                form.reason.trim().to_string()
            };
            PlanDecision {
                membership_id: *id,
                decision: DecisionInput {
                    action: action.into(),
                    reason_code: code.into(),
                    reason: reason.clone(),
                    override_reason: if action == "approve" {
                        reason
                    } else {
                        String::new()
                    },
                    ..Default::default()
                },
            }
        })
        .collect();
    out.sort_by_key(|d| d.membership_id);
    out
}

#[post("/pools/<name>/rotation", data = "<form>")]
async fn submit(
    a: Admin,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    name: &str,
    form: Form<PlanForm>,
) -> AppResult<Html> {
    csrf.verify(&form.csrf)?;
    let pool = pool(name)?;
    let day = date_or_today(Some(&form.date))?;
    let mut form = form.into_inner();
    let plan = tracking::plan(store, pool, day).await?;
    form.spread(&plan);
    // Every line of the plan has its value when the page comes back (a browser sends every
    // list; a client may send only some).
    let lines = plan
        .expiring
        .iter()
        .chain(&plan.flagged)
        .map(|m| m.membership_id)
        .chain(plan.applicants.iter().map(|c| c.member.membership_id));
    for id in lines {
        form.decisions.entry(id).or_default();
    }
    let chosen = decisions(&form);
    let reader = Reader(a.0.clone());
    if form.apply.is_empty() {
        let preview = tracking::preview(store, pool, day, &chosen).await?;
        let picked: Vec<i64> = chosen.iter().map(|d| d.membership_id).collect();
        let values: HashMap<String, String> = form
            .decisions
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        return plan_page(
            &reader,
            lang,
            &csrf,
            store,
            name,
            Some(&form.date),
            Some((
                json!({"preview": preview, "picked": picked, "values": values,
                       "all_expiring": form.all_expiring, "all_applicants": form.all_applicants}),
                Status::Ok,
            )),
        )
        .await;
    }
    match tracking::apply(store, &a.0.actor(), a.0 .0.expert_id, pool, &chosen).await {
        Ok(n) => {
            plan_page(
                &reader,
                lang,
                &csrf,
                store,
                name,
                Some(&form.date),
                Some((json!({"applied": n}), Status::Ok)),
            )
            .await
        }
        Err(
            e @ (AppError::Validation(_)
            | AppError::Conflict { .. }
            | AppError::WrongState(_)
            | AppError::Forbidden(_)),
        ) => {
            let message = super::error_text(lang, &e);
            plan_page(
                &reader,
                lang,
                &csrf,
                store,
                name,
                Some(&form.date),
                Some((json!({"error": message}), e.status())),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// The flag thresholds as typed on the pool page (numbers as text, so a wrong one is named).
#[derive(FromForm)]
struct FlagForm {
    no_shows_12_months: String,
    low_rating_below: String,
    low_rating_last: String,
    decline_rate_percent: String,
    decline_last: String,
    max_age: String,
    term_ending_days: String,
    profile_stale_years: String,
    csrf: String,
}

impl FlagForm {
    fn rules(&self) -> Result<crate::domain::tracking::FlagRules, crate::domain::ValidationError> {
        fn number<T: std::str::FromStr>(
            field: &str,
            raw: &str,
        ) -> Result<T, crate::domain::ValidationError> {
            raw.trim().parse().map_err(|_| {
                crate::domain::ValidationError::new(
                    field,
                    format!("'{}' is not a number", raw.trim()),
                )
            })
        }
        Ok(crate::domain::tracking::FlagRules {
            no_shows_12_months: number("no_shows_12_months", &self.no_shows_12_months)?,
            low_rating_below: number("low_rating_below", &self.low_rating_below)?,
            low_rating_last: number("low_rating_last", &self.low_rating_last)?,
            decline_rate_above: number::<f64>("decline_rate_percent", &self.decline_rate_percent)?
                / 100.0,
            decline_last: number("decline_last", &self.decline_last)?,
            max_age: number("max_age", &self.max_age)?,
            term_ending_days: number("term_ending_days", &self.term_ending_days)?,
            profile_stale_years: number("profile_stale_years", &self.profile_stale_years)?,
        })
    }
}

/// The pool's flag thresholds, edited on the pool page.
#[post("/pools/<name>/flag-rules", data = "<form>")]
async fn save_flag_rules(
    a: crate::web::guards::Admin,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    name: &str,
    form: rocket::form::Form<FlagForm>,
) -> AppResult<Result<rocket::response::Flash<rocket::response::Redirect>, Html>> {
    csrf.verify(&form.csrf)?;
    let pool = pool(name)?;
    let result = match form.rules() {
        Ok(rules) => tracking::set_flag_rules(store, &a.0.actor(), pool, rules)
            .await
            .map(|_| ()),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(()) => Ok(Ok(rocket::response::Flash::success(
            rocket::response::Redirect::to(format!("/pools/{pool}")),
            "done_flags_saved",
        ))),
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => {
            let mut ctx = context(lang, Some(&a.0 .0), &csrf.0, &format!("/pools/{pool}"));
            ctx.insert("status".into(), json!(e.status().code));
            ctx.insert("message".into(), json!(super::error_text(lang, &e)));
            ctx.insert("back".into(), json!(format!("/pools/{pool}")));
            Ok(Err(render(e.status(), "error/error", ctx)))
        }
        Err(e) => Err(e),
    }
}

pub fn routes() -> Vec<rocket::Route> {
    routes![dashboard, dashboard_csv, rotation, submit, save_flag_rules]
}
