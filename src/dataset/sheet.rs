//! Tables as staff bring them, read into CSV text for the one CSV parser, with rows numbered
//! as in the source (row 1 is the header, so "line 5" is row 5 in Excel too): a CSV file in
//! UTF-8 (with or without the byte order mark) or GB18030 (what Excel on Chinese Windows
//! saves), an Excel workbook (first sheet, `.xlsx` or `.xls`), or cells pasted from Excel
//! (tab-separated).

use crate::domain::ValidationError;

/// CSV text from an uploaded file; the error names the file.
pub fn upload_to_csv(file_name: &str, bytes: &[u8]) -> Result<String, ValidationError> {
    let workbook = bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    if workbook {
        return workbook_to_csv(bytes)
            .map_err(|e| ValidationError::new("file", format!("{file_name}: {e}")));
    }
    let text = decode(bytes);
    Ok(pasted_to_csv(&text))
}

/// Text in UTF-8 when it is, else GB18030 (a superset of GBK and GB2312); a leading byte
/// order mark is dropped.
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

/// Pasted text as CSV: cells copied from Excel arrive separated by tabs (and quoted only
/// when they hold a line break); text without tabs is taken as CSV already.
pub fn pasted_to_csv(text: &str) -> String {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.lines().next().unwrap_or_default();
    if !first.contains('\t') {
        return text.to_string();
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    for record in reader.records().flatten() {
        let _ = out.write_record(record.iter().map(str::trim));
    }
    String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn workbook_to_csv(bytes: &[u8]) -> Result<String, String> {
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec()))
        .map_err(|e| format!("not a readable Excel workbook ({e})"))?;
    let sheet = book
        .worksheet_range_at(0)
        .ok_or("the workbook has no sheet")?
        .map_err(|e| format!("the first sheet cannot be read ({e})"))?;
    let mut out = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    for row in sheet.rows() {
        let cells: Vec<String> = row.iter().map(|c| c.to_string().trim().to_string()).collect();
        out.write_record(&cells).map_err(|e| e.to_string())?;
    }
    String::from_utf8(out.into_inner().map_err(|e| e.to_string())?).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_pasted_from_excel_become_csv_and_csv_stays_as_it_is() {
        let pasted = "id\ttitle_zh\nP1\t土壤修复, 第二期\n";
        let csv = pasted_to_csv(pasted);
        assert_eq!(csv, "id,title_zh\nP1,\"土壤修复, 第二期\"\n");
        assert_eq!(pasted_to_csv("id,title\nP1,x\n"), "id,title\nP1,x\n");
    }

    #[test]
    fn gbk_files_and_byte_order_marks_are_read() {
        let (gbk, _, _) = encoding_rs::GBK.encode("id,title_zh\nP1,土壤\n");
        assert_eq!(decode(&gbk), "id,title_zh\nP1,土壤\n");
        assert_eq!(decode("\u{feff}id\n".as_bytes()), "id\n");
    }

    #[test]
    fn an_xlsx_workbook_reads_as_csv_rows() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write(0, 0, "id").unwrap();
        sheet.write(0, 1, "title_zh").unwrap();
        sheet.write(1, 0, "P1").unwrap();
        sheet.write(1, 1, "土壤修复").unwrap();
        sheet.write(2, 0, 17).unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let csv = upload_to_csv("items.xlsx", &bytes).unwrap();
        assert_eq!(csv, "id,title_zh\nP1,土壤修复\n17,\n");
        let e = upload_to_csv("items.xlsx", b"PK\x03\x04 broken").unwrap_err();
        assert!(e.message.contains("items.xlsx"), "{e}");
    }
}
