//! A membership's page (timeline, entry checks, decisions) and an expert's own applications:
//! apply, sign the pledge, withdraw or leave; each action comes back with a success message.

use super::{context, render, Html};
use crate::domain::membership::Pool;
use crate::error::{AppError, AppResult};
use crate::service::memberships::{self, DecisionInput};
use crate::store::Store;
use crate::web::guards::{Admin, Csrf, CurrentUser, ExpertUser};
use crate::web::i18n::{catalog, Lang};
use rocket::form::Form;
use rocket::http::Status;
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::State;
use serde_json::json;

/// The membership page's context: the membership, the actions its state offers and the
/// exit reasons.
async fn membership_context(
    user: &CurrentUser,
    lang: Lang,
    csrf: &Csrf,
    store: &Store,
    id: i64,
) -> AppResult<serde_json::Map<String, serde_json::Value>> {
    let mut view = memberships::view(store, id).await?;
    if !user.0.role.can_read_all() && user.0.expert_id != Some(view.membership.expert_id) {
        return Err(AppError::NotFound(format!("membership {id}")));
    }
    view.transitions = std::mem::take(&mut view.transitions)
        .into_iter()
        .map(|t| t.local(lang.0))
        .collect();
    let mut ctx = context(lang, Some(&user.0), &csrf.0, &format!("/memberships/{id}"));
    ctx.insert(
        "actions".into(),
        json!(crate::domain::membership::actions_for(
            view.membership.state
        )),
    );
    // Each entry check in the reader's language, employers by name.
    let mut view_json = json!(view);
    view_json["checks"] = check_texts(store, lang, &view.checks).await?;
    view_json["pledge_local"] = json!(view
        .membership
        .pledge_at
        .as_deref()
        .map(|at| crate::clock::local_time(at, lang.0)));
    ctx.insert("view".into(), view_json);
    // The review of the call application it came from belongs to its timeline.
    let mut conn = store.pool.acquire().await?;
    let application = crate::store::applications::of_membership(&mut conn, id).await?;
    let steps = match &application {
        Some(a) => crate::store::applications::steps(&mut conn, a.id).await?,
        None => Vec::new(),
    };
    drop(conn);
    ctx.insert(
        "application".into(),
        json!(application
            .map(|a| json!({"id": a.id, "steps": super::applications::step_rows(lang, &steps)}))),
    );
    ctx.insert(
        "exit_reasons".into(),
        json!(crate::domain::membership::ExitReason::ALL
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()),
    );
    Ok(ctx)
}

#[get("/memberships/<id>")]
async fn membership_page(
    user: CurrentUser,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    flash: Option<FlashMessage<'_>>,
    id: i64,
) -> AppResult<Html> {
    let mut ctx = membership_context(&user, lang, &csrf, store, id).await?;
    ctx.insert(
        "notice".into(),
        json!(flash.and_then(|f| catalog(lang.0).get(f.message()).cloned())),
    );
    Ok(render(Status::Ok, "admin/membership", ctx))
}

#[derive(FromForm)]
struct DecisionForm {
    action: String,
    #[field(default = String::new())]
    reason_code: String,
    #[field(default = String::new())]
    reason: String,
    #[field(default = String::new())]
    override_reason: String,
    #[field(default = String::new())]
    term_end: String,
    #[field(default = String::new())]
    until: String,
    csrf: String,
}

impl DecisionForm {
    fn input(&self) -> DecisionInput {
        DecisionInput {
            action: self.action.clone(),
            reason_code: self.reason_code.clone(),
            reason: self.reason.clone(),
            override_reason: self.override_reason.clone(),
            term_end: self.term_end.clone(),
            until: self.until.clone(),
        }
    }
}

async fn error_back(
    user: &CurrentUser,
    lang: Lang,
    csrf: &Csrf,
    store: &Store,
    id: i64,
    e: AppError,
) -> AppResult<Html> {
    let mut ctx = membership_context(user, lang, csrf, store, id).await?;
    ctx.insert("error".into(), json!(super::error_text(lang, &e)));
    Ok(render(e.status(), "admin/membership", ctx))
}

#[post("/memberships/<id>", data = "<form>")]
async fn decide(
    a: Admin,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<DecisionForm>,
) -> AppResult<Result<Flash<Redirect>, Html>> {
    csrf.verify(&form.csrf)?;
    match memberships::decide(store, &a.0.actor(), a.0 .0.expert_id, id, &form.input()).await {
        Ok(_) => Ok(Ok(Flash::success(
            Redirect::to(format!("/memberships/{id}")),
            "done_decided",
        ))),
        Err(
            e @ (AppError::Validation(_)
            | AppError::Conflict { .. }
            | AppError::WrongState(_)
            | AppError::Forbidden(_)),
        ) => Ok(Err(error_back(&a.0, lang, &csrf, store, id, e).await?)),
        Err(e) => Err(e),
    }
}

#[derive(FromForm)]
struct ApplyForm {
    pool: String,
    #[field(default = String::new())]
    note: String,
    #[field(default = false)]
    pledge: bool,
    /// The call for experts answered, when applying from a call's page (absent elsewhere;
    /// note that `#[field(default = None)]` would make it required).
    call: Option<i64>,
    csrf: String,
}

#[post("/me/apply", data = "<form>")]
async fn apply(
    e: ExpertUser,
    store: &State<Store>,
    form: Form<ApplyForm>,
    csrf: Csrf,
) -> AppResult<Flash<Redirect>> {
    csrf.verify(&form.csrf)?;
    let pool = Pool::parse(&form.pool)?;
    let view = memberships::apply(
        store,
        &e.user.actor(),
        e.expert,
        memberships::Application {
            pool,
            note: &form.note,
            nominated: false,
            pledge: form.pledge,
            call: form.call,
        },
    )
    .await?;
    Ok(Flash::success(
        Redirect::to(format!("/memberships/{}", view.membership.id)),
        "done_applied",
    ))
}

#[derive(FromForm)]
struct CsrfOnly {
    csrf: String,
}

#[post("/me/memberships/<id>/pledge", data = "<form>")]
async fn sign_pledge(
    e: ExpertUser,
    store: &State<Store>,
    id: i64,
    form: Form<CsrfOnly>,
    csrf: Csrf,
) -> AppResult<Flash<Redirect>> {
    csrf.verify(&form.csrf)?;
    memberships::sign_pledge(store, &e.user.actor(), e.expert, id).await?;
    Ok(Flash::success(
        Redirect::to(format!("/memberships/{id}")),
        "done_pledge",
    ))
}

#[derive(FromForm)]
struct LeaveForm {
    #[field(default = String::new())]
    reason: String,
    csrf: String,
}

#[post("/me/memberships/<id>/leave", data = "<form>")]
async fn leave(
    e: ExpertUser,
    store: &State<Store>,
    id: i64,
    form: Form<LeaveForm>,
    csrf: Csrf,
) -> AppResult<Flash<Redirect>> {
    csrf.verify(&form.csrf)?;
    memberships::leave(store, &e.user.actor(), e.expert, id, &form.reason).await?;
    Ok(Flash::success(
        Redirect::to(format!("/memberships/{id}")),
        "done_left",
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![membership_page, decide, apply, sign_pledge, leave]
}

/// Entry checks as a page shows them: each with its `text` in the reader's language,
/// employers by name.
pub(super) async fn check_texts(
    store: &Store,
    lang: Lang,
    checks: &[crate::domain::membership::RuleCheck],
) -> AppResult<serde_json::Value> {
    let orgs = super::roster_files::org_names(store, lang).await?;
    let mut out = json!(checks);
    if let Some(list) = out.as_array_mut() {
        for (json, check) in list.iter_mut().zip(checks) {
            let args: Vec<(&str, String)> = check
                .args
                .iter()
                .map(|(k, v)| {
                    let v = match *k {
                        "org" => orgs.get(v).cloned().unwrap_or_else(|| v.clone()),
                        _ => v.clone(),
                    };
                    (*k, v)
                })
                .collect();
            json["text"] = json!(crate::web::i18n::fill(
                lang.0,
                check.message,
                args.iter().map(|(k, v)| (*k, v.as_str()))
            ));
        }
    }
    Ok(out)
}
