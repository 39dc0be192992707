//! The service's own messages in the reader's language. Services and parsers write plain
//! English (what the JSON API returns, and what the logs say); pages pass every message
//! through the table in `messages.toml`, which pairs each English pattern with its Chinese,
//! values carried over by name. Field names are labelled the same way.

use crate::error::AppError;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// One message pattern: literal text and value slots in turn.
struct Pattern {
    parts: Vec<Part>,
    zh: String,
    /// Literal characters: more specific patterns are tried first.
    weight: usize,
}

enum Part {
    Text(String),
    Slot(String),
}

struct Table {
    patterns: Vec<Pattern>,
    fields: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(serde::Deserialize)]
struct Source {
    message: Vec<SourceMessage>,
    field: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(serde::Deserialize)]
struct SourceMessage {
    en: String,
    zh: String,
}

fn parse_pattern(en: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut rest = en;
    while let Some(open) = rest.find('{') {
        match rest[open..].find('}') {
            Some(close) => {
                if open > 0 {
                    parts.push(Part::Text(rest[..open].to_string()));
                }
                parts.push(Part::Slot(rest[open + 1..open + close].to_string()));
                rest = &rest[open + close + 1..];
            }
            None => break,
        }
    }
    if !rest.is_empty() {
        parts.push(Part::Text(rest.to_string()));
    }
    parts
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let source: Source = toml::from_str(include_str!("messages.toml"))
            .unwrap_or_else(|e| panic!("messages.toml does not parse: {e}"));
        let mut patterns: Vec<Pattern> = source
            .message
            .into_iter()
            .map(|m| {
                let parts = parse_pattern(&m.en);
                let weight = parts
                    .iter()
                    .map(|p| match p {
                        Part::Text(t) => t.chars().count(),
                        Part::Slot(_) => 0,
                    })
                    .sum();
                Pattern {
                    parts,
                    zh: m.zh,
                    weight,
                }
            })
            .collect();
        patterns.sort_by_key(|p| std::cmp::Reverse(p.weight));
        Table {
            patterns,
            fields: source.field,
        }
    })
}

/// Matches `text` against the parts, collecting slot values (backtracking over where each
/// slot ends; patterns are short).
fn matches<'t>(parts: &[Part], text: &'t str, out: &mut Vec<(String, &'t str)>) -> bool {
    match parts.split_first() {
        None => text.is_empty(),
        Some((Part::Text(t), rest)) => text
            .strip_prefix(t.as_str())
            .is_some_and(|tail| matches(rest, tail, out)),
        Some((Part::Slot(name), rest)) => {
            // (a value may be empty: `'' is not a year`)
            let mut ends: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            ends.push(text.len());
            for end in ends {
                out.push((name.clone(), &text[..end]));
                if matches(rest, &text[end..], out) {
                    return true;
                }
                out.pop();
            }
            false
        }
    }
}

/// An English message of the service in `lang` (unchanged in English or when the table has
/// no pattern for it). Values that are messages themselves are translated as well.
pub fn translate(lang: &str, message: &str) -> String {
    translate_depth(lang, message, 0)
}

fn translate_depth(lang: &str, message: &str, depth: u8) -> String {
    if lang == "en" || depth > 2 {
        return message.to_string();
    }
    for p in &table().patterns {
        let mut values = Vec::new();
        if matches(&p.parts, message, &mut values) {
            let mut text = p.zh.clone();
            for (name, value) in values {
                let shown = translate_depth(lang, value, depth + 1);
                text = text.replace(&format!("{{{name}}}"), &shown);
            }
            return text;
        }
    }
    // A message of several lines (a diagnosis) may be translatable line by line.
    if message.contains('\n') {
        return message
            .lines()
            .map(|l| translate_depth(lang, l, depth + 1))
            .collect::<Vec<_>>()
            .join("\n");
    }
    message.to_string()
}

/// A field name as people read it: `line 3: birth_year` → `第 3 行 · 出生年份`,
/// `minimum[1].value` → `最低要求（第 2 行）· 数值`.
pub fn field_label(lang: &str, field: &str) -> String {
    let labels = table().fields.get(if lang == "en" { "en" } else { "zh" });
    let label = |name: &str| -> String {
        labels
            .and_then(|l| l.get(name))
            .cloned()
            .unwrap_or_else(|| name.replace('_', " "))
    };
    let row = |n: usize| {
        if lang == "en" {
            format!("row {n}")
        } else {
            format!("第 {n} 行")
        }
    };
    let (line, rest) = match field
        .strip_prefix("line ")
        .and_then(|r| r.split_once(": "))
        .and_then(|(n, f)| n.parse::<usize>().ok().map(|n| (Some(n), f)))
    {
        Some(found) => found,
        None => (None, field),
    };
    let mut parts: Vec<String> = line.map(row).into_iter().collect();
    for segment in rest.split('.').filter(|s| !s.is_empty()) {
        match segment.split_once('[') {
            Some((name, index)) => {
                let n = index
                    .trim_end_matches(']')
                    .parse::<usize>()
                    .map_or(0, |i| i + 1);
                parts.push(format!("{}（{}）", label(name), row(n)));
            }
            None => parts.push(label(segment)),
        }
    }
    parts.retain(|p| !p.is_empty());
    parts.join(" · ")
}

/// An error as a page shows it, in the reader's language: where (the field), then what.
pub fn error_text(lang: &str, e: &AppError) -> String {
    let t = super::catalog(lang);
    match e {
        AppError::Validation(v) => {
            let field = field_label(lang, &v.field);
            let what = translate(lang, &v.message);
            if field.is_empty() {
                what
            } else {
                format!("{field}：{what}")
            }
        }
        AppError::WrongState(w) => {
            let word = |key: String| t.get(&key).cloned().unwrap_or(key);
            let or = t.get("or_word").cloned().unwrap_or_else(|| " / ".into());
            super::fill(
                lang,
                "err_event_state",
                [
                    (
                        "status",
                        word(format!("status_{}", w.status.as_str())).as_str(),
                    ),
                    (
                        "action",
                        word(format!("action_{}", w.action.as_str())).as_str(),
                    ),
                    (
                        "allowed",
                        w.allowed
                            .iter()
                            .map(|s| word(format!("status_{}", s.as_str())))
                            .collect::<Vec<_>>()
                            .join(&or)
                            .as_str(),
                    ),
                ],
            )
        }
        AppError::NotFound(what) => super::fill(
            lang,
            "err_not_found",
            [("what", translate(lang, what).as_str())],
        ),
        AppError::Internal(_) => t.get("err_internal").cloned().unwrap_or_default(),
        other => translate(lang, &other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ValidationError;

    #[test]
    fn messages_and_their_values_read_in_chinese() {
        assert_eq!(translate("zh", "is required"), "必填");
        assert_eq!(translate("zh", "'abc' is not a year"), "“abc”不是年份");
        assert_eq!(
            translate(
                "zh",
                "membership 7: the term must end after today; nothing was changed"
            ),
            "成员资格 #7：任期截止日期须晚于今天；未做任何更改"
        );
        assert_eq!(translate("en", "is required"), "is required");
        assert_eq!(translate("zh", "something new"), "something new");
    }

    #[test]
    fn fields_are_labelled_with_their_line_and_row() {
        assert_eq!(field_label("zh", "birth_year"), "出生年份");
        assert_eq!(field_label("zh", "line 3: id"), "第 3 行 · 编号");
        assert_eq!(
            field_label("zh", "minimum[1].value"),
            "最低要求（第 2 行） · 数值"
        );
        assert_eq!(field_label("en", "panel_size"), "panel size");
        let e = AppError::Validation(ValidationError::new("birth_year", "'' is not a year"));
        assert_eq!(error_text("zh", &e), "出生年份：“”不是年份");
    }

    #[test]
    fn every_pattern_is_used_once_and_names_only_its_own_values() {
        let mut seen = std::collections::BTreeSet::new();
        for p in &table().patterns {
            let en: String = p
                .parts
                .iter()
                .map(|x| match x {
                    Part::Text(t) => t.clone(),
                    Part::Slot(s) => format!("{{{s}}}"),
                })
                .collect();
            assert!(seen.insert(en.clone()), "twice: {en}");
            for x in &p.parts {
                if let Part::Slot(s) = x {
                    assert!(
                        p.zh.contains(&format!("{{{s}}}")),
                        "{en}: the Chinese drops {{{s}}}"
                    );
                }
            }
        }
    }
}
