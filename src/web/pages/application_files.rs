//! An application's documents as pages: upload (checked by content), take off, download
//! (the applicant and staff only, always as an attachment).

use super::applications::{actor, back, is_applicant, settle, viewer, DocumentLimit, Outcome};
use crate::domain::application::Document;
use crate::error::{AppError, AppResult};
use crate::service::applications as service;
use crate::store::Store;
use crate::web::guards::{Csrf, CurrentUser};
use crate::web::i18n::Lang;
use rocket::form::Form;
use rocket::fs::TempFile;
use rocket::http::{ContentType, Header};
use rocket::response::{Flash, Redirect};
use rocket::State;

#[derive(FromForm)]
struct UploadForm<'r> {
    #[field(default = String::new())]
    kind: String,
    file: Option<TempFile<'r>>,
    #[field(default = String::new())]
    csrf: String,
}

async fn read_upload(file: &TempFile<'_>) -> AppResult<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut reader = file
        .open()
        .await
        .map_err(|e| AppError::BadRequest(format!("the uploaded file cannot be read: {e}")))?;
    tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut bytes)
        .await
        .map_err(|e| AppError::BadRequest(format!("the uploaded file cannot be read: {e}")))?;
    Ok(bytes)
}

#[post("/applications/<id>/documents", data = "<form>")]
async fn upload(
    user: CurrentUser,
    lang: Lang,
    csrf: Csrf,
    limit: &State<DocumentLimit>,
    store: &State<Store>,
    id: i64,
    form: Form<UploadForm<'_>>,
) -> Outcome {
    csrf.verify(&form.csrf)?;
    if !is_applicant(&user) {
        return Err(AppError::Forbidden(
            "only the applicant uploads documents".into(),
        ));
    }
    let (name, bytes) = match &form.file {
        Some(f) if f.len() > 0 => (
            f.raw_name()
                .map(|n| n.dangerous_unsafe_unsanitized_raw().as_str().to_string())
                .unwrap_or_default(),
            read_upload(f).await?,
        ),
        _ => (String::new(), Vec::new()),
    };
    let done = match Document::check(&form.kind, &name, bytes, limit.0) {
        Ok(doc) => service::upload(store, &actor(&user), user.0.id, id, &doc)
            .await
            .map(|_| ()),
        Err(e) => Err(e.into()),
    };
    settle(&user, lang, &csrf, store, id, done, "app_uploaded").await
}

#[post("/applications/<id>/documents/<doc>/remove", data = "<form>")]
async fn remove_document(
    user: CurrentUser,
    csrf: Csrf,
    store: &State<Store>,
    id: i64,
    doc: i64,
    form: Form<super::CsrfOnly>,
) -> AppResult<Flash<Redirect>> {
    csrf.verify(&form.csrf)?;
    service::remove_document(store, &actor(&user), user.0.id, id, doc).await?;
    Ok(back(id, "app_document_removed"))
}

/// A stored document, only for its applicant and staff, always as a download: the browser is
/// told not to guess its type nor to run anything in it.
#[derive(rocket::Responder)]
struct DocumentFile {
    body: (ContentType, Vec<u8>),
    disposition: Header<'static>,
    nosniff: Header<'static>,
    policy: Header<'static>,
}

#[get("/applications/<id>/documents/<doc>")]
async fn document(
    user: CurrentUser,
    store: &State<Store>,
    id: i64,
    doc: i64,
) -> AppResult<DocumentFile> {
    let (info, bytes) = service::document(store, id, doc, viewer(&user)).await?;
    let content_type =
        ContentType::parse_flexible(&info.content_type).unwrap_or(ContentType::Binary);
    let ascii: String = info
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok(DocumentFile {
        body: (content_type, bytes),
        disposition: Header::new(
            "Content-Disposition",
            format!(
                "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
                super::urlencode(&info.file_name)
            ),
        ),
        nosniff: Header::new("X-Content-Type-Options", "nosniff"),
        policy: Header::new("Content-Security-Policy", "sandbox; default-src 'none'"),
    })
}

pub fn routes() -> Vec<rocket::Route> {
    routes![upload, remove_document, document]
}
