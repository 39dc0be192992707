//! HTML pages (server-rendered Tera templates; they work without JavaScript).

mod admin;
mod application_files;
mod application_review;
mod applications;
mod audit;
mod auth;
mod calls;
mod event_decisions;
mod event_draws;
mod event_page;
mod event_rules;
mod events;
mod experts;
mod invitations;
mod memberships;
mod messages;
mod pools;
mod registration;
mod roster_files;
mod tracking;
mod verification;

use crate::store::users::User;
use crate::web::i18n::{catalog, Lang};
use crate::web::templates::Page;
pub use applications::DocumentLimit;
use rocket::http::Status;
use rocket::Request;
use serde_json::{json, Map, Value};

/// Every page route.
pub fn routes() -> Vec<rocket::Route> {
    let mut all = Vec::new();
    all.extend(auth::routes());
    all.extend(calls::routes());
    all.extend(registration::routes());
    all.extend(applications::routes());
    all.extend(experts::routes());
    all.extend(admin::routes());
    all.extend(audit::routes());
    all.extend(pools::routes());
    all.extend(memberships::routes());
    all.extend(events::routes());
    all.extend(event_page::routes());
    all.extend(event_decisions::routes());
    all.extend(invitations::routes());
    all.extend(messages::routes());
    all.extend(tracking::routes());
    all.extend(verification::routes());
    all
}

/// A form that carries nothing but its CSRF token.
#[derive(FromForm)]
pub struct CsrfOnly {
    /// The token.
    pub csrf: String,
}

/// The context every page shares: messages, language, user, CSRF token, current path.
pub fn context(lang: Lang, user: Option<&User>, csrf: &str, path: &str) -> Map<String, Value> {
    let mut ctx = Map::new();
    ctx.insert("t".into(), json!(catalog(lang.0)));
    ctx.insert("lang".into(), json!(lang.0));
    ctx.insert("user".into(), user.map(|u| json!({"username": u.username, "role": u.role.as_str(), "expert_id": u.expert_id.map(|e| e.0)})).unwrap_or(Value::Null));
    ctx.insert("csrf".into(), json!(csrf));
    ctx.insert("path".into(), json!(path));
    ctx
}

/// A file download: content type, bytes and the file name offered to the browser.
#[derive(rocket::Responder)]
pub struct Download {
    body: (rocket::http::ContentType, Vec<u8>),
    disposition: rocket::http::Header<'static>,
}

impl Download {
    /// A download named `file_name`.
    pub fn new(content_type: rocket::http::ContentType, bytes: Vec<u8>, file_name: &str) -> Self {
        Download {
            body: (content_type, bytes),
            disposition: rocket::http::Header::new(
                "Content-Disposition",
                format!("attachment; filename=\"{file_name}\""),
            ),
        }
    }
}

/// A rendered page with a status.
pub type Html = (Status, Page);

/// Renders a page.
pub fn render(status: Status, name: &'static str, ctx: Map<String, Value>) -> Html {
    (status, Page::new(name, Value::Object(ctx)))
}

/// The error page (for errors raised by handlers and for catchers).
pub fn error_page(req: &Request<'_>, status: Status, message: &str) -> Html {
    let lang = request_lang(req);
    let mut ctx = context(Lang(lang), None, "", req.uri().path().as_str());
    ctx.insert("status".into(), json!(status.code));
    ctx.insert(
        "message".into(),
        json!(crate::web::i18n::translate(lang, message)),
    );
    render(status, "error/error", ctx)
}

/// The page for an error a handler returned, in the reader's language.
pub fn app_error_page(req: &Request<'_>, e: &crate::error::AppError) -> Html {
    let lang = request_lang(req);
    let mut ctx = context(Lang(lang), None, "", req.uri().path().as_str());
    ctx.insert("status".into(), json!(e.status().code));
    ctx.insert(
        "message".into(),
        json!(crate::web::i18n::error_text(lang, e)),
    );
    render(e.status(), "error/error", ctx)
}

/// An error in the reader's language (for pages that show it in place).
pub fn error_text(lang: Lang, e: &crate::error::AppError) -> String {
    crate::web::i18n::error_text(lang.0, e)
}

/// The language of a request outside a handler (catchers, error responses).
fn request_lang(req: &Request<'_>) -> &'static str {
    req.cookies()
        .get(crate::web::i18n::LANG_COOKIE)
        .map(|c| if c.value() == "en" { "en" } else { "zh" })
        .or_else(|| {
            req.headers()
                .get_one("Accept-Language")
                .and_then(crate::web::i18n::from_accept_language)
        })
        .unwrap_or("zh")
}

/// Percent-encodes a query value (a list's filters carried into its page and export links).
pub(super) fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A query string from pairs, values encoded.
pub(super) fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The title ranks with their words, for selects and checkboxes (a template cannot look up
/// a catalog key with Chinese in it).
pub(super) fn title_choices(lang: Lang) -> Vec<Value> {
    crate::domain::expert::Title::ALL
        .iter()
        .map(|t| {
            let label = catalog(lang.0)
                .get(&format!("title_{}", t.as_str()))
                .cloned()
                .unwrap_or_else(|| t.as_str().to_string());
            json!({"value": t.as_str(), "label": label})
        })
        .collect()
}
