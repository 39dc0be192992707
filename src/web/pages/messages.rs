//! Messages to experts: the answer link page (no login), the administrators' outbox with
//! failures first, and resending.

use super::invitations::AnswerForm;
use super::{context, render, Html};
use crate::domain::invitation::Answer;
use crate::error::{AppError, AppResult};
use crate::service::link_answers;
use crate::store::outbox;
use crate::store::Store;
use crate::web::guards::{Admin, Csrf, Staff};
use crate::web::i18n::Lang;
use rocket::form::Form;
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::State;
use serde_json::json;

fn link_page(
    lang: Lang,
    csrf: &Csrf,
    token: &str,
    view: Option<&link_answers::LinkView>,
    error: Option<(Status, String)>,
    done: bool,
) -> Html {
    let mut ctx = context(lang, None, &csrf.0, "/a");
    ctx.insert("token".into(), json!(token));
    ctx.insert("view".into(), json!(view));
    ctx.insert("done".into(), json!(done));
    let status = match error {
        Some((status, message)) => {
            ctx.insert("error".into(), json!(message));
            status
        }
        None => Status::Ok,
    };
    render(status, "public/answer", ctx)
}

#[get("/a/<token>")]
async fn open(lang: Lang, csrf: Csrf, store: &State<Store>, token: &str) -> Html {
    match link_answers::open(store, token).await {
        Ok(view) => link_page(lang, &csrf, token, Some(&view), None, false),
        Err(e) => {
            let t = crate::web::i18n::catalog(lang.0);
            let message = t.get("link_invalid").cloned().unwrap_or_default();
            link_page(lang, &csrf, token, None, Some((e.status(), message)), false)
        }
    }
}

#[post("/a/<token>", data = "<form>")]
async fn answer(
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    token: &str,
    form: Form<AnswerForm>,
) -> AppResult<Html> {
    csrf.verify(&form.csrf)?;
    let result = match Answer::parse(&form.answer, form.pledge, &form.reason, &form.conflict_item) {
        Ok(a) => link_answers::answer(store, token, a).await,
        Err(e) => Err(e.into()),
    };
    Ok(match result {
        Ok(view) => link_page(lang, &csrf, token, Some(&view), None, true),
        Err(e @ AppError::NotFound(_)) => {
            let t = crate::web::i18n::catalog(lang.0);
            let message = t.get("link_invalid").cloned().unwrap_or_default();
            link_page(lang, &csrf, token, None, Some((e.status(), message)), false)
        }
        Err(e) => {
            let view = link_answers::open(store, token).await.ok();
            link_page(
                lang,
                &csrf,
                token,
                view.as_ref(),
                Some((e.status(), super::error_text(lang, &e))),
                false,
            )
        }
    })
}

#[get("/outbox?<status>&<page>")]
async fn outbox_page(
    a: Admin,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    status: Option<&str>,
    page: Option<i64>,
) -> AppResult<Html> {
    let status = status.unwrap_or_default();
    if !["", "queued", "sent", "failed"].contains(&status) {
        return Err(
            crate::domain::ValidationError::new("status", "one of queued, sent, failed").into(),
        );
    }
    let page = page.unwrap_or(1).clamp(1, 100_000);
    let (messages, counts) = outbox::page(store, status, page, 50).await?;
    let mut ctx = context(lang, Some(&a.0 .0), &csrf.0, "/outbox");
    let channels = crate::service::delivery::channels(&store.messaging);
    ctx.insert("channels".into(), json!(channels));
    ctx.insert("status".into(), json!(status));
    ctx.insert("page".into(), json!(page));
    ctx.insert("counts".into(), json!(counts));
    ctx.insert(
        "messages".into(),
        json!(messages
            .iter()
            .map(|m| {
                let mut v = json!(m);
                v["created_local"] = json!(crate::clock::local_time(&m.created_at, lang.0));
                v["sent_local"] = json!(m
                    .sent_at
                    .as_deref()
                    .map(|t| crate::clock::local_time(t, lang.0)));
                v
            })
            .collect::<Vec<_>>()),
    );
    Ok(render(Status::Ok, "admin/outbox", ctx))
}

#[derive(FromForm)]
struct ResendForm {
    csrf: String,
    #[field(default = String::new())]
    back: String,
}

#[post("/messages/<id>/resend", data = "<form>")]
async fn resend(
    s: Staff,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<ResendForm>,
) -> AppResult<Redirect> {
    csrf.verify(&form.csrf)?;
    crate::service::delivery::resend(store, &s.0.actor(), id).await?;
    // Only a path of this site: never an address someone slipped into the form.
    let back = if form.back.starts_with('/') && !form.back.starts_with("//") {
        form.back.clone()
    } else {
        "/outbox".into()
    };
    Ok(Redirect::to(back))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![open, answer, outbox_page, resend]
}
