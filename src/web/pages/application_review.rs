//! Staff's pages of applications: the queue per call, and the review, link and reopen
//! actions of one application.

use super::applications::{settle, word, Outcome};
use super::experts::pickers;
use super::{context, render, Html};
use crate::domain::application::ApplicationState;
use crate::error::AppResult;
use crate::service::applications::{self as service, Review};
use crate::store::Store;
use crate::web::guards::{Admin, Csrf, Reader, Staff};
use crate::web::i18n::Lang;
use rocket::form::Form;
use rocket::http::Status;
use rocket::State;
use serde_json::json;

#[derive(FromForm)]
struct ReviewForm {
    #[field(default = String::new())]
    decision: String,
    #[field(default = String::new())]
    comment: String,
    #[field(default = String::new())]
    csrf: String,
}

#[post("/applications/<id>/review", data = "<form>")]
async fn review(
    s: Staff,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<ReviewForm>,
) -> Outcome {
    csrf.verify(&form.csrf)?;
    let (decision, notice) = match form.decision.as_str() {
        "return" => (Review::Return(form.comment.clone()), "app_returned_notice"),
        "refuse" => (Review::Refuse(form.comment.clone()), "app_refused_notice"),
        "pass" => (Review::Pass, "app_passed_notice"),
        other => {
            return Err(crate::domain::ValidationError::new(
                "decision",
                format!("'{other}' is not one of: return, refuse, pass"),
            )
            .into())
        }
    };
    let done = service::review(store, &s.0.actor(), id, decision).await;
    settle(&s.0, lang, &csrf, store, id, done, notice).await
}

#[derive(FromForm)]
struct LinkForm {
    #[field(default = String::new())]
    expert: String,
    #[field(default = String::new())]
    csrf: String,
}

#[post("/applications/<id>/link", data = "<form>")]
async fn link(
    s: Staff,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<LinkForm>,
) -> Outcome {
    csrf.verify(&form.csrf)?;
    let done = service::link(store, &s.0.actor(), id, &form.expert).await;
    settle(&s.0, lang, &csrf, store, id, done, "app_linked").await
}

#[derive(FromForm)]
struct ReopenForm {
    #[field(default = String::new())]
    until: String,
    #[field(default = String::new())]
    csrf: String,
}

#[post("/applications/<id>/reopen", data = "<form>")]
async fn reopen(
    a: Admin,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<ReopenForm>,
) -> Outcome {
    csrf.verify(&form.csrf)?;
    let done = match crate::domain::expert::parse_date("until", &form.until) {
        Ok(day) => service::reopen(store, &a.0.actor(), id, day).await,
        Err(e) => Err(e.into()),
    };
    settle(&a.0, lang, &csrf, store, id, done, "app_reopened_notice").await
}

/// A call's applications for staff, by state.
#[get("/calls/<id>/applications?<state>")]
async fn queue(
    r: Reader,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    state: Option<&str>,
) -> AppResult<Html> {
    let call = crate::service::calls::get(store, id).await?;
    // What waits for staff first; `state=` (empty) lists every state.
    let state = match state {
        None => Some(ApplicationState::Submitted),
        Some("") => None,
        Some(s) => Some(ApplicationState::parse(s)?),
    };
    let lines = service::queue(store, id, state).await?;
    let pick = pickers(store, lang).await?;
    let mut ctx = context(
        lang,
        Some(&r.0 .0),
        &csrf.0,
        &format!("/calls/{id}/applications"),
    );
    ctx.insert("call".into(), json!({"id": id, "title": call.title}));
    ctx.insert("state".into(), json!(state.map(|s| s.as_str())));
    ctx.insert(
        "states".into(),
        json!(ApplicationState::ALL
            .iter()
            .map(|s| json!({"value": s.as_str(), "text": word(lang, &format!("app_state_{s}"))}))
            .collect::<Vec<_>>()),
    );
    ctx.insert(
        "lines".into(),
        json!(lines
            .iter()
            .map(|l| json!({
                "id": l.id, "name": l.name,
                "org": pick.orgs.get(&l.org).cloned().unwrap_or_else(|| l.org.clone()),
                "discipline": pick.disciplines.get(&l.discipline).cloned().unwrap_or_else(|| l.discipline.clone()),
                "state_text": word(lang, &format!("app_state_{}", l.state)),
                "submitted": l.submitted_at.as_deref().map(|s| crate::clock::local_time(s, lang.0)),
                "documents": l.documents,
                "failed": l.failed.iter().map(|r| word(lang, &format!("entry_{r}"))).collect::<Vec<_>>(),
                "twins": l.twins,
                "membership_id": l.membership_id,
            }))
            .collect::<Vec<_>>()),
    );
    Ok(render(Status::Ok, "staff/call_queue", ctx))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![review, link, reopen, queue]
}
