//! `export DIR [--force]`: the database as a sample-format folder, the inverse of
//! `import DIR` (`service::export` reads, `Dataset::write` writes and reads back).

use super::service::{runtime, sqlite_file};
use super::usage::EXPORT;
use crate::config::{database_url_from_env, redact_url};
use crate::store::Store;
use std::path::Path;

/// Runs the command.
pub fn run(raw: &[String]) -> Result<(), String> {
    let args = EXPORT.parse(raw)?;
    let [dir] = args.positional() else {
        return Err(EXPORT.hint("give the one folder to write"));
    };
    let url = database_url_from_env();
    // Opening a SQLite file that is not there would create an empty database and export only
    // the classification: a mistyped DATABASE_URL is named instead.
    if let Some(db) = sqlite_file(&url) {
        if !db.exists() {
            return Err(format!(
                "there is no database {} (DATABASE_URL); nothing exported",
                db.display()
            ));
        }
    }
    let snapshot = runtime()?.block_on(async {
        let store = Store::connect(&url)
            .await
            .map_err(|e| format!("cannot open {}: {e}", redact_url(&url)))?;
        crate::service::export::snapshot(&store)
            .await
            .map_err(|e| e.to_string())
    })?;
    let written = snapshot
        .data
        .write(Path::new(dir), args.flag("force"))
        .map_err(|e| format!("export failed: {e}"))?;
    for note in snapshot.notes.iter().chain(&written.differences) {
        eprintln!("warning: {note}");
    }
    out!("exported to {dir}:")?;
    for (file, rows) in &written.files {
        let unit = if *file == "events.json" {
            "events"
        } else {
            "rows"
        };
        out!("  {file:<18} {rows:>7} {unit}")?;
    }
    Ok(())
}
