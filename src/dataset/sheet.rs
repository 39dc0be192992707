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
    let mut out = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    for record in reader.records().flatten() {
        let _ = out.write_record(record.iter().map(str::trim));
    }
    String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Chinese column names an office sheet uses for the item columns (`projects.csv` names work
/// as they are).
const ITEM_HEADERS: [(&str, &str); 16] = [
    ("编号", "id"),
    ("项目编号", "id"),
    ("项目名称", "title_zh"),
    ("名称", "title_zh"),
    ("英文名称", "title_en"),
    ("申报单位", "applicant_org_id"),
    ("项目组成员", "team"),
    ("学科", "disciplines"),
    ("学科代码", "disciplines"),
    ("关键词", "keywords_zh"),
    ("摘要", "abstract_zh"),
    ("申请回避", "requested_avoid"),
    ("申请回避专家", "requested_avoid"),
    ("曾任角色", "prior_role"),
    ("前期项目", "earlier_items"),
    ("前期项目编号", "earlier_items"),
];

/// The Chinese header row of an item sheet, as the template offers it.
pub fn item_template_header() -> Vec<&'static str> {
    vec![
        "项目编号",
        "项目名称",
        "英文名称",
        "申报单位",
        "项目组成员",
        "学科代码",
        "关键词",
        "摘要",
        "申请回避专家",
        "曾任角色",
        "前期项目编号",
    ]
}

/// Item CSV with Chinese column names renamed to the `projects.csv` ones, and applicant
/// organizations given by name (`兰州大学`) replaced by their codes; several applicants are
/// separated by `;` (or `；`, `、`).
pub fn normalize_items(csv_text: &str, org_code_of: &dyn Fn(&str) -> Option<String>) -> String {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv_text.as_bytes());
    let mut out = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    let mut org_column = None;
    for (n, record) in reader.records().enumerate() {
        let Ok(record) = record else {
            // Leave broken text to the parser, which names the line.
            return csv_text.to_string();
        };
        let cells: Vec<String> = if n == 0 {
            record
                .iter()
                .map(|h| {
                    let h = h.trim();
                    ITEM_HEADERS
                        .iter()
                        .find(|(zh, _)| *zh == h)
                        .map_or(h, |(_, en)| en)
                        .to_string()
                })
                .collect()
        } else {
            record
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    if Some(i) != org_column {
                        return c.to_string();
                    }
                    c.split([';', '；', '、'])
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(|p| org_code_of(p).unwrap_or_else(|| p.to_string()))
                        .collect::<Vec<_>>()
                        .join(";")
                })
                .collect()
        };
        if n == 0 {
            org_column = cells.iter().position(|h| h == "applicant_org_id");
        }
        if out.write_record(&cells).is_err() {
            return csv_text.to_string();
        }
    }
    out.into_inner()
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_else(|| csv_text.to_string())
}

fn workbook_to_csv(bytes: &[u8]) -> Result<String, String> {
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec()))
        .map_err(|e| format!("not a readable Excel workbook ({e})"))?;
    let sheet = book
        .worksheet_range_at(0)
        .ok_or("the workbook has no sheet")?
        .map_err(|e| format!("the first sheet cannot be read ({e})"))?;
    let mut out = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    for row in sheet.rows() {
        let cells: Vec<String> = row
            .iter()
            .map(|c| c.to_string().trim().to_string())
            .collect();
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
    fn chinese_headers_and_organization_names_are_understood() {
        let lookup = |name: &str| (name == "兰州大学").then(|| "lzu".to_string());
        let csv = "项目编号,项目名称,申报单位,学科代码\nP1,土壤修复,兰州大学、gsau,21050\n";
        assert_eq!(
            normalize_items(csv, &lookup),
            "id,title_zh,applicant_org_id,disciplines\nP1,土壤修复,lzu;gsau,21050\n"
        );
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
