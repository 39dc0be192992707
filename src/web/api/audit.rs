//! The audit log, for administrators and supervisors.

use super::Page;
use crate::error::AppResult;
use crate::store::audit::{search, AuditEntry, AuditFilter};
use crate::store::Store;
use crate::web::guards::AuditReader;
use rocket::serde::json::Json;
use rocket::State;

/// Query parameters, shared with the HTML page.
#[derive(Debug, Default, FromForm)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub entity: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// `at` (default), `actor`, `action` or `entity`.
    pub sort: Option<String>,
    /// `desc` (default) or `asc`.
    pub dir: Option<String>,
}

impl AuditQuery {
    /// The store filter.
    pub fn filter(&self) -> AuditFilter {
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        AuditFilter {
            actor: s(&self.actor),
            action: s(&self.action),
            entity_ref: s(&self.entity),
            from: s(&self.from),
            to: s(&self.to),
            page: self.page.unwrap_or(1).clamp(1, 100_000),
            per_page: self.per_page.unwrap_or(50).clamp(1, 500),
            sort: s(&self.sort),
            ascending: self.dir.as_deref() == Some("asc"),
        }
    }
}

#[get("/audit?<query..>")]
async fn list(
    _r: AuditReader,
    store: &State<Store>,
    query: AuditQuery,
) -> AppResult<Json<Page<AuditEntry>>> {
    let f = query.filter();
    let (items, total) = search(store, &f).await?;
    Ok(Json(Page {
        items,
        total,
        page: f.page,
        per_page: f.per_page,
    }))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![list]
}
