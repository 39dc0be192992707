//! CSV downloads that are safe to open in a spreadsheet: a cell that begins with `=`, `+`, `-`,
//! `@`, a tab or a carriage return is read as a formula by Excel and WPS, so such cells get a
//! leading apostrophe (OWASP's advice for CSV injection). Every CSV the service sends goes
//! through here.

use crate::error::{AppError, AppResult};

/// The cell as a spreadsheet will show it, never as a formula.
pub fn neutral(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// A CSV document from a header and rows, every cell neutralised, starting with a UTF-8 byte
/// order mark: without it Excel and WPS on a Chinese Windows read the file as GBK and show
/// every name garbled.
pub fn csv_document<R, C>(header: &[&str], rows: impl IntoIterator<Item = R>) -> AppResult<String>
where
    R: IntoIterator<Item = C>,
    C: AsRef<str>,
{
    let io = |e: csv::Error| AppError::Internal(e.to_string());
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).map_err(io)?;
    for row in rows {
        let cells: Vec<String> = row
            .into_iter()
            .map(|c| neutral(c.as_ref()).into_owned())
            .collect();
        w.write_record(&cells).map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(format!("\u{feff}{text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_and_others_kept() {
        assert_eq!(
            neutral("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(neutral("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutral("+8613800000000"), "'+8613800000000");
        assert_eq!(neutral("王芳"), "王芳");
        assert_eq!(neutral(""), "");
        let doc = csv_document(&["name"], [["-1+1"]]).unwrap();
        assert_eq!(doc, "\u{feff}name\n'-1+1\n");
    }
}
