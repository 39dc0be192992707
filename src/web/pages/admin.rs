//! Account administration page.

use super::{context, render, Html};
use crate::domain::UserId;
use crate::error::{AppError, AppResult};
use crate::service::users::{self, NewUserInput, UserChangeInput};
use crate::store::Store;
use crate::web::guards::{Admin, Csrf};
use crate::web::i18n::Lang;
use rocket::form::Form;
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::State;
use serde_json::json;

async fn page(
    admin: &Admin,
    lang: Lang,
    csrf: &Csrf,
    store: &Store,
    error: Option<&AppError>,
) -> AppResult<Html> {
    let mut ctx = context(lang, Some(&admin.0 .0), &csrf.0, "/admin/users");
    // Show linked experts by their public code, the same value the form takes back.
    let mut users = Vec::new();
    let mut conn = store.pool.acquire().await?;
    for u in crate::store::users::list(store).await? {
        let code = match u.expert_id {
            Some(id) => Some(
                crate::store::experts::get(&mut conn, id)
                    .await?
                    .profile
                    .code,
            ),
            None => None,
        };
        users.push(json!({"id": u.id, "username": u.username, "role": u.role, "active": u.active, "expert_code": code}));
    }
    ctx.insert("users".into(), json!(users));
    let status = match error {
        Some(e) => {
            ctx.insert("error".into(), json!(super::error_text(lang, e)));
            e.status()
        }
        None => Status::Ok,
    };
    Ok(render(status, "admin/users", ctx))
}

#[get("/admin/users")]
async fn list(a: Admin, lang: Lang, csrf: Csrf, store: &State<Store>) -> AppResult<Html> {
    page(&a, lang, &csrf, store, None).await
}

#[derive(FromForm)]
struct NewUserForm {
    username: String,
    password: String,
    role: String,
    expert_code: String,
    csrf: String,
}

#[post("/admin/users", data = "<form>")]
async fn create(
    a: Admin,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    form: Form<NewUserForm>,
) -> AppResult<Result<Redirect, Html>> {
    csrf.verify(&form.csrf)?;
    let form = form.into_inner();
    let input = NewUserInput {
        username: form.username,
        password: form.password,
        role: form.role,
        expert_code: form.expert_code,
    };
    match users::create(store, &a.0.actor(), input).await {
        Ok(_) => Ok(Ok(Redirect::to("/admin/users"))),
        Err(
            e @ (AppError::Validation(_) | AppError::Conflict { .. } | AppError::WrongState(_)),
        ) => Ok(Err(page(&a, lang, &csrf, store, Some(&e)).await?)),
        Err(e) => Err(e),
    }
}

#[derive(FromForm)]
struct ChangeForm {
    role: String,
    expert_code: String,
    active: bool,
    password: String,
    csrf: String,
}

#[post("/admin/users/<id>", data = "<form>")]
async fn change(
    a: Admin,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    form: Form<ChangeForm>,
) -> AppResult<Result<Redirect, Html>> {
    csrf.verify(&form.csrf)?;
    let form = form.into_inner();
    let input = UserChangeInput {
        role: form.role,
        expert_code: Some(if form.expert_code.trim().is_empty() {
            "-".into()
        } else {
            form.expert_code
        }),
        active: Some(form.active),
        password: form.password,
    };
    match users::change(store, &a.0.actor(), UserId(id), input).await {
        Ok(_) => Ok(Ok(Redirect::to("/admin/users"))),
        Err(
            e @ (AppError::Validation(_) | AppError::Conflict { .. } | AppError::WrongState(_)),
        ) => Ok(Err(page(&a, lang, &csrf, store, Some(&e)).await?)),
        Err(e) => Err(e),
    }
}

pub fn routes() -> Vec<rocket::Route> {
    routes![list, create, change]
}
