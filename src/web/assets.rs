//! Static files (`static/`), compiled into the binary and served under `/static/`.

use rocket::http::uri::error::PathError;
use rocket::http::{ContentType, Status};
use rocket::response::{self, Responder, Response};
use rocket::Request;
use rust_embed::{EmbeddedFile, RustEmbed};
use std::path::PathBuf;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Embedded;

/// Browsers may reuse a file for an hour, then revalidate it by its ETag.
const CACHE_CONTROL: &str = "public, max-age=3600";

/// The static file route (mounted at `/static`; public).
pub fn routes() -> Vec<rocket::Route> {
    routes![file]
}

/// A compiled-in file by its path below `static/`. Rocket's `PathBuf` guard refuses `..`,
/// hidden and encoded-slash segments (404 here), and only names present in the binary are
/// found, so nothing else can be read.
#[get("/<path..>")]
fn file(path: Result<PathBuf, PathError>) -> Option<StaticFile> {
    let path = path.ok()?;
    let name = path
        .iter()
        .map(|part| part.to_str())
        .collect::<Option<Vec<_>>>()?
        .join("/");
    let file = Embedded::get(&name)?;
    let content_type = path
        .extension()
        .and_then(|e| e.to_str())
        .and_then(ContentType::from_extension)
        .unwrap_or(ContentType::Binary);
    Some(StaticFile { file, content_type })
}

/// A file with its type, caching headers and an answer to `If-None-Match`.
struct StaticFile {
    file: EmbeddedFile,
    content_type: ContentType,
}

impl<'r> Responder<'r, 'static> for StaticFile {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let etag = format!(
            "\"{}\"",
            hex::encode(&self.file.metadata.sha256_hash()[..16])
        );
        let unchanged = req
            .headers()
            .get("If-None-Match")
            .flat_map(|v| v.split(','))
            .any(|tag| tag.trim() == etag || tag.trim() == "*");
        let mut response = Response::build();
        response
            .raw_header("Cache-Control", CACHE_CONTROL)
            .raw_header("ETag", etag)
            .raw_header("X-Content-Type-Options", "nosniff");
        if unchanged {
            response.status(Status::NotModified);
        } else {
            let data = self.file.data;
            response
                .header(self.content_type)
                .sized_body(data.len(), std::io::Cursor::new(data));
        }
        response.ok()
    }
}
