//! Home, login, logout and the language switch.

use super::{context, render, Html};
use crate::error::AppError;
use crate::service::auth;
use crate::store::{experts, users, Store};
use crate::web::guards::{end_session, start_session, ClientIp, Csrf, CurrentUser};
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
    ip: ClientIp,
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
        return Err(failed(e.status(), e.to_string()));
    }
    match auth::login(store, &form.username, &form.password, ip.0).await {
        Ok(user) => {
            start_session(cookies, user.id);
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
        Err(e) => Err(failed(e.status(), e.to_string())),
    }
}

#[derive(FromForm)]
struct CsrfForm {
    csrf: String,
}

#[post("/logout", data = "<form>")]
fn logout(
    _user: CurrentUser,
    form: Form<CsrfForm>,
    csrf: Csrf,
    cookies: &CookieJar<'_>,
) -> Result<Redirect, AppError> {
    csrf.verify(&form.csrf)?;
    end_session(cookies);
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
    routes![home, login_page, login, logout, switch_language]
}
