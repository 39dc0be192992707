//! The OpenAPI document, written by hand next to the handlers and checked by a test that
//! every mounted `/api/v1` route appears in it.

use crate::web::guards::CurrentUser;
use rocket::http::ContentType;

const DOCUMENT: &str = include_str!("openapi.json");

#[get("/openapi.json")]
fn document(_u: CurrentUser) -> (ContentType, &'static str) {
    (ContentType::JSON, DOCUMENT)
}

/// (METHOD, path) pairs the document describes, paths relative to `/api/v1`.
pub fn documented_paths() -> Vec<(String, String)> {
    let doc: serde_json::Value = serde_json::from_str(DOCUMENT).unwrap_or_default();
    let mut out = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, methods) in paths {
            for method in methods.as_object().into_iter().flat_map(|m| m.keys()) {
                out.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

pub fn routes() -> Vec<rocket::Route> {
    routes![document]
}
