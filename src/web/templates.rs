//! Page templates, compiled into the binary so that the one file runs anywhere.
//!
//! A template's name is its path below `templates/` without `.html.tera`: `staff/event` is
//! `templates/staff/event.html.tera`, and `{% extends "base/layout" %}` names its parent so.
//! A folder given as `EXPERTPOOL_TEMPLATES_DIR` may hold files laid out the same way; each
//! replaces the compiled-in template of the same name (or adds one, e.g. a partial that an
//! overridden layout includes), so a bureau can change its header without rebuilding.

use rocket::fairing::AdHoc;
use rocket::http::Status;
use rocket::response::{self, content::RawHtml, Responder};
use rocket::Request;
use rust_embed::RustEmbed;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The extension of template files; a template's name is its relative path without it.
const EXTENSION: &str = ".html.tera";

#[derive(RustEmbed)]
#[folder = "templates/"]
struct Embedded;

/// The parsed templates, kept in Rocket's managed state.
pub struct Templates(tera::Tera);

impl Templates {
    /// The compiled-in templates, each replaced by the file of the same name under `overrides`.
    pub fn load(overrides: Option<&Path>) -> Result<Self, String> {
        let mut sources = BTreeMap::new();
        for path in Embedded::iter() {
            let Some(name) = path.strip_suffix(EXTENSION) else {
                continue;
            };
            let file = Embedded::get(&path).ok_or_else(|| format!("{path} is not embedded"))?;
            let text = String::from_utf8(file.data.into_owned())
                .map_err(|_| format!("template {path} is not UTF-8"))?;
            sources.insert(name.to_string(), text);
        }
        if let Some(dir) = overrides {
            for (name, path) in template_files(dir)? {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                sources.insert(name, text);
            }
        }
        let mut tera = tera::Tera::default();
        // Every template is HTML, and names carry no extension: escape output in all of them.
        tera.autoescape_on(vec![""]);
        tera.add_raw_templates(sources)
            .map_err(|e| format!("the templates do not parse: {}", chain(&e)))?;
        Ok(Templates(tera))
    }

    /// Loads the templates when the service starts; a broken override stops the launch.
    pub fn fairing(overrides: Option<PathBuf>) -> AdHoc {
        AdHoc::try_on_ignite("Templates", |rocket| async move {
            match Templates::load(overrides.as_deref()) {
                Ok(templates) => {
                    if let Some(dir) = &overrides {
                        println!("templates: overrides from {}", dir.display());
                    }
                    Ok(rocket.manage(templates))
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    Err(rocket)
                }
            }
        })
    }

    /// Renders the template `name` with a JSON object as its context.
    pub fn render(&self, name: &str, context: &Value) -> Result<String, String> {
        let context = tera::Context::from_serialize(context).map_err(|e| chain(&e))?;
        self.0.render(name, &context).map_err(|e| chain(&e))
    }
}

/// The `*.html.tera` files below `dir`, by template name (`/`-separated on every platform).
fn template_files(dir: &Path) -> Result<BTreeMap<String, PathBuf>, String> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, PathBuf>) -> Result<(), String> {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            format!(
                "EXPERTPOOL_TEMPLATES_DIR: cannot read {}: {e}",
                dir.display()
            )
        })?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
            let path = entry.path();
            let Some(file_name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if path.is_dir() {
                walk(&path, &format!("{prefix}{file_name}/"), out)?;
            } else if let Some(stem) = file_name.strip_suffix(EXTENSION) {
                out.insert(format!("{prefix}{stem}"), path);
            }
        }
        Ok(())
    }
    let mut out = BTreeMap::new();
    walk(dir, "", &mut out)?;
    Ok(out)
}

/// An error and its causes on one line (Tera puts the useful part in the causes).
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A page to render at response time: a template name and its context.
pub struct Page {
    name: &'static str,
    context: Value,
}

impl Page {
    /// The template `name` with `context` (a JSON object).
    pub fn new(name: &'static str, context: Value) -> Self {
        Page { name, context }
    }
}

impl<'r> Responder<'r, 'static> for Page {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let templates = req.rocket().state::<Templates>().ok_or_else(|| {
            eprintln!(
                "error: page {} requested before templates were loaded",
                self.name
            );
            Status::InternalServerError
        })?;
        match templates.render(self.name, &self.context) {
            Ok(html) => RawHtml(html).respond_to(req),
            Err(e) => {
                eprintln!("error: page {}: {e}", self.name);
                Err(Status::InternalServerError)
            }
        }
    }
}
