//! Which grams of a text the index holds, and which of a query it looks up (pure functions).
//!
//! Held: a pair of adjacent letters or digits of which at least one is not ASCII (every
//! two-character piece of Chinese text: `土壤`, `壤修`), and three adjacent ASCII letters or
//! digits (`cop`, `e00`). Whenever a query matches a column under `lower(column) like '%q%'`,
//! every gram of the query is a gram of that column as lowered by SQLite (ASCII letters only)
//! or by PostgreSQL (every cased letter, one character for one): both foldings are indexed;
//! they differ only for text with non-ASCII capitals.

use std::collections::BTreeSet;

/// The searched columns of an expert as stored: code, name, keywords_zh, keywords_en, summary.
pub(crate) type Searched<'a> = [&'a str; 5];

/// A CJK ideograph: no letter of any script lower-cases to one.
pub(crate) fn is_ideograph(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

/// Calls `add` with each indexed gram of already-folded characters (a pair, then the
/// triples), repeats included: the database's index and the list in memory hold the same.
pub(crate) fn each_gram(chars: &[char], mut add: impl FnMut(&[char])) {
    for w in chars.windows(2) {
        if w.iter().all(|c| c.is_alphanumeric()) && w.iter().any(|c| !c.is_ascii()) {
            add(w);
        }
    }
    for w in chars.windows(3) {
        if w.iter().all(|c| c.is_ascii_alphanumeric()) {
            add(w);
        }
    }
}

/// Adds the indexed grams of already-folded characters.
fn add_grams(chars: &[char], out: &mut BTreeSet<String>) {
    each_gram(chars, |g| {
        out.insert(g.iter().collect());
    });
}

/// The grams of one column value, under both foldings (SQLite's `lower` changes ASCII letters
/// only; PostgreSQL's lowers every cased letter, one character for one).
fn text_grams(text: &str, out: &mut BTreeSet<String>) {
    let ascii: Vec<char> = text.chars().map(|c| c.to_ascii_lowercase()).collect();
    add_grams(&ascii, out);
    if !text.is_ascii() {
        let unicode: Vec<char> = text
            .chars()
            .map(|c| c.to_lowercase().next().unwrap_or(c))
            .collect();
        if unicode != ascii {
            add_grams(&unicode, out);
        }
    }
}

/// The grams of an expert's searched columns.
pub(crate) fn grams(searched: Searched<'_>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for text in searched {
        text_grams(text, &mut out);
    }
    out
}

/// How a keyword query runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Plan {
    /// `like` over every row: the query has no gram the index holds.
    Scan,
    /// Candidates from the postings of these grams (distinct, any order); `exact` when the
    /// postings of the one gram are the answer and no `like` check is needed.
    Index {
        /// The query's grams.
        grams: Vec<String>,
        /// No `like` check needed.
        exact: bool,
    },
}

/// The plan for `q` as the `like` pattern holds it (trimmed, lower-cased).
pub(crate) fn plan(q: &str) -> Plan {
    // `%` and `_` are wildcards of the pattern (and `\` escapes in PostgreSQL); a non-ASCII
    // capital or small letter may fold differently in the database than here.
    if q.chars().any(|c| {
        matches!(c, '%' | '_' | '\\') || (!c.is_ascii() && (c.is_lowercase() || c.is_uppercase()))
    }) {
        return Plan::Scan;
    }
    let chars: Vec<char> = q.chars().collect();
    let mut set = BTreeSet::new();
    add_grams(&chars, &mut set);
    if set.is_empty() {
        return Plan::Scan;
    }
    Plan::Index {
        exact: chars.len() == 2 && chars.iter().all(|&c| is_ideograph(c)),
        grams: set.into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn chinese_text_gives_its_character_pairs_and_ascii_words_their_triples() {
        let g = grams([
            "E00012",
            "王伟",
            "土壤修复;5G通信",
            "Soil remediation",
            "从事土壤。",
        ]);
        for expected in [
            "e00", "000", "001", "012", "王伟", "土壤", "壤修", "修复", "g通", "通信", "soi",
            "oil", "rem", "ion", "从事", "事土",
        ] {
            assert!(g.contains(expected), "{expected} in {g:?}");
        }
        // Punctuation, separators and spaces start no gram; two ASCII characters are not one.
        for absent in ["复;", ";5", "5g", "l r", "壤。", "so"] {
            assert!(!g.contains(absent), "{absent} not in {g:?}");
        }
    }

    #[test]
    fn both_foldings_are_indexed() {
        // SQLite leaves É alone and lowers the ASCII letters; PostgreSQL lowers both.
        let g = grams(["", "", "", "ÉCOLE", ""]);
        assert!(g.is_superset(&set(&["col", "ole", "Éc", "éc"])), "{g:?}");
    }

    #[test]
    fn two_ideographs_are_answered_from_the_postings_alone() {
        let exact = |q: &str| match plan(q) {
            Plan::Index { exact, .. } => Some(exact),
            Plan::Scan => None,
        };
        assert_eq!(exact("土壤"), Some(true));
        assert_eq!(exact("土壤修复"), Some(false));
        assert_eq!(exact("copper"), Some(false));
        assert_eq!(exact("g通"), Some(false));
        for scan in ["土", "cu", "土_", "50%", "école", "a b"] {
            assert_eq!(exact(scan), None, "{scan}");
        }
    }
}
