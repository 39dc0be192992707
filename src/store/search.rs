//! The expert list and its keyword search.
//!
//! `q=` (name, code, keywords, summary) reads the keyword index `expert_gram` instead of
//! testing `lower(column) like '%q%'` on every profile: for each expert, the distinct character
//! grams of the searched columns, keyed `(gram, code)` so that one range of the primary key
//! lists the experts holding a gram already in list order. Typical queries are two Chinese
//! characters (土壤, 冶金): shorter than the three that SQLite FTS5's trigram tokenizer or
//! PostgreSQL's pg_trgm can look up, hence a table of our own, the same on both databases.
//!
//! The result stays what the `like` gave (substring, ASCII case ignored): the index only
//! narrows (see `grams`). A query of exactly two CJK ideographs is its own single gram, and its
//! postings are the answer; any other query is checked with the `like` on the rows narrowed by
//! the postings of its rarest gram; a query without grams (one character, two ASCII
//! characters, `like` wildcards) scans as before.
//!
//! `experts::insert` and `experts::update` (and so the bulk import) keep the table in step
//! inside their transaction; `index::rebuild_if_stale` fills it at start when it was built by
//! another version of `grams` (or never: the migration leaves version 0).

mod grams;
mod index;
mod kept;
mod memory;

pub(crate) use grams::{grams, Searched};
pub use index::GramBatch;
pub(crate) use index::{rebuild_if_stale, write};
pub use kept::{answer as from_memory, refresh, KeptList};

use super::experts::{split, ExpertFilter, ExpertSummary};
use super::{Backend, Store, StoreError};
use crate::domain::ExpertId;
use grams::Plan;
use sqlx::any::AnyRow;
use sqlx::{Any, Row};
use std::collections::HashMap;

/// The `where` conditions of the list, each filter adding only the parameters it uses.
#[derive(Default)]
struct Conditions {
    sql: Vec<String>,
    args: Vec<String>,
}

impl Conditions {
    /// Adds a parameter and returns its `$n` marker for the SQL text.
    fn arg(&mut self, value: impl Into<String>) -> String {
        self.args.push(value.into());
        format!("${}", self.args.len())
    }

    /// The keyword condition: `q` (lower-cased) is part of a searched column, ASCII case
    /// ignored, as `lower(column) like '%q%'` always said. Without `lower` where that is the
    /// same and cheaper: SQLite's `like` ignores ASCII case by itself (and its `lower` folds
    /// nothing else), and a query of ideographs only is unchanged by any folding.
    fn like_any_column(&mut self, q: &str, backend: Backend) {
        let p = self.arg(format!("%{q}%"));
        let fold = backend == Backend::Postgres && !q.chars().all(grams::is_ideograph);
        let column = |name: &str| {
            if fold {
                format!("lower(e.{name}) like {p}")
            } else {
                format!("e.{name} like {p}")
            }
        };
        // Likeliest and shortest first: `or` stops at the first match.
        let any: Vec<String> = ["keywords_zh", "keywords_en", "name", "code", "summary"]
            .iter()
            .map(|c| column(c))
            .collect();
        self.sql.push(format!("({})", any.join(" or ")));
    }

    fn text(&self) -> String {
        if self.sql.is_empty() {
            String::new()
        } else {
            format!("where {}", self.sql.join(" and "))
        }
    }

    fn bind<'q>(
        &self,
        mut query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
        for a in &self.args {
            query = query.bind(a.clone());
        }
        query
    }
}

/// A page of experts matching the filter, and the total count: from the list kept in memory
/// when it is current (see `memory.rs`), else from the database.
pub async fn search(
    store: &Store,
    f: &ExpertFilter,
) -> Result<(Vec<ExpertSummary>, i64), StoreError> {
    if let Some(answer) = kept::answer(store, f).await? {
        return Ok(answer);
    }
    search_database(store, f).await
}

/// [`search`] answered by the database alone.
///
/// A keyword reads the postings of `expert_gram` (see the module) instead of scanning every
/// profile; the other filters are checked on the rows found. The count leaves out the
/// organization join unless the organization filter needs it (every expert has one: a foreign
/// key), and the disciplines of the page are read in one query.
pub async fn search_database(
    store: &Store,
    f: &ExpertFilter,
) -> Result<(Vec<ExpertSummary>, i64), StoreError> {
    let mut c = Conditions::default();
    let q = f.q.trim().to_lowercase();
    let mut indexed = false;
    if !q.is_empty() {
        match grams::plan(&q) {
            Plan::Scan => c.like_any_column(&q, store.backend),
            Plan::Index { grams, exact } => {
                let Some(gram) = index::rarest(store, &grams).await? else {
                    return Ok((Vec::new(), 0));
                };
                indexed = true;
                let p = c.arg(gram);
                c.sql.push(format!("g.gram = {p}"));
                if !exact {
                    c.like_any_column(&q, store.backend);
                }
            }
        }
    }
    let discipline = f.discipline.trim();
    if !discipline.is_empty() {
        let p = c.arg(format!("{discipline}%"));
        c.sql.push(format!("exists (select 1 from expert_discipline d where d.expert_id = e.expert_id and d.code like {p})"));
    }
    let org = f.org.trim();
    if !org.is_empty() {
        let code = c.arg(org.to_lowercase());
        let name = c.arg(format!("%{}%", org.to_lowercase()));
        c.sql.push(format!("(lower(e.organization_code) = {code} or lower(o.name_zh) like {name} or lower(o.name_en) like {name})"));
    }
    for (value, column) in [(&f.title, "e.title"), (&f.region, "e.region")] {
        if !value.trim().is_empty() {
            let p = c.arg(value.trim());
            c.sql.push(format!("{column} = {p}"));
        }
    }
    if !f.expert_type.trim().is_empty() {
        let p = c.arg(format!("%;{};%", f.expert_type.trim()));
        c.sql.push(format!("(';' || e.types || ';') like {p}"));
    }
    if f.to_verify {
        c.sql.push("e.to_verify <> ''".into());
    }
    // The gram alone (two ideographs, no other filter): the count and the page's keys come
    // from the postings, without reading a profile.
    let by_code = f.sort.is_empty() || f.sort == "code";
    let postings_only = indexed && c.sql.len() == 1 && by_code && !f.desc;
    let per_page = f.per_page.clamp(1, 200);
    // Bounded, so that no page number can overflow the offset.
    let offset = (f.page.clamp(1, 100_000) - 1) * per_page;
    let with_org = "join organization o on o.code = e.organization_code";
    let where_ = c.text();
    let (rows, total) = if postings_only {
        // One round trip: the page's keys straight from the primary key range, in code order,
        // and the size of the range.
        let sql = format!(
            "select {COLUMNS}, (select count(*) from expert_gram t where t.gram = $1) as total
             from (select g.expert_id, g.code from expert_gram g {where_} order by g.code limit {per_page} offset {offset}) g
             join expert e on e.expert_id = g.expert_id {with_org} order by g.code"
        );
        let rows = c.bind(sqlx::query(&sql)).fetch_all(&store.pool).await?;
        let total = match rows.first() {
            Some(r) => r.try_get("total")?,
            None if offset == 0 => 0,
            None => {
                count(
                    store,
                    &c,
                    format!("select count(*) as n from expert_gram g {where_}"),
                )
                .await?
            }
        };
        (rows, total)
    } else {
        let experts = if indexed {
            "expert_gram g join expert e on e.expert_id = g.expert_id"
        } else {
            "expert e"
        };
        let joins = if org.is_empty() { "" } else { with_org };
        // (sorting by employer reads the organization's name)
        let total = count(
            store,
            &c,
            format!("select count(*) as n from {experts} {joins} {where_}"),
        )
        .await?;
        if offset >= total {
            return Ok((Vec::new(), total));
        }
        let order = f.order_by(if indexed { "g.code" } else { "e.code" });
        let sql = format!("select {COLUMNS} from {experts} {with_org} {where_} order by {order} limit {per_page} offset {offset}");
        (
            c.bind(sqlx::query(&sql)).fetch_all(&store.pool).await?,
            total,
        )
    };
    let mut codes = page_disciplines(store, &rows).await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: i64 = r.try_get("expert_id")?;
        items.push(ExpertSummary {
            id: ExpertId(id),
            code: r.try_get("code")?,
            name: r.try_get("name")?,
            title: r.try_get("title")?,
            org_id: r.try_get("organization_code")?,
            org_name: r.try_get("org_name")?,
            region: r.try_get("region")?,
            types: split(&r.try_get::<String, _>("types")?),
            disciplines: codes.remove(&id).unwrap_or_default(),
            to_verify: split(&r.try_get::<String, _>("to_verify")?),
        });
    }
    Ok((items, total))
}

/// The columns of a list row.
const COLUMNS: &str = "e.expert_id, e.code, e.name, e.title, e.organization_code, o.name_zh as org_name, e.region, e.types, e.to_verify";

/// Runs a `select count(*) as n` with the list's conditions.
async fn count(store: &Store, c: &Conditions, sql: String) -> Result<i64, StoreError> {
    Ok(c.bind(sqlx::query(&sql))
        .fetch_one(&store.pool)
        .await?
        .try_get("n")?)
}

/// The discipline codes of a page's experts, primary first, in one query.
async fn page_disciplines(
    store: &Store,
    rows: &[AnyRow],
) -> Result<HashMap<i64, Vec<String>>, StoreError> {
    let mut ids = Vec::with_capacity(rows.len());
    for r in rows {
        ids.push(r.try_get::<i64, _>("expert_id")?);
    }
    let mut codes: HashMap<i64, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(codes);
    }
    let list: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "select expert_id, code from expert_discipline where expert_id in ({}) order by expert_id, position",
        list.join(", ")
    );
    let mut query = sqlx::query_as::<_, (i64, String)>(&sql);
    for id in ids {
        query = query.bind(id);
    }
    for (id, code) in query.fetch_all(&store.pool).await? {
        codes.entry(id).or_default().push(code);
    }
    Ok(codes)
}
