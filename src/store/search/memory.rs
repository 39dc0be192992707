//! The expert list answered from memory, per `registry_version`.
//!
//! At 30,000 experts each list request through the database counts its matches row by row
//! (a region reads every profile; `copper` checks `like` on 1,239 candidates): 2–20 ms of one
//! core per request. The list is read far more often than the registry changes, so the store
//! keeps the registry's list columns, their character grams and the list's orders in memory,
//! tagged with the `registry_version` they were read at (triggers bump it in every writer's
//! transaction, organizations included). A request whose version matches is answered here in
//! microseconds; otherwise the database answers it (the old path, always correct) and a
//! rebuild starts in the background, as does the scheduler's round.
//!
//! The answers are the SQL's to the row and order: the matching rules reproduce the backend's
//! `like` and `lower` (SQLite folds ASCII letters only; PostgreSQL lowers every letter and
//! compares case-sensitively), and the orders other than by code are read from the database
//! (`order by column, code`), so collations stay the database's. Filters whose SQL meaning is
//! not reproduced here (`like` wildcards, non-ASCII capitals in a folded filter) go to the
//! database. Tests compare both paths on random filters, on SQLite and PostgreSQL.

use super::grams::each_gram;
use crate::store::experts::{ExpertFilter, ExpertSummary};
use crate::store::Backend;
use std::collections::HashMap;

/// One expert's list columns as read.
#[derive(Debug, Clone)]
pub(crate) struct ListRow {
    pub summary: ExpertSummary,
    /// Searched columns: code, name, keywords_zh, keywords_en, summary.
    pub searched: [String; 5],
    /// Organization's English name (`summary.org_name` is the Chinese one).
    pub org_name_en: String,
    /// Raw `types` column (`a;b`).
    pub types: String,
    /// `updated_at`.
    pub updated_at: String,
    /// Raw `to_verify` column: the list's filter is `to_verify <> ''`.
    pub to_verify: String,
}

/// A sort column other than the code.
pub(crate) const SORTS: [&str; 5] = ["name", "title", "org", "region", "updated"];

/// Separates the searched columns in a haystack: no query holds it (see [`Query::of`]), so no
/// match spans two columns.
const SEPARATOR: char = '\u{1}';

/// The list in memory.
#[derive(Debug)]
pub(crate) struct ListIndex {
    /// The `registry_version` read with the rows.
    pub version: i64,
    backend: Backend,
    lowering: Lowering,
    rows: Vec<Kept>,
    /// Positions (in code order) of the experts holding each gram, ascending.
    grams: HashMap<u64, Vec<u32>>,
    /// Positions of the experts with a discipline code starting so (every prefix of every
    /// code, folded as `like` compares), ascending.
    prefixes: HashMap<String, Vec<u32>>,
    /// Each row's region and title as a number of `values`, dense: a filter on them reads
    /// 4 bytes a row, not the row.
    regions: Vec<u32>,
    titles: Vec<u32>,
    values: HashMap<String, u32>,
    /// For each of [`SORTS`]: positions ascending, and descending (ties by code both ways).
    orders: Vec<(Vec<u32>, Vec<u32>)>,
}

#[derive(Debug)]
struct Kept {
    summary: ExpertSummary,
    /// Searched columns folded as the backend's `lower` + `like` compare them.
    haystack: String,
    org_code: String,
    org_names: [String; 2],
    /// `;types;` folded as the backend's `like` compares it.
    types: String,
    updated_at: String,
    to_verify: bool,
}

/// A filter this index can answer, parsed once.
struct Query {
    q: String,
    grams: Vec<u64>,
    /// The query is its one gram: the postings are the answer.
    exact: bool,
    discipline: String,
    org: String,
    title: String,
    region: String,
    expert_type: String,
    to_verify: bool,
}

/// What the database's `lower()` does to each character.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lowering {
    /// SQLite: ASCII letters only (and its `like` ignores ASCII case, so folding ASCII alone
    /// is the same there).
    Ascii,
    /// PostgreSQL: as its locale says, read by asking the database to lower every cased
    /// character the registry holds (ideographs have no case). A character not in the table
    /// is left as it is.
    Table(HashMap<char, char>),
    /// The database lowers some character into several (ICU's `İ`): positions would not
    /// line up, so the database answers.
    Unknown,
}

impl Lowering {
    fn apply(&self, text: &str) -> String {
        match self {
            Lowering::Ascii => text.to_ascii_lowercase(),
            Lowering::Table(table) => text
                .chars()
                .map(|c| table.get(&c).copied().unwrap_or(c))
                .collect(),
            Lowering::Unknown => text.to_string(),
        }
    }
}

/// What `like` compares of an unlowered column: SQLite ignores ASCII case, PostgreSQL none.
fn like_fold(backend: Backend, text: &str) -> String {
    match backend {
        Backend::Sqlite => text.to_ascii_lowercase(),
        Backend::Postgres => text.to_string(),
    }
}

/// Holds a `like` wildcard or escape, or a letter whose folding may differ between Rust and
/// the database: the database answers.
fn needs_database(text: &str) -> bool {
    text.chars().any(|c| {
        matches!(c, '%' | '_' | '\\' | SEPARATOR)
            || (!c.is_ascii() && (c.is_lowercase() || c.is_uppercase()))
    })
}

/// Each gram of [`each_gram`] as a number: a pair of characters (21 bits each, top bit set)
/// or a triple of ASCII ones (7 bits each).
fn gram_keys(chars: &[char], mut add: impl FnMut(u64)) {
    each_gram(chars, |g| match *g {
        [a, b] => add(1 << 63 | (a as u64) << 21 | b as u64),
        [a, b, c] => add((a as u64) << 14 | (b as u64) << 7 | c as u64),
        _ => {}
    });
}

impl Query {
    /// `None` when the database must answer (see [`needs_database`]).
    fn of(f: &ExpertFilter) -> Option<Query> {
        let q = f.q.trim().to_lowercase();
        let org = f.org.trim().to_lowercase();
        let (discipline, expert_type) = (f.discipline.trim(), f.expert_type.trim());
        if needs_database(&q) || needs_database(&org) {
            return None;
        }
        if [discipline, expert_type]
            .iter()
            .any(|t| t.contains(['%', '_', '\\', ';']))
        {
            return None;
        }
        let chars: Vec<char> = q.chars().collect();
        let mut grams = Vec::new();
        gram_keys(&chars, |g| grams.push(g));
        grams.sort_unstable();
        grams.dedup();
        Some(Query {
            // Two characters that make a pair gram, or three that make a triple: the query
            // is its one gram.
            exact: grams.len() == 1 && {
                let pair = grams[0] >> 63 == 1;
                (chars.len() == 2 && pair) || (chars.len() == 3 && !pair)
            },
            q,
            grams,
            discipline: discipline.to_string(),
            org,
            title: f.title.trim().to_string(),
            region: f.region.trim().to_string(),
            expert_type: expert_type.to_string(),
            to_verify: f.to_verify,
        })
    }
}

impl ListIndex {
    /// The index of `rows` (in the database's code order). `orders[i]` lists the rows' ids in
    /// the database's order by `SORTS[i]` then code.
    pub fn build(
        backend: Backend,
        lowering: Lowering,
        version: i64,
        rows: Vec<ListRow>,
        orders: &[Vec<i64>],
    ) -> ListIndex {
        let position: HashMap<i64, u32> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.summary.id.0, i as u32))
            .collect();
        let mut grams: HashMap<u64, Vec<u32>> = HashMap::new();
        let mut prefixes: HashMap<String, Vec<u32>> = HashMap::new();
        let mut values: HashMap<String, u32> = HashMap::new();
        let mut number = |v: &str| {
            let next = values.len() as u32;
            *values.entry(v.to_string()).or_insert(next)
        };
        let (mut regions, mut titles) = (Vec::new(), Vec::new());
        let mut chars = Vec::new();
        let kept: Vec<Kept> = rows
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                let haystack = r
                    .searched
                    .iter()
                    .map(|t| lowering.apply(t))
                    .collect::<Vec<_>>()
                    .join(&SEPARATOR.to_string());
                chars.clear();
                chars.extend(haystack.chars());
                let p = i as u32;
                gram_keys(&chars, |g| {
                    let list = grams.entry(g).or_default();
                    if list.last() != Some(&p) {
                        list.push(p);
                    }
                });
                for code in &r.summary.disciplines {
                    let code = like_fold(backend, code);
                    for (end, _) in code.char_indices().skip(1).chain([(code.len(), ' ')]) {
                        let list = prefixes.entry(code[..end].to_string()).or_default();
                        if list.last() != Some(&p) {
                            list.push(p);
                        }
                    }
                }
                regions.push(number(&r.summary.region));
                titles.push(number(&r.summary.title));
                Kept {
                    org_code: lowering.apply(&r.summary.org_id),
                    org_names: [
                        lowering.apply(&r.summary.org_name),
                        lowering.apply(&r.org_name_en),
                    ],
                    types: like_fold(backend, &format!(";{};", r.types)),
                    haystack,
                    updated_at: r.updated_at,
                    to_verify: !r.to_verify.is_empty(),
                    summary: r.summary,
                }
            })
            .collect();
        let orders = SORTS
            .iter()
            .zip(orders)
            .map(|(sort, ids)| {
                let asc: Vec<u32> = ids
                    .iter()
                    .filter_map(|id| position.get(id))
                    .copied()
                    .collect();
                (desc_of(&asc, |p| sort_value(&kept[p as usize], sort)), asc)
            })
            .map(|(desc, asc)| (asc, desc))
            .collect();
        ListIndex {
            version,
            backend,
            lowering,
            rows: kept,
            grams,
            prefixes,
            regions,
            titles,
            values,
            orders,
        }
    }

    /// The page and total of `f`, or `None` when the database must answer it.
    pub fn answer(&self, f: &ExpertFilter) -> Option<(Vec<ExpertSummary>, i64)> {
        if self.lowering == Lowering::Unknown {
            return None;
        }
        let query = Query::of(f)?;
        let matches = self.matching(&query);
        let per_page = f.per_page.clamp(1, 200) as usize;
        let offset = (f.page.clamp(1, 100_000) as usize - 1) * per_page;
        let total = matches.len() as i64;
        let page: Vec<u32> = match SORTS.iter().position(|s| *s == f.sort) {
            None if f.desc => matches
                .iter()
                .rev()
                .skip(offset)
                .take(per_page)
                .copied()
                .collect(),
            None => matches
                .iter()
                .skip(offset)
                .take(per_page)
                .copied()
                .collect(),
            Some(i) => {
                let mut wanted = vec![false; self.rows.len()];
                for &p in &matches {
                    wanted[p as usize] = true;
                }
                let (asc, desc) = &self.orders[i];
                let order = if f.desc { desc } else { asc };
                order
                    .iter()
                    .filter(|p| wanted[**p as usize])
                    .skip(offset)
                    .take(per_page)
                    .copied()
                    .collect()
            }
        };
        let items = page
            .into_iter()
            .map(|p| self.rows[p as usize].summary.clone())
            .collect();
        Some((items, total))
    }

    /// Positions of the matching experts, in code order.
    ///
    /// The candidates are the rarest posting list among the query's grams and the
    /// discipline prefix, kept if in every other list; the other filters are checked on them.
    fn matching(&self, query: &Query) -> Vec<u32> {
        let mut lists: Vec<&[u32]> = Vec::new();
        for g in &query.grams {
            match self.grams.get(g) {
                Some(list) => lists.push(list),
                None => return Vec::new(),
            }
        }
        if !query.discipline.is_empty() {
            match self
                .prefixes
                .get(&like_fold(self.backend, &query.discipline))
            {
                Some(list) => lists.push(list),
                None => return Vec::new(),
            }
        }
        // A filter's value that no expert has matches nobody.
        let value = |v: &str| (!v.is_empty()).then(|| self.values.get(v).copied());
        let (region, title) = (value(&query.region), value(&query.title));
        if region == Some(None) || title == Some(None) {
            return Vec::new();
        }
        let expert_type = like_fold(self.backend, &format!(";{};", query.expert_type));
        let check_text = !query.q.is_empty() && !query.exact;
        let keep = |p: u32| {
            let i = p as usize;
            region.is_none_or(|r| r == Some(self.regions[i]))
                && title.is_none_or(|t| t == Some(self.titles[i]))
                && {
                    let r = &self.rows[i];
                    (!query.to_verify || r.to_verify)
                        && (query.org.is_empty()
                            || r.org_code == query.org
                            || r.org_names.iter().any(|n| n.contains(&query.org)))
                        && (query.expert_type.is_empty() || r.types.contains(&expert_type))
                        && (!check_text || r.haystack.contains(&query.q))
                }
        };
        lists.sort_by_key(|l| l.len());
        match lists.split_first() {
            None => (0..self.rows.len() as u32).filter(|&p| keep(p)).collect(),
            Some((first, rest)) => first
                .iter()
                .copied()
                .filter(|p| rest.iter().all(|l| l.binary_search(p).is_ok()) && keep(*p))
                .collect(),
        }
    }

    /// Experts indexed.
    pub fn len(&self) -> usize {
        self.rows.len()
    }
}

/// The value a sort column orders by.
fn sort_value<'a>(r: &'a Kept, sort: &str) -> &'a str {
    match sort {
        "name" => &r.summary.name,
        "title" => &r.summary.title,
        "org" => &r.summary.org_name,
        "region" => &r.summary.region,
        _ => &r.updated_at,
    }
}

/// The descending order (ties by code ascending) of an ascending one (ties by code
/// ascending): the runs of equal values in reverse, each run kept as it is.
fn desc_of<'a>(asc: &[u32], value: impl Fn(u32) -> &'a str) -> Vec<u32> {
    let mut runs: Vec<&[u32]> = Vec::new();
    let mut start = 0;
    for i in 1..=asc.len() {
        if i == asc.len() || value(asc[i]) != value(asc[start]) {
            runs.push(&asc[start..i]);
            start = i;
        }
    }
    runs.into_iter().rev().flatten().copied().collect()
}

#[cfg(test)]
mod tests;
