//! Writing `expert_gram`: one expert's difference inside the caller's transaction, the whole
//! table when its version is stale; and reading posting counts to pick the rarest gram.

use super::grams::grams;
use crate::store::{Store, StoreError};
use sqlx::{Any, Row, Transaction};
use std::collections::{BTreeMap, BTreeSet};

/// Bump when [`grams`] changes: the next start rebuilds the table.
const VERSION: i64 = 1;

/// Rows per multi-row statement. sqlx's SQLite driver finds each `$n` by name among all the
/// statement's parameters, a cost that grows with the square of their number: with 300 rows
/// (900 parameters) a statement, rebuilding 3 million postings took a minute; with 40, 10 s.
const CHUNK: usize = 40;

/// Postings counted per gram when choosing the rarest: counting is an index range scan, many
/// times cheaper per row than the `like` check of a candidate; beyond the cap a gram is common
/// and any common one will do.
const COUNT_CAP: i64 = 2000;

/// Grams counted at most: a pasted sentence is narrowed well enough by 16 of its grams.
const MAX_COUNTED: usize = 16;

/// The gram with the fewest postings, or `None` when one has none, so nothing matches.
///
/// Only the rarest gram narrows the candidates. Probing the others for each candidate (an
/// index lookup each) was measured no cheaper than the `like` check they would spare.
pub(crate) async fn rarest(store: &Store, grams: &[String]) -> Result<Option<String>, StoreError> {
    if let [only] = grams {
        return Ok(Some(only.clone()));
    }
    let grams = &grams[..grams.len().min(MAX_COUNTED)];
    let columns: Vec<String> = (1..=grams.len())
        .map(|i| {
            format!("(select count(*) from (select 1 from expert_gram where gram = ${i} limit {COUNT_CAP}) t{i})")
        })
        .collect();
    let sql = format!("select {}", columns.join(", "));
    let mut query = sqlx::query(&sql);
    for g in grams {
        query = query.bind(g.clone());
    }
    let row = query.fetch_one(&store.pool).await?;
    let mut best: Option<(i64, &String)> = None;
    for (i, g) in grams.iter().enumerate() {
        let n: i64 = row.try_get(i)?;
        if n == 0 {
            return Ok(None);
        }
        if best.is_none_or(|(m, _)| n < m) {
            best = Some((n, g));
        }
    }
    Ok(best.map(|(_, g)| g.clone()))
}

/// Inserts postings `(gram, code, expert_id)`.
async fn insert(
    tx: &mut Transaction<'_, Any>,
    rows: &[(&str, &str, i64)],
) -> Result<(), StoreError> {
    for chunk in rows.chunks(CHUNK) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
            .collect();
        let sql = format!(
            "insert into expert_gram (gram, code, expert_id) values {}",
            values.join(", ")
        );
        // Only the full-size statement is worth keeping in the connection's cache.
        let mut query = sqlx::query(&sql).persistent(chunk.len() == CHUNK);
        for (gram, code, id) in chunk {
            query = query
                .bind(gram.to_string())
                .bind(code.to_string())
                .bind(*id);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Brings one expert's postings from `before` (code and grams of the stored row, `None` for a
/// new expert) to `code` and `after`, writing only the difference.
pub(crate) async fn write(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    before: Option<(&str, &BTreeSet<String>)>,
    code: &str,
    after: &BTreeSet<String>,
) -> Result<(), StoreError> {
    let empty = BTreeSet::new();
    let (old_code, old) = before.unwrap_or((code, &empty));
    let same_code = old_code == code;
    let removed: Vec<&String> = old
        .iter()
        .filter(|g| !same_code || !after.contains(*g))
        .collect();
    for chunk in removed.chunks(CHUNK) {
        let list: Vec<String> = (2..chunk.len() + 2).map(|i| format!("${i}")).collect();
        let sql = format!(
            "delete from expert_gram where code = $1 and gram in ({})",
            list.join(", ")
        );
        let mut query = sqlx::query(&sql)
            .persistent(chunk.len() == CHUNK)
            .bind(old_code.to_string());
        for g in chunk {
            query = query.bind(g.to_string());
        }
        query.execute(&mut **tx).await?;
    }
    let added: Vec<(&str, &str, i64)> = after
        .iter()
        .filter(|g| !same_code || !old.contains(*g))
        .map(|g| (g.as_str(), code, id))
        .collect();
    insert(tx, &added).await
}

/// Postings of many experts, written at once in key order: how the bulk import and the
/// rebuild fill the table. (Inserted expert by expert, 3 million postings land all over the
/// index, and SQLite writes the same pages to its log again and again.)
#[derive(Default)]
pub struct GramBatch {
    /// Code and id of each expert added.
    experts: Vec<(String, i64)>,
    /// gram → positions in `experts`.
    postings: BTreeMap<String, Vec<u32>>,
}

impl GramBatch {
    /// Adds the postings of a new expert.
    pub(crate) fn add(&mut self, id: i64, code: &str, grams: BTreeSet<String>) {
        let at = self.experts.len() as u32;
        self.experts.push((code.to_string(), id));
        for g in grams {
            self.postings.entry(g).or_default().push(at);
        }
    }

    /// Writes every posting added, in `(gram, code)` order.
    pub(crate) async fn write(mut self, tx: &mut Transaction<'_, Any>) -> Result<(), StoreError> {
        let experts = std::mem::take(&mut self.experts);
        let mut rows: Vec<(&str, &str, i64)> = Vec::new();
        for (gram, list) in &mut self.postings {
            list.sort_by(|&a, &b| experts[a as usize].0.cmp(&experts[b as usize].0));
            for &i in list.iter() {
                let (code, id) = &experts[i as usize];
                rows.push((gram, code, *id));
            }
            if rows.len() >= 1000 * CHUNK {
                insert(tx, &rows).await?;
                rows.clear();
            }
        }
        insert(tx, &rows).await
    }
}

/// Rebuilds the whole table when it was built by another version of [`grams`] (the migration
/// creates it empty, at version 0, so an existing registry is indexed at the first start).
pub(crate) async fn rebuild_if_stale(store: &Store) -> Result<(), StoreError> {
    let mut tx = store.begin_write().await?;
    // Taking the row's lock first: a second process starting at the same time waits, then
    // finds the new version.
    sqlx::query("update expert_gram_version set version = version")
        .execute(&mut *tx)
        .await?;
    let (version,): (i64,) = sqlx::query_as("select version from expert_gram_version")
        .fetch_one(&mut *tx)
        .await?;
    if version == VERSION {
        return Ok(());
    }
    sqlx::query("delete from expert_gram")
        .execute(&mut *tx)
        .await?;
    let experts =
        sqlx::query("select expert_id, code, name, keywords_zh, keywords_en, summary from expert")
            .fetch_all(&mut *tx)
            .await?;
    let mut batch = GramBatch::default();
    for r in &experts {
        let texts: [String; 5] = [
            r.try_get("code")?,
            r.try_get("name")?,
            r.try_get("keywords_zh")?,
            r.try_get("keywords_en")?,
            r.try_get("summary")?,
        ];
        let g = grams([&texts[0], &texts[1], &texts[2], &texts[3], &texts[4]]);
        batch.add(r.try_get("expert_id")?, &texts[0], g);
    }
    drop(experts);
    batch.write(&mut tx).await?;
    sqlx::query("update expert_gram_version set version = $1")
        .bind(VERSION)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
