//! Page language: one TOML message catalog per language (`src/web/i18n/{zh,en}.toml`).
//! The language follows the `lang` cookie, else the browser's Accept-Language, else Chinese.

use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest, Request};
use std::collections::BTreeMap;
use std::sync::OnceLock;

mod messages;
pub use messages::{error_text, field_label, translate};

/// Supported languages, default first.
pub const LANGUAGES: [&str; 2] = ["zh", "en"];
/// The cookie that remembers a switch.
pub const LANG_COOKIE: &str = "lang";

/// A flat catalog: key → text.
pub type Catalog = BTreeMap<String, String>;

fn parse(text: &str) -> Catalog {
    let table: toml::Table =
        toml::from_str(text).unwrap_or_else(|e| panic!("message catalog does not parse: {e}"));
    table
        .into_iter()
        .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
        .collect()
}

/// The catalog of a language (Chinese for anything unknown).
pub fn catalog(lang: &str) -> &'static Catalog {
    static ZH: OnceLock<Catalog> = OnceLock::new();
    static EN: OnceLock<Catalog> = OnceLock::new();
    if lang == "en" {
        EN.get_or_init(|| parse(include_str!("i18n/en.toml")))
    } else {
        ZH.get_or_init(|| parse(include_str!("i18n/zh.toml")))
    }
}

/// A catalog message with its `{name}` slots filled (the key itself when unknown).
pub fn fill<'a>(
    lang: &str,
    key: &str,
    args: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> String {
    let mut text = catalog(lang)
        .get(key)
        .cloned()
        .unwrap_or_else(|| key.to_string());
    for (k, v) in args {
        text = text.replace(&format!("{{{k}}}"), v);
    }
    text
}

/// Picks a language from an Accept-Language header value, honouring q-weights.
pub fn from_accept_language(header: &str) -> Option<&'static str> {
    let mut tags: Vec<(f32, &str)> = header
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next()?.trim();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse().ok())
                .unwrap_or(1.0);
            Some((q, tag))
        })
        .collect();
    tags.sort_by(|a, b| b.0.total_cmp(&a.0));
    tags.iter().find_map(|(_, tag)| {
        let primary = tag.split('-').next()?.to_ascii_lowercase();
        LANGUAGES.iter().copied().find(|l| *l == primary)
    })
}

/// The language of this request.
#[derive(Debug, Clone, Copy)]
pub struct Lang(pub &'static str);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Lang {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let from_cookie = req
            .cookies()
            .get(LANG_COOKIE)
            .and_then(|c| LANGUAGES.iter().copied().find(|l| *l == c.value()));
        let lang = from_cookie
            .or_else(|| {
                req.headers()
                    .get_one("Accept-Language")
                    .and_then(from_accept_language)
            })
            .unwrap_or(LANGUAGES[0]);
        Outcome::Success(Lang(lang))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogs_have_the_same_keys() {
        let zh: Vec<&String> = catalog("zh").keys().collect();
        let en: Vec<&String> = catalog("en").keys().collect();
        assert_eq!(zh, en);
        assert!(catalog("zh").values().all(|v| !v.is_empty()));
    }

    #[test]
    fn accept_language_weights_are_honoured() {
        assert_eq!(
            from_accept_language("en-US,en;q=0.9,zh-CN;q=0.8"),
            Some("en")
        );
        assert_eq!(from_accept_language("fr;q=1, zh-CN;q=0.5"), Some("zh"));
        assert_eq!(from_accept_language("fr"), None);
    }
}
