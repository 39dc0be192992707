//! Writing a sample-format folder (the inverse of [`Dataset::load`]): the same files, headers
//! and list separators, UTF-8 without BOM, `\n` line ends, RFC 4180 quoting.
//!
//! The files are written beside each other in a hidden staging folder inside the target, read
//! back with `Dataset::load` (what `import` does) and only then renamed into place one by one,
//! so the target never holds a half-written file, nor a file that `import` would refuse.

use super::rows::{DisciplineRow, ExpertRow, ProjectRow, RelationRow};
use super::{Dataset, EventSpec, HistoryRow, LoadError, MembershipRow};
use crate::domain::organization::OrganizationInput;
use serde::Serialize;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Why nothing (or not everything) was written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The target holds files already and `--force` was not given.
    #[error("{0} is not empty (give --force to replace the files of the export in it)")]
    NotEmpty(PathBuf),
    /// A file system error, with the path it concerns.
    #[error("{path}: {message}")]
    Io {
        /// The path.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A row that could not be turned into CSV.
    #[error("{file} line {line}: {message}")]
    Encode {
        /// File name.
        file: &'static str,
        /// The line the row would have started on.
        line: u64,
        /// What went wrong.
        message: String,
    },
    /// The written files would not import (nothing was moved into the target).
    #[error("the export would not import: {0}")]
    Unreadable(LoadError),
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> ExportError + '_ {
    move |e| ExportError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// What was written: rows per file, and values that read back differently from what the
/// database holds (a file and line each; the files were written all the same).
#[derive(Debug, Clone, Default)]
pub struct Written {
    /// `(file name, rows)` in the order of the import.
    pub files: Vec<(&'static str, usize)>,
    /// Rows that `import` would read back differently.
    pub differences: Vec<String>,
}

/// One file in memory: its bytes, rows, and the line each row starts on.
struct File {
    name: &'static str,
    bytes: Vec<u8>,
    lines: Vec<u64>,
}

/// The header line of `R`'s CSV form, taken from serde's field names so that it is the header
/// the import reads, even for a file without rows.
fn header<R: Serialize + Default>(file: &'static str) -> Result<Vec<u8>, ExportError> {
    let mut w = writer(true, Vec::new());
    let encode = |message: String| ExportError::Encode {
        file,
        line: 1,
        message,
    };
    w.serialize(R::default())
        .and_then(|()| w.flush().map_err(csv::Error::from))
        .map_err(|e| encode(e.to_string()))?;
    let bytes = w.get_ref();
    let end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(bytes.len());
    let mut line = bytes[..end].to_vec();
    line.push(b'\n');
    Ok(line)
}

/// A CSV writer of the format after `start`: RFC 4180 quoting where needed, `\n` after
/// every row.
fn writer(headers: bool, start: Vec<u8>) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .has_headers(headers)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(start)
}

fn csv_file<R: Serialize + Default>(
    name: &'static str,
    rows: impl IntoIterator<Item = R>,
) -> Result<File, ExportError> {
    let mut w = writer(false, header::<R>(name)?);
    let mut lines = Vec::new();
    let mut line = 2u64;
    for row in rows {
        let offset = w.get_ref().len();
        w.serialize(row)
            .and_then(|()| w.flush().map_err(csv::Error::from))
            .map_err(|e| ExportError::Encode {
                file: name,
                line,
                message: e.to_string(),
            })?;
        lines.push(line);
        // A quoted value may hold line breaks: the next row starts after all of them.
        line += w.get_ref()[offset..]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
    }
    Ok(File {
        name,
        bytes: w.into_inner().map_err(|e| ExportError::Encode {
            file: name,
            line,
            message: e.error().to_string(),
        })?,
        lines,
    })
}

/// events.json as the import reads it.
#[derive(Serialize)]
struct EventsJson<'a> {
    events: &'a [EventSpec],
}

fn events_file(events: &[EventSpec]) -> Result<File, ExportError> {
    let mut bytes = Vec::new();
    // One-space indent and a final line end, as in the sample.
    let mut serializer = serde_json::Serializer::with_formatter(
        &mut bytes,
        serde_json::ser::PrettyFormatter::with_indent(b" "),
    );
    EventsJson { events }
        .serialize(&mut serializer)
        .map_err(|e| ExportError::Encode {
            file: "events.json",
            line: 0,
            message: e.to_string(),
        })?;
    bytes.push(b'\n');
    Ok(File {
        name: "events.json",
        bytes,
        lines: vec![0; events.len()],
    })
}

/// Every file of the folder, in import order.
fn files(data: &Dataset) -> Result<Vec<File>, ExportError> {
    let organizations = data.organizations.iter().map(|o| OrganizationInput {
        id: o.id.clone(),
        name_zh: o.name_zh.clone(),
        name_en: o.name_en.clone(),
        kind: o.kind.clone(),
        region: o.region.as_str().into(),
        city: o.city.clone(),
    });
    let mut experts = Vec::with_capacity(data.experts.len());
    let mut relations = Vec::new();
    for p in &data.experts {
        let mut input = p.to_input();
        for r in std::mem::take(&mut input.relations) {
            relations.push(RelationRow::from_input(&p.code, r));
        }
        experts.push(ExpertRow::from_input(input));
    }
    Ok(vec![
        csv_file("organizations.csv", organizations)?,
        csv_file(
            "disciplines.csv",
            data.disciplines.iter().map(DisciplineRow::from_domain),
        )?,
        csv_file("experts.csv", experts)?,
        csv_file("relations.csv", relations)?,
        csv_file("memberships.csv", data.memberships.iter().cloned())?,
        csv_file("history.csv", data.history.iter().cloned())?,
        csv_file(
            "projects.csv",
            data.projects.iter().map(ProjectRow::from_item),
        )?,
        events_file(&data.events)?,
    ])
}

/// Refuses a folder with anything in it unless `force`; creates a missing one.
fn prepare(dir: &Path, force: bool) -> Result<(), ExportError> {
    if !dir.exists() {
        return fs::create_dir_all(dir).map_err(io(dir));
    }
    if !dir.is_dir() {
        return Err(ExportError::Io {
            path: dir.to_path_buf(),
            message: "is not a folder".into(),
        });
    }
    let mut entries = fs::read_dir(dir).map_err(io(dir))?;
    if !force && entries.next().is_some() {
        return Err(ExportError::NotEmpty(dir.to_path_buf()));
    }
    Ok(())
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    let mut f = fs::File::create(path).map_err(io(path))?;
    f.write_all(bytes).map_err(io(path))?;
    // On disk before the rename makes it visible under its real name.
    f.sync_all().map_err(io(path))
}

/// The rows of `written` that differ from `read`, as `file line N: what`.
fn compare<T: PartialEq>(
    file: &File,
    written: &[T],
    read: &[T],
    key: impl Fn(&T) -> String,
    out: &mut Vec<String>,
) {
    for (i, w) in written.iter().enumerate() {
        if read.get(i) != Some(w) {
            let place = match file.lines.get(i) {
                Some(&line) if line > 0 => format!("{} line {line}", file.name),
                _ => file.name.to_string(),
            };
            out.push(format!(
                "{place} ({}): reads back differently from the database",
                key(w)
            ));
        }
    }
    if read.len() > written.len() {
        out.push(format!(
            "{}: reads back {} rows, {} written",
            file.name,
            read.len(),
            written.len()
        ));
    }
}

fn differences(files: &[File], data: &Dataset, read: &Dataset) -> Vec<String> {
    let mut out = Vec::new();
    // In the order `files` makes them; relations.csv is compared within the experts.
    let [orgs, codes, experts, _, memberships, history, projects, events] = files else {
        return out;
    };
    let (d, r) = (data, read);
    compare(
        orgs,
        &d.organizations,
        &r.organizations,
        |o| o.id.clone(),
        &mut out,
    );
    compare(
        codes,
        &d.disciplines,
        &r.disciplines,
        |c| c.code.to_string(),
        &mut out,
    );
    compare(
        experts,
        &d.experts,
        &r.experts,
        |e| e.code.clone(),
        &mut out,
    );
    let member = |m: &MembershipRow| format!("{} {}", m.expert_id, m.pool);
    compare(
        memberships,
        &d.memberships,
        &r.memberships,
        member,
        &mut out,
    );
    let record = |h: &HistoryRow| format!("{} {}", h.expert_id, h.event_id);
    compare(history, &d.history, &r.history, record, &mut out);
    compare(
        projects,
        &d.projects,
        &r.projects,
        |p| p.key.clone(),
        &mut out,
    );
    compare(events, &d.events, &r.events, |e| e.id.clone(), &mut out);
    out
}

impl Dataset {
    /// Writes the folder `dir` (created when missing; refused when it holds anything and
    /// `force` is false). Every file is written even when it has no rows, so that a forced
    /// export over an older one leaves no file of the older one for `import` to read.
    pub fn write(&self, dir: &Path, force: bool) -> Result<Written, ExportError> {
        prepare(dir, force)?;
        let files = files(self)?;
        let staging = dir.join(format!(".expertpool-export-{}", std::process::id()));
        let result = stage_and_publish(self, dir, &staging, &files);
        // Whatever happened, no staging folder stays behind (it is empty after a success).
        let _ = fs::remove_dir_all(&staging);
        result
    }
}

fn stage_and_publish(
    data: &Dataset,
    dir: &Path,
    staging: &Path,
    files: &[File],
) -> Result<Written, ExportError> {
    fs::create_dir_all(staging).map_err(io(staging))?;
    for f in files {
        write_synced(&staging.join(f.name), &f.bytes)?;
    }
    let read = Dataset::load(staging).map_err(ExportError::Unreadable)?;
    let differences = differences(files, data, &read);
    for f in files {
        let to = dir.join(f.name);
        fs::rename(staging.join(f.name), &to).map_err(io(&to))?;
    }
    // The renames are durable once the folder's own entry list is on disk.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(Written {
        files: files.iter().map(|f| (f.name, f.lines.len())).collect(),
        differences,
    })
}

#[cfg(test)]
mod tests;
