//! The Rocket application: guards, pages, JSON API, catchers.

pub mod api;
pub mod assets;
pub mod charts;
pub mod export;
pub mod guards;
pub mod i18n;
pub mod pages;
pub mod templates;

use crate::config::Config;
use crate::error::AppError;
use crate::store::Store;
use rocket::data::ToByteUnit;
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{Build, Request, Rocket};

/// Builds the service from its settings and an open store (used by `main` and every test).
pub fn build(config: &Config, store: Store) -> Rocket<Build> {
    let mut figment = rocket::Config::figment()
        .merge(("secret_key", config.secret_key.clone()))
        // Item lists arrive as CSV bodies and form fields: allow a few thousand rows.
        .merge((
            "limits",
            rocket::data::Limits::default()
                .limit("string", 8.mebibytes())
                .limit("form", 8.mebibytes())
                .limit("json", 4.mebibytes())
                // An applicant's document: the configured size and room for the form around
                // it, so that a larger file gets a clear message rather than a cut-off upload.
                .limit("file", (config.max_document_bytes + (1 << 20)).bytes())
                .limit("data-form", (config.max_document_bytes + (2 << 20)).bytes()),
        ));
    if let Some(port) = config.port {
        figment = figment.merge(("port", port));
    }
    rocket::custom(figment)
        .manage(store)
        .manage(pages::DocumentLimit(config.max_document_bytes))
        .manage(crate::domain::application::RegistrationLimits::default())
        .attach(templates::Templates::fairing(config.templates_dir.clone()))
        .mount("/", pages::routes())
        .mount("/api/v1", api::routes())
        .mount("/static", assets::routes())
        .register("/", catchers![page_unauthorized, page_error])
        .register("/api", catchers![api_error])
}

#[catch(401)]
fn page_unauthorized(req: &Request<'_>) -> Redirect {
    let next = req.uri().path().to_string();
    Redirect::to(format!("/login?next={next}"))
}

#[catch(default)]
fn page_error(status: Status, req: &Request<'_>) -> pages::Html {
    // (English here as everywhere in the code; the page shows it in the reader's language)
    let message = match status.code {
        400 => "the request could not be read",
        403 => "you are not allowed to see this page",
        404 => "page not found",
        413 => "the file or the form is too large",
        422 => "the form could not be read: a field is missing or has the wrong kind of value; go back and check the form",
        500 => "internal error",
        _ => "the request failed",
    };
    pages::error_page(req, status, message)
}

#[catch(default)]
fn api_error(status: Status, _req: &Request<'_>) -> (Status, (rocket::http::ContentType, String)) {
    let error = match status.code {
        400 => AppError::BadRequest("the request body is not valid JSON".into()),
        401 => AppError::Unauthorized("log in first: POST /api/v1/session".into()),
        403 => AppError::Forbidden("your role may not do this".into()),
        404 => AppError::NotFound("resource".into()),
        422 => AppError::BadRequest(
            "the request body does not have the expected shape (see /api/v1/openapi.json)".into(),
        ),
        415 => {
            let body = serde_json::json!({"error": {"code": "unsupported_media_type", "message": "send the body as JSON with Content-Type: application/json"}});
            return (status, (rocket::http::ContentType::JSON, body.to_string()));
        }
        _ => AppError::Internal(status.to_string()),
    };
    (status, (rocket::http::ContentType::JSON, error.json()))
}
