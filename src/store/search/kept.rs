//! Reading the expert list into memory and keeping it per `registry_version` (the index
//! itself, pure, is `memory.rs`).

use super::grams::is_ideograph;
use super::memory::{ListIndex, ListRow, Lowering, SORTS};
use crate::domain::ExpertId;
use crate::store::experts::{registry_version, split, ExpertFilter, ExpertSummary};
use crate::store::{Backend, Store, StoreError};
use sqlx::Row;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The store's slot for the list in memory.
#[derive(Debug, Default)]
pub struct KeptList {
    index: Mutex<Option<Arc<ListIndex>>>,
    /// A background rebuild is running.
    building: AtomicBool,
    /// When the last background rebuild started.
    last_started: Mutex<Option<Instant>>,
}

/// Background rebuilds start at most this often: during a bulk import every statement moves
/// the version, and a list read then is stale before it is built (the scheduler's round
/// catches up after).
const REBUILD_EVERY: Duration = Duration::from_secs(5);

/// Clears `building` however the rebuild ends (a cancelled task included).
struct Building(Arc<KeptList>);

impl Drop for Building {
    fn drop(&mut self) {
        self.0.building.store(false, Ordering::Release);
    }
}

impl KeptList {
    fn current(&self) -> Option<Arc<ListIndex>> {
        self.index.lock().ok().and_then(|slot| slot.clone())
    }
}

/// The answer from memory when the kept list is current and can answer `f`; otherwise
/// `None` (the database answers), and a stale list starts rebuilding in the background.
pub async fn answer(
    store: &Store,
    f: &ExpertFilter,
) -> Result<Option<(Vec<ExpertSummary>, i64)>, StoreError> {
    let version = registry_version(&store.pool).await?;
    match store.list.current() {
        Some(index) if index.version == version => Ok(index.answer(f)),
        _ => {
            refresh_in_background(store);
            Ok(None)
        }
    }
}

fn refresh_in_background(store: &Store) {
    {
        let Ok(mut last) = store.list.last_started.lock() else {
            return;
        };
        if last.is_some_and(|t| t.elapsed() < REBUILD_EVERY)
            || store.list.building.swap(true, Ordering::AcqRel)
        {
            return;
        }
        *last = Some(Instant::now());
    }
    let store = store.clone();
    tokio::spawn(async move {
        let _building = Building(store.list.clone());
        if let Err(e) = refresh(&store).await {
            eprintln!("expert list: {e}");
        }
    });
}

/// Reads the list into memory unless the kept one is current (the scheduler's round calls
/// it, so that the first search after a change rarely finds it stale). Returns the number of
/// experts kept.
pub async fn refresh(store: &Store) -> Result<usize, StoreError> {
    let version = registry_version(&store.pool).await?;
    if let Some(index) = store.list.current().filter(|i| i.version == version) {
        return Ok(index.len());
    }
    let started = Instant::now();
    let (version, rows, orders, lowering) = read(store).await?;
    let read_ms = started.elapsed().as_secs_f64() * 1e3;
    let backend = store.backend;
    let index = tokio::task::spawn_blocking(move || {
        ListIndex::build(backend, lowering, version, rows, &orders)
    })
    .await
    .map_err(|e| StoreError::Corrupt(format!("expert list: {e}")))?;
    let n = index.len();
    if std::env::var_os("EXPERTPOOL_SOLVER_LOG").is_some() {
        eprintln!(
            "expert list: {n} experts read in {read_ms:.0} ms, indexed in {:.0} ms",
            started.elapsed().as_secs_f64() * 1e3 - read_ms
        );
    }
    if let Ok(mut slot) = store.list.index.lock() {
        // Two rebuilds may race: keep the newer.
        if slot.as_ref().is_none_or(|old| old.version <= index.version) {
            *slot = Some(Arc::new(index));
        }
    }
    Ok(n)
}

/// The version, the rows in code order and the ids in each of [`SORTS`]' orders, read in
/// one transaction (one snapshot: repeatable read on PostgreSQL), so that the list is exactly
/// the registry at that version.
async fn read(store: &Store) -> Result<(i64, Vec<ListRow>, Vec<Vec<i64>>, Lowering), StoreError> {
    let mut tx = store.pool.begin().await?;
    if store.backend == Backend::Postgres {
        sqlx::query("set transaction isolation level repeatable read, read only")
            .execute(&mut *tx)
            .await?;
    }
    let version = registry_version(&mut *tx).await?;
    let mut disciplines: HashMap<i64, Vec<String>> = HashMap::new();
    let codes: Vec<(i64, String)> = sqlx::query_as(
        "select expert_id, code from expert_discipline order by expert_id, position",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (id, code) in codes {
        disciplines.entry(id).or_default().push(code);
    }
    let join = "from expert e join organization o on o.code = e.organization_code";
    let rows = sqlx::query(&format!(
        "select e.expert_id, e.code, e.name, e.title, e.organization_code, o.name_zh, o.name_en,
                e.region, e.types, e.to_verify, e.keywords_zh, e.keywords_en, e.summary, e.updated_at
         {join} order by e.code"
    ))
    .fetch_all(&mut *tx)
    .await?;
    let mut list = Vec::with_capacity(rows.len());
    for r in rows {
        let id: i64 = r.try_get("expert_id")?;
        let types: String = r.try_get("types")?;
        let to_verify: String = r.try_get("to_verify")?;
        let code: String = r.try_get("code")?;
        let name: String = r.try_get("name")?;
        list.push(ListRow {
            summary: ExpertSummary {
                id: ExpertId(id),
                code: code.clone(),
                name: name.clone(),
                title: r.try_get("title")?,
                org_id: r.try_get("organization_code")?,
                org_name: r.try_get("name_zh")?,
                region: r.try_get("region")?,
                types: split(&types),
                disciplines: disciplines.remove(&id).unwrap_or_default(),
                to_verify: split(&to_verify),
            },
            searched: [
                code,
                name,
                r.try_get("keywords_zh")?,
                r.try_get("keywords_en")?,
                r.try_get("summary")?,
            ],
            org_name_en: r.try_get("name_en")?,
            types,
            updated_at: r.try_get("updated_at")?,
            to_verify,
        });
    }
    let mut orders = Vec::with_capacity(SORTS.len());
    for sort in SORTS {
        let f = ExpertFilter {
            sort: sort.to_string(),
            ..Default::default()
        };
        let ids: Vec<(i64,)> = sqlx::query_as(&format!(
            "select e.expert_id {join} order by {}",
            f.order_by("e.code")
        ))
        .fetch_all(&mut *tx)
        .await?;
        orders.push(ids.into_iter().map(|(id,)| id).collect());
    }
    let lowering = match store.backend {
        Backend::Sqlite => Lowering::Ascii,
        Backend::Postgres => {
            let mut cased: std::collections::BTreeSet<char> = ('A'..='Z').collect();
            for r in &list {
                let texts = r.searched.iter();
                for text in texts.chain([&r.summary.org_id, &r.summary.org_name, &r.org_name_en]) {
                    cased.extend(
                        text.chars()
                            .filter(|c| !c.is_ascii() && c.is_alphabetic() && !is_ideograph(*c)),
                    );
                }
            }
            postgres_lowering(&mut tx, cased.into_iter().collect()).await?
        }
    };
    tx.rollback().await?;
    Ok((version, list, orders, lowering))
}

/// How PostgreSQL's `lower()` maps each of the `asked` characters (the registry's letters
/// other than ideographs, and A–Z): its locale decides (`C` lowers ASCII only, a Turkish one
/// lowers `I` to `ı`), so the database itself is asked.
async fn postgres_lowering(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    asked: Vec<char>,
) -> Result<Lowering, StoreError> {
    let question: String = asked
        .iter()
        .map(char::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    let (answer,): (String,) = sqlx::query_as("select lower($1)")
        .bind(&question)
        .fetch_one(&mut **tx)
        .await?;
    let answers: Vec<&str> = answer.split('\n').collect();
    if answers.len() != asked.len() {
        return Ok(Lowering::Unknown);
    }
    let mut table = HashMap::new();
    for (c, lowered) in asked.into_iter().zip(answers) {
        let mut chars = lowered.chars();
        match (chars.next(), chars.next()) {
            (Some(l), None) => {
                if l != c {
                    table.insert(c, l);
                }
            }
            _ => return Ok(Lowering::Unknown),
        }
    }
    Ok(Lowering::Table(table))
}
