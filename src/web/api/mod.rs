//! The JSON API under `/api/v1` (DESIGN §12).

mod audit;
pub mod body;
mod events;
mod experts;
pub mod invitations;
mod messages;
pub use audit::AuditQuery;
pub use experts::ListQuery;
mod openapi;
pub mod pools;
mod reference;
mod session;
pub mod tracking;
mod users;

use serde::Serialize;

/// Every API route, mounted at `/api/v1`.
pub fn routes() -> Vec<rocket::Route> {
    let mut all = Vec::new();
    all.extend(session::routes());
    all.extend(experts::routes());
    all.extend(reference::routes());
    all.extend(audit::routes());
    all.extend(users::routes());
    all.extend(pools::routes());
    all.extend(events::routes());
    all.extend(invitations::routes());
    all.extend(messages::routes());
    all.extend(tracking::routes());
    all.extend(openapi::routes());
    all
}

/// A page of a list.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Matching rows in all pages.
    pub total: i64,
    /// Page number, 1-based.
    pub page: i64,
    /// Page size.
    pub per_page: i64,
}

/// The documented OpenAPI paths, for the test that every route is documented.
pub use openapi::documented_paths;
