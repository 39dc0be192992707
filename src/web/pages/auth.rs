//! Home, login, logout and the language switch.

use super::{context, render, Html};
use crate::error::AppError;
use crate::service::auth;
use crate::store::{experts, users, Store};
use crate::web::guards::{end_session, start_session, ClientInfo, Csrf, CurrentUser};
use crate::web::i18n::{Lang, LANGUAGES, LANG_COOKIE};
use rocket::form::Form;
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::response::Redirect;
use rocket::State;
use serde_json::json;

#[get("/")]
async fn home(
    user: Option<CurrentUser>,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
) -> Result<Html, Redirect> {
    let Some(user) = user else {
        return Err(Redirect::to("/login"));
    };
    if user.0.role == crate::domain::user::Role::Expert {
        return Err(Redirect::to("/me"));
    }
    let mut ctx = context(lang, Some(&user.0), &csrf.0, "/");
    ctx.insert(
        "expert_count".into(),
        json!(experts::count(store).await.unwrap_or(0)),
    );
    ctx.insert(
        "user_count".into(),
        json!(users::count(store).await.unwrap_or(0)),
    );
    ctx.insert(
        "open_seats".into(),
        json!(crate::store::follow_up::open_seats_for_staff(store)
            .await
            .unwrap_or_default()),
    );
    Ok(render(Status::Ok, "staff/home", ctx))
}

#[get("/login")]
fn login_page(lang: Lang, csrf: Csrf) -> Html {
    render(
        Status::Ok,
        "base/login",
        context(lang, None, &csrf.0, "/login"),
    )
}

#[derive(FromForm)]
struct LoginForm {
    username: String,
    password: String,
    csrf: String,
}

#[post("/login", data = "<form>")]
async fn login(
    form: Form<LoginForm>,
    lang: Lang,
    csrf: Csrf,
    client: ClientInfo,
    store: &State<Store>,
    cookies: &CookieJar<'_>,
) -> Result<Redirect, Html> {
    let failed = |status: Status, message: String| {
        let mut ctx = context(lang, None, &csrf.0, "/login");
        ctx.insert("error".into(), json!(message));
        ctx.insert("username".into(), json!(form.username));
        render(status, "base/login", ctx)
    };
    if let Err(e) = csrf.verify(&form.csrf) {
        return Err(failed(e.status(), super::error_text(lang, &e)));
    }
    match auth::login(store, &form.username, &form.password, client.ip.clone()).await {
        Ok(user) => {
            if let Err(e) = start_session(cookies, store, user.id, &client).await {
                return Err(failed(e.status(), super::error_text(lang, &e)));
            }
            Ok(Redirect::to(
                if user.role == crate::domain::user::Role::Expert {
                    "/me"
                } else {
                    "/"
                },
            ))
        }
        Err(AppError::Unauthorized(_)) => Err(failed(
            Status::Unauthorized,
            crate::web::i18n::catalog(lang.0)["login_failed"].clone(),
        )),
        Err(e) => Err(failed(e.status(), super::error_text(lang, &e))),
    }
}

#[derive(FromForm)]
struct CsrfForm {
    csrf: String,
}

#[post("/logout", data = "<form>")]
async fn logout(
    _user: CurrentUser,
    form: Form<CsrfForm>,
    csrf: Csrf,
    store: &State<Store>,
    cookies: &CookieJar<'_>,
) -> Result<Redirect, AppError> {
    csrf.verify(&form.csrf)?;
    end_session(cookies, store).await?;
    Ok(Redirect::to("/login"))
}

/// The account page: this user's live sessions, with "sign out everywhere".
#[get("/account")]
async fn account(
    user: CurrentUser,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    cookies: &CookieJar<'_>,
) -> Result<Html, AppError> {
    let token = crate::web::guards::session_token(cookies).unwrap_or_default();
    let sessions: Vec<serde_json::Value> = crate::store::sessions::of_user(store, user.0.id.0)
        .await?
        .into_iter()
        .map(|s| {
            json!({
                "issued_at": crate::clock::local_time(&s.issued_at, lang.0),
                "last_seen": crate::clock::local_time(&s.last_seen, lang.0),
                "address": s.address,
                "user_agent": s.user_agent,
                "this_browser": crate::service::sessions::is_token_of(&token, &s),
            })
        })
        .collect();
    let mut ctx = context(lang, Some(&user.0), &csrf.0, "/account");
    ctx.insert("session_count".into(), json!(sessions.len().to_string()));
    ctx.insert("sessions".into(), json!(sessions));
    Ok(render(Status::Ok, "base/account", ctx))
}

#[post("/account/sessions/end", data = "<form>")]
async fn end_all_sessions(
    user: CurrentUser,
    form: Form<CsrfForm>,
    csrf: Csrf,
    store: &State<Store>,
    cookies: &CookieJar<'_>,
) -> Result<Redirect, AppError> {
    csrf.verify(&form.csrf)?;
    crate::service::sessions::close_all(store, user.0.id.0).await?;
    end_session(cookies, store).await?;
    Ok(Redirect::to("/login"))
}

/// Switches the language and goes back to the page (only local paths, never another site).
#[get("/lang/<code>?<next>")]
fn switch_language(code: &str, next: Option<&str>, cookies: &CookieJar<'_>) -> Redirect {
    if LANGUAGES.contains(&code) {
        cookies.add(
            Cookie::build((LANG_COOKIE, code.to_string()))
                .path("/")
                .same_site(SameSite::Lax)
                .permanent(),
        );
    }
    let next = next
        .filter(|n| n.starts_with('/') && !n.starts_with("//"))
        .unwrap_or("/");
    Redirect::to(next.to_string())
}

pub fn routes() -> Vec<rocket::Route> {
    routes![
        home,
        login_page,
        login,
        logout,
        account,
        end_all_sessions,
        switch_language
    ]
}
