//! Registering from a call's page (no login): the form, the "check your mailbox" page that
//! reads the same whoever registers, the activation link's password form, and the SMS code
//! form where an SMS gateway is configured.

use super::{context, render, Html};
use crate::domain::application::{RegistrationInput, RegistrationLimits};
use crate::error::{AppError, AppResult};
use crate::service::{calls, registration};
use crate::store::Store;
use crate::web::guards::{start_session, ClientInfo, Csrf};
use crate::web::i18n::Lang;
use rocket::form::Form;
use rocket::http::{CookieJar, Status};
use rocket::response::Redirect;
use rocket::State;
use serde_json::json;

/// The registration form on a call's page.
#[derive(FromForm)]
struct RegisterForm {
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    email: String,
    #[field(default = String::new())]
    mobile: String,
    #[field(default = String::new())]
    csrf: String,
}

/// Registers, then shows the same page whether the address was new or known.
#[post("/calls/<id>/register", data = "<form>")]
async fn register(
    lang: Lang,
    csrf: Csrf,
    client: ClientInfo,
    limits: &State<RegistrationLimits>,
    store: &State<Store>,
    id: i64,
    form: Form<RegisterForm>,
) -> AppResult<Html> {
    let input = RegistrationInput {
        name: form.name.clone(),
        email: form.email.clone(),
        mobile: form.mobile.clone(),
    };
    let result = match csrf.verify(&form.csrf) {
        Ok(()) => {
            let address = client.ip.clone().unwrap_or_default();
            registration::register(store, &input, Some(id), &address, **limits).await
        }
        Err(e) => Err(e),
    };
    let call = calls::get(store, id).await?;
    let mut ctx = context(lang, None, &csrf.0, &format!("/calls/{id}"));
    ctx.insert("call".into(), json!({"id": id, "title": call.title}));
    match result {
        Ok(()) => {
            ctx.insert("email".into(), json!(input.email.trim().to_lowercase()));
            ctx.insert("sms".into(), json!(store.messaging.sms_url.is_some()));
            ctx.insert("hours".into(), json!(registration::LINK_HOURS));
            Ok(render(Status::Ok, "public/registered", ctx))
        }
        Err(
            e @ (AppError::Validation(_)
            | AppError::Conflict { .. }
            | AppError::TooManyRequests(_)
            | AppError::Forbidden(_)),
        ) => {
            ctx.insert("error".into(), json!(super::error_text(lang, &e)));
            ctx.insert("error_field".into(), json!(e.field()));
            ctx.insert(
                "form".into(),
                json!({"name": form.name, "email": form.email, "mobile": form.mobile}),
            );
            Ok(render(e.status(), "public/register", ctx))
        }
        Err(e) => Err(e),
    }
}

/// The registration form alone (the call's page carries it too).
#[get("/calls/<id>/register")]
async fn register_form(lang: Lang, csrf: Csrf, store: &State<Store>, id: i64) -> AppResult<Html> {
    let call = calls::get(store, id).await?;
    let mut ctx = context(lang, None, &csrf.0, &format!("/calls/{id}"));
    ctx.insert("call".into(), json!({"id": id, "title": call.title}));
    ctx.insert("form".into(), json!({}));
    Ok(render(Status::Ok, "public/register", ctx))
}

fn password_page(
    lang: Lang,
    csrf: &Csrf,
    action: &str,
    link: Option<&registration::LinkView>,
    error: Option<&AppError>,
) -> Html {
    let mut ctx = context(lang, None, &csrf.0, action);
    ctx.insert("action".into(), json!(action));
    ctx.insert(
        "link".into(),
        json!(link.map(|l| json!({"purpose": l.purpose, "name": l.name}))),
    );
    ctx.insert(
        "error".into(),
        json!(error.map(|e| super::error_text(lang, e))),
    );
    ctx.insert("error_field".into(), json!(error.and_then(|e| e.field())));
    render(
        error.map_or(Status::Ok, AppError::status),
        "public/activate",
        ctx,
    )
}

/// The e-mailed link: a form to choose the password.
#[get("/register/activate/<token>")]
async fn activate_form(
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    token: &str,
) -> AppResult<Html> {
    let link = registration::link(store, token).await?;
    Ok(password_page(
        lang,
        &csrf,
        &format!("/register/activate/{token}"),
        Some(&link),
        None,
    ))
}

#[derive(FromForm)]
struct PasswordForm {
    #[field(default = String::new())]
    password: String,
    #[field(default = String::new())]
    repeat: String,
    #[field(default = String::new())]
    mobile: String,
    #[field(default = String::new())]
    sms_code: String,
    #[field(default = String::new())]
    csrf: String,
}

impl PasswordForm {
    fn check(&self, csrf: &Csrf) -> AppResult<()> {
        csrf.verify(&self.csrf)?;
        if self.password != self.repeat {
            return Err(
                crate::domain::ValidationError::new("repeat", "the two passwords differ").into(),
            );
        }
        Ok(())
    }
}

/// Where an activated account goes: its application to the call it registered from.
async fn landing(store: &Store, done: &registration::Activated) -> AppResult<String> {
    let Some(call) = done.call_id else {
        return Ok("/".into());
    };
    let Some(user) = crate::store::users::get(store, done.user).await? else {
        return Ok("/".into());
    };
    if user.role != crate::domain::user::Role::Expert {
        return Ok("/".into());
    }
    let actor = crate::store::audit::Actor {
        user_id: Some(user.id),
        name: user.username.clone(),
    };
    Ok(
        match crate::service::applications::start(store, &actor, &user, call).await {
            Ok(id) => format!("/applications/{id}"),
            // A call that closed meanwhile: the list of the applicant's applications says so.
            Err(_) => "/applications".into(),
        },
    )
}

/// Chooses the password, activates the account (or sets the new password) and signs in.
#[post("/register/activate/<token>", data = "<form>")]
async fn activate(
    lang: Lang,
    csrf: Csrf,
    client: ClientInfo,
    cookies: &CookieJar<'_>,
    store: &State<Store>,
    token: &str,
    form: Form<PasswordForm>,
) -> AppResult<Result<Redirect, Html>> {
    let link = registration::link(store, token).await?;
    let action = format!("/register/activate/{token}");
    let done = match form.check(&csrf) {
        Ok(()) => registration::activate(store, token, &form.password).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(done) => {
            start_session(cookies, store, done.user, &client).await?;
            Ok(Ok(Redirect::to(landing(store, &done).await?)))
        }
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => Ok(Err(password_page(
            lang,
            &csrf,
            &action,
            Some(&link),
            Some(&e),
        ))),
        Err(e) => Err(e),
    }
}

/// The SMS code form (where a gateway sends codes).
#[get("/register/code")]
fn code_form(lang: Lang, csrf: Csrf) -> Html {
    password_page(lang, &csrf, "/register/code", None, None)
}

/// Activates with the SMS code instead of the link.
#[post("/register/code", data = "<form>")]
async fn code(
    lang: Lang,
    csrf: Csrf,
    client: ClientInfo,
    cookies: &CookieJar<'_>,
    store: &State<Store>,
    form: Form<PasswordForm>,
) -> AppResult<Result<Redirect, Html>> {
    let done = match form.check(&csrf) {
        Ok(()) => {
            registration::activate_by_code(store, &form.mobile, &form.sms_code, &form.password)
                .await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(done) => {
            start_session(cookies, store, done.user, &client).await?;
            Ok(Ok(Redirect::to(landing(store, &done).await?)))
        }
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => Ok(Err(password_page(
            lang,
            &csrf,
            "/register/code",
            None,
            Some(&e),
        ))),
        Err(e) => Err(e),
    }
}

pub fn routes() -> Vec<rocket::Route> {
    routes![
        register,
        register_form,
        activate_form,
        activate,
        code_form,
        code
    ]
}
