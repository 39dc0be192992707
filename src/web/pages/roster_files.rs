//! The event roster and the pool roster as office files (CSV with a byte order mark, XLSX),
//! in the reader's language: headers from the catalog, roles, answers, states and regions
//! in words, employers by name. The JSON API's CSV keeps codes for programs.

use crate::error::{AppError, AppResult};
use crate::store::invitations::InvitationRow;
use crate::store::memberships::RosterLine;
use crate::web::i18n::{catalog, Lang};
use std::collections::BTreeMap;

/// A table: header and rows of text.
pub struct Table {
    /// Column names.
    pub header: Vec<String>,
    /// Cells.
    pub rows: Vec<Vec<String>>,
}

fn word(lang: Lang, key: &str) -> String {
    catalog(lang.0).get(key).cloned().unwrap_or_default()
}

fn word_or(lang: Lang, prefix: &str, value: &str) -> String {
    if value.is_empty() {
        return String::new();
    }
    catalog(lang.0)
        .get(&format!("{prefix}{value}"))
        .cloned()
        .unwrap_or_else(|| value.to_string())
}

/// Organization names by id in the reader's language.
pub async fn org_names(
    store: &crate::store::Store,
    lang: Lang,
) -> AppResult<BTreeMap<String, String>> {
    Ok(crate::store::reference::organizations(store)
        .await?
        .into_iter()
        .map(|o| {
            let name = if lang.0 == "en" && !o.name_en.is_empty() {
                o.name_en
            } else {
                o.name_zh
            };
            (o.id, name)
        })
        .collect())
}

/// The event roster.
pub fn event_roster(rows: &[InvitationRow], lang: Lang, orgs: &BTreeMap<String, String>) -> Table {
    let header = [
        "panels",
        "role",
        "col_code",
        "col_name",
        "field_title",
        "col_org",
        "field_email",
        "field_phone",
        "inv_status",
        "attendance",
    ]
    .iter()
    .map(|k| word(lang, k))
    .collect();
    let rows = rows
        .iter()
        .map(|r| {
            vec![
                r.panel_code.clone(),
                word_or(lang, "role_", &r.role),
                r.expert_code.clone(),
                r.expert_name.clone(),
                word_or(lang, "title_", &r.title),
                orgs.get(&r.organization_code)
                    .cloned()
                    .unwrap_or_else(|| r.organization_code.clone()),
                r.email.clone().unwrap_or_default(),
                r.phone.clone(),
                word_or(lang, "st_", &r.status),
                word_or(lang, "att_", &r.attendance),
            ]
        })
        .collect();
    Table { header, rows }
}

/// The pool roster.
pub fn pool_roster(lines: &[RosterLine], lang: Lang, orgs: &BTreeMap<String, String>) -> Table {
    let header = [
        "col_code",
        "col_name",
        "field_title",
        "col_org",
        "field_region",
        "col_state",
        "col_since",
        "col_term_end",
        "col_reason",
    ]
    .iter()
    .map(|k| word(lang, k))
    .collect();
    let rows = lines
        .iter()
        .map(|l| {
            vec![
                l.code.clone(),
                l.name.clone(),
                word_or(lang, "title_", &l.title),
                orgs.get(&l.organization_code)
                    .cloned()
                    .unwrap_or_else(|| l.organization_code.clone()),
                word_or(lang, "region_", &l.region),
                word_or(lang, "state_", &l.state),
                l.since.clone(),
                l.term_end.clone().unwrap_or_default(),
                word_or(lang, "reason_", &l.reason),
            ]
        })
        .collect();
    Table { header, rows }
}

impl Table {
    /// As CSV (byte order mark, formula cells neutralised).
    pub fn csv(&self) -> AppResult<String> {
        let header: Vec<&str> = self.header.iter().map(String::as_str).collect();
        crate::web::export::csv_document(&header, self.rows.iter())
    }

    /// As an XLSX workbook with one sheet.
    pub fn xlsx(&self) -> AppResult<Vec<u8>> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        let err = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
        let bold = rust_xlsxwriter::Format::new().set_bold();
        for (c, h) in self.header.iter().enumerate() {
            sheet
                .write_string_with_format(0, c as u16, h, &bold)
                .map_err(err)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                sheet.write_string(r as u32 + 1, c as u16, v).map_err(err)?;
            }
        }
        sheet.autofit();
        book.save_to_buffer().map_err(err)
    }
}
