//! The audit log page.

use super::{context, render, Html};
use crate::error::AppResult;
use crate::store::audit::search;
use crate::store::Store;
use crate::web::api::AuditQuery;
use crate::web::guards::{AuditReader, Csrf};
use crate::web::i18n::Lang;
use rocket::http::Status;
use rocket::State;
use serde_json::json;

#[get("/audit?<query..>")]
async fn list(
    r: AuditReader,
    lang: Lang,
    csrf: Csrf,
    store: &State<Store>,
    query: AuditQuery,
) -> AppResult<Html> {
    let f = query.filter();
    let (items, total) = search(store, &f).await?;
    let mut ctx = context(lang, Some(&r.0 .0), &csrf.0, "/audit");
    ctx.insert("items".into(), json!(items));
    ctx.insert("total".into(), json!(total));
    ctx.insert("filter".into(), json!({"actor": f.actor, "action": f.action, "entity": f.entity_ref, "from": f.from, "to": f.to}));
    ctx.insert("page".into(), json!(f.page));
    ctx.insert("has_next".into(), json!(f.page * f.per_page < total));
    Ok(render(Status::Ok, "supervisor/audit", ctx))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![list]
}
