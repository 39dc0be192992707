//! Experts and their child rows (disciplines, employments, relations, unavailable dates).

use super::search::{grams, Searched};
use super::{on_unique, opt_i64, Store, StoreError};
use std::sync::Arc;

/// The expert list with its keyword search (in `store::search`).
pub use super::search::search;
/// Keyword postings of new experts, written together by the bulk import.
pub use super::search::GramBatch;
use crate::domain::expert::{
    DateRange, Distinction, Email, Employment, ExpertProfile, ExpertType, Gender, Region, Relation,
    RelationKind, Title,
};
use crate::domain::{DisciplineCode, ExpertId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row, Transaction};
use std::collections::HashMap;

/// A stored expert.
#[derive(Debug, Clone, Serialize)]
pub struct StoredExpert {
    /// Row id.
    pub id: ExpertId,
    /// The profile.
    #[serde(flatten)]
    pub profile: ExpertProfile,
    /// Fields changed by the expert that staff must verify.
    pub to_verify: Vec<String>,
    /// The expert's proposed values of those fields (the profile holds the verified ones).
    pub pending: crate::domain::expert::PendingAttributes,
    /// Last change.
    pub updated_at: String,
}

/// One line of the expert list.
#[derive(Debug, Clone, Serialize)]
pub struct ExpertSummary {
    /// Row id.
    pub id: ExpertId,
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Title.
    pub title: String,
    /// Employer code.
    pub org_id: String,
    /// Employer name.
    pub org_name: String,
    /// Region.
    pub region: String,
    /// Types.
    pub types: Vec<String>,
    /// Discipline codes, primary first.
    pub disciplines: Vec<String>,
    /// Fields to verify.
    pub to_verify: Vec<String>,
}

/// List filters (DESIGN §12).
#[derive(Debug, Clone, Default)]
pub struct ExpertFilter {
    /// Name, code, keyword or summary text.
    pub q: String,
    /// Discipline code prefix.
    pub discipline: String,
    /// Organization code or name part.
    pub org: String,
    /// Title.
    pub title: String,
    /// Region.
    pub region: String,
    /// Type.
    pub expert_type: String,
    /// Only experts with fields to verify.
    pub to_verify: bool,
    /// 1-based page.
    pub page: i64,
    /// Page size.
    pub per_page: i64,
    /// Column to sort by: `code` (default), `name`, `title`, `org`, `region`, `updated`.
    pub sort: String,
    /// Descending order.
    pub desc: bool,
}

impl ExpertFilter {
    /// The SQL order, from a fixed list (nothing typed reaches the statement); `code_column`
    /// is the code the page is keyed by (`e.code` or the gram index's `g.code`).
    pub(crate) fn order_by(&self, code_column: &str) -> String {
        let column = match self.sort.as_str() {
            "name" => "e.name",
            "title" => "e.title",
            "org" => "o.name_zh",
            "region" => "e.region",
            "updated" => "e.updated_at",
            _ => code_column,
        };
        let dir = if self.desc { "desc" } else { "asc" };
        if column == code_column {
            format!("{column} {dir}")
        } else {
            format!("{column} {dir}, {code_column}")
        }
    }
}

pub(crate) fn split(text: &str) -> Vec<String> {
    text.split(';')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn year(v: Option<i64>) -> Option<i32> {
    v.map(|y| y as i32)
}

/// Child rows (disciplines, employments, relations, unavailable dates) grouped by expert.
#[derive(Default)]
struct Children {
    codes: HashMap<i64, Vec<DisciplineCode>>,
    jobs: HashMap<i64, Vec<Employment>>,
    relations: HashMap<i64, Vec<Relation>>,
    unavailable: HashMap<i64, Vec<DateRange>>,
}

impl Children {
    /// Reads the child rows of one expert, or of every expert when `only` is `None`: four
    /// queries either way, so loading the whole registry is not 4 × N round trips.
    async fn read(conn: &mut AnyConnection, only: Option<i64>) -> Result<Self, StoreError> {
        let filter = "where ($1 = 0 or expert_id = $1) order by expert_id, position";
        let id = only.unwrap_or(0);
        let mut c = Children::default();
        let codes: Vec<(i64, String)> = sqlx::query_as(&format!(
            "select expert_id, code from expert_discipline {filter}"
        ))
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        for (e, code) in codes {
            c.codes
                .entry(e)
                .or_default()
                .push(DisciplineCode::parse(&code).map_err(corrupt)?);
        }
        for r in sqlx::query(&format!("select expert_id, organization_code, year_from, year_to from expert_employment {filter}")).bind(id).fetch_all(&mut *conn).await? {
            let job = Employment { org_id: r.try_get("organization_code")?, from: year(opt_i64(&r, "year_from")?), to: year(opt_i64(&r, "year_to")?) };
            c.jobs.entry(r.try_get("expert_id")?).or_default().push(job);
        }
        for r in sqlx::query(&format!("select expert_id, kind, person_name, organization_code, since, until from expert_relation {filter}")).bind(id).fetch_all(&mut *conn).await? {
            let relation = Relation {
                kind: RelationKind::parse(&r.try_get::<String, _>("kind")?).map_err(corrupt)?,
                person_name: r.try_get("person_name")?,
                org_id: r.try_get("organization_code")?,
                since: year(opt_i64(&r, "since")?),
                until: year(opt_i64(&r, "until")?),
            };
            c.relations.entry(r.try_get("expert_id")?).or_default().push(relation);
        }
        let ranges: Vec<(i64, String, String)> = sqlx::query_as(&format!(
            "select expert_id, date_from, date_to from expert_unavailable {filter}"
        ))
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        for (e, a, b) in ranges {
            c.unavailable
                .entry(e)
                .or_default()
                .push(DateRange::parse("unavailable", &format!("{a}..{b}")).map_err(corrupt)?);
        }
        Ok(c)
    }

    /// Builds the stored expert of a main row, taking its child rows.
    fn assemble(&mut self, row: &AnyRow) -> Result<StoredExpert, StoreError> {
        let id: i64 = row.try_get("expert_id")?;
        let email: Option<String> = row.try_get("email")?;
        let profile = ExpertProfile {
            code: row.try_get("code")?,
            name: row.try_get("name")?,
            gender: Gender::parse(&row.try_get::<String, _>("gender")?).map_err(corrupt)?,
            birth_year: row.try_get::<i64, _>("birth_year")? as i32,
            title: Title::parse(&row.try_get::<String, _>("title")?).map_err(corrupt)?,
            position: row.try_get("position")?,
            org_id: row.try_get("organization_code")?,
            region: Region::parse(&row.try_get::<String, _>("region")?).map_err(corrupt)?,
            disciplines: self.codes.remove(&id).unwrap_or_default(),
            keywords_zh: split(&row.try_get::<String, _>("keywords_zh")?),
            keywords_en: split(&row.try_get::<String, _>("keywords_en")?),
            summary: row.try_get("summary")?,
            types: split(&row.try_get::<String, _>("types")?)
                .iter()
                .map(|t| ExpertType::parse(t).map_err(corrupt))
                .collect::<Result<_, _>>()?,
            email: email
                .filter(|e| !e.is_empty())
                .map(|e| Email::parse(&e).map_err(corrupt))
                .transpose()?,
            phone: row.try_get("phone")?,
            employments: self.jobs.remove(&id).unwrap_or_default(),
            relations: self.relations.remove(&id).unwrap_or_default(),
            unavailable: self.unavailable.remove(&id).unwrap_or_default(),
            field_since: year(opt_i64(row, "field_since")?),
            distinction: match row.try_get::<String, _>("distinction")?.as_str() {
                "" => None,
                text => Some(Distinction::parse(text).map_err(corrupt)?),
            },
        };
        Ok(StoredExpert {
            id: ExpertId(id),
            profile,
            to_verify: split(&row.try_get::<String, _>("to_verify")?),
            pending: match row.try_get::<String, _>("pending_json")?.as_str() {
                "" => Default::default(),
                text => serde_json::from_str(text)
                    .map_err(|e| StoreError::Corrupt(format!("pending_json: {e}")))?,
            },
            updated_at: row.try_get("updated_at")?,
        })
    }
}

async fn load(conn: &mut AnyConnection, row: AnyRow) -> Result<StoredExpert, StoreError> {
    let id: i64 = row.try_get("expert_id")?;
    Children::read(conn, Some(id)).await?.assemble(&row)
}

const COLUMNS: &str = "expert_id, code, name, gender, birth_year, title, position, organization_code, region, keywords_zh, keywords_en, summary, types, email, phone, to_verify, pending_json, updated_at, field_since, distinction";

/// An expert by id.
pub async fn get(conn: &mut AnyConnection, id: ExpertId) -> Result<StoredExpert, StoreError> {
    let row = sqlx::query(&format!(
        "select {COLUMNS} from expert where expert_id = $1"
    ))
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    load(conn, row).await
}

/// An expert by code.
pub async fn get_by_code(conn: &mut AnyConnection, code: &str) -> Result<StoredExpert, StoreError> {
    let row = sqlx::query(&format!("select {COLUMNS} from expert where code = $1"))
        .bind(code)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    load(conn, row).await
}

/// The counter that every write to the registry bumps (triggers, in the writer's transaction).
pub(crate) async fn registry_version<'e>(
    executor: impl sqlx::Executor<'e, Database = Any>,
) -> Result<i64, StoreError> {
    let (version,): (i64,) = sqlx::query_as("select version from registry_version where id = 1")
        .fetch_one(executor)
        .await?;
    Ok(version)
}

/// The registry as read at one `registry_version`.
pub(crate) type CachedRegistry = (i64, Arc<Vec<StoredExpert>>);

/// Every expert with every child row (for the engine and exports), by code.
///
/// Reading 2,000 experts and their child rows takes ~100 ms, and every overview and draw
/// needs them, so the store keeps the last read in memory. Triggers bump `registry_version`
/// in the transaction of every write to the expert tables; the version is read before the
/// rows, so a cached copy is never older than its version, and any write made since (by this
/// instance, another one, or the command line) makes the next call read afresh.
pub async fn all(store: &Store) -> Result<Arc<Vec<StoredExpert>>, StoreError> {
    let mut conn = store.pool.acquire().await?;
    let version = registry_version(&mut *conn).await?;
    let cached = store.registry.lock().ok().and_then(|slot| {
        slot.as_ref()
            .filter(|(v, _)| *v == version)
            .map(|(_, experts)| experts.clone())
    });
    if let Some(experts) = cached {
        return Ok(experts);
    }
    let rows = sqlx::query(&format!("select {COLUMNS} from expert order by code"))
        .fetch_all(&mut *conn)
        .await?;
    let mut children = Children::read(&mut conn, None).await?;
    let experts: Arc<Vec<StoredExpert>> = Arc::new(
        rows.iter()
            .map(|row| children.assemble(row))
            .collect::<Result<_, _>>()?,
    );
    if let Ok(mut slot) = store.registry.lock() {
        *slot = Some((version, experts.clone()));
    }
    Ok(experts)
}

async fn write_children(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    p: &ExpertProfile,
) -> Result<(), StoreError> {
    for table in [
        "expert_discipline",
        "expert_employment",
        "expert_relation",
        "expert_unavailable",
    ] {
        sqlx::query(&format!("delete from {table} where expert_id = $1"))
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    for (i, d) in p.disciplines.iter().enumerate() {
        sqlx::query(
            "insert into expert_discipline (expert_id, position, code) values ($1, $2, $3)",
        )
        .bind(id)
        .bind(i as i64)
        .bind(d.as_str())
        .execute(&mut **tx)
        .await?;
    }
    for (i, e) in p.employments.iter().enumerate() {
        sqlx::query("insert into expert_employment (expert_id, position, organization_code, year_from, year_to) values ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(i as i64)
            .bind(&e.org_id)
            .bind(e.from.map(i64::from))
            .bind(e.to.map(i64::from))
            .execute(&mut **tx)
            .await?;
    }
    for (i, r) in p.relations.iter().enumerate() {
        sqlx::query("insert into expert_relation (expert_id, position, kind, person_name, organization_code, since, until) values ($1, $2, $3, $4, $5, $6, $7)")
            .bind(id)
            .bind(i as i64)
            .bind(r.kind.as_str())
            .bind(r.person_name.clone())
            .bind(r.org_id.clone())
            .bind(r.since.map(i64::from))
            .bind(r.until.map(i64::from))
            .execute(&mut **tx)
            .await?;
    }
    for (i, u) in p.unavailable.iter().enumerate() {
        sqlx::query("insert into expert_unavailable (expert_id, position, date_from, date_to) values ($1, $2, $3, $4)")
            .bind(id)
            .bind(i as i64)
            .bind(u.from.to_string())
            .bind(u.to.to_string())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

fn main_values(p: &ExpertProfile) -> [String; 13] {
    [
        p.code.clone(),
        p.name.clone(),
        p.gender.as_str().into(),
        p.title.as_str().into(),
        p.position.clone(),
        p.org_id.clone(),
        p.region.as_str().into(),
        p.keywords_zh.join(";"),
        p.keywords_en.join(";"),
        p.summary.clone(),
        p.types
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(";"),
        p.phone.clone(),
        p.email
            .as_ref()
            .map(|e| e.as_str().to_string())
            .unwrap_or_default(),
    ]
}

fn distinction(p: &ExpertProfile) -> String {
    p.distinction
        .map(|d| d.as_str().to_string())
        .unwrap_or_default()
}

/// The columns that `q` searches, from `main_values`: code, name, keywords_zh, keywords_en,
/// summary.
fn searched(v: &[String; 13]) -> Searched<'_> {
    [&v[0], &v[1], &v[7], &v[8], &v[9]]
}

/// The next free public code `E00001` …
pub async fn next_code(tx: &mut Transaction<'_, Any>) -> Result<String, StoreError> {
    let (max,): (Option<String>,) =
        sqlx::query_as("select max(code) from expert where code like 'E%'")
            .fetch_one(&mut **tx)
            .await?;
    let n = max.and_then(|c| c[1..].parse::<u64>().ok()).unwrap_or(0) + 1;
    Ok(format!("E{n:05}"))
}

/// Inserts an expert.
pub async fn insert(
    tx: &mut Transaction<'_, Any>,
    p: &ExpertProfile,
) -> Result<ExpertId, StoreError> {
    insert_with(tx, p, None).await
}

/// Inserts an expert whose keyword postings go into `batch`: the caller writes the batch in
/// the same transaction before it updates this expert or commits (the bulk import).
pub async fn insert_batched(
    tx: &mut Transaction<'_, Any>,
    p: &ExpertProfile,
    batch: &mut GramBatch,
) -> Result<ExpertId, StoreError> {
    insert_with(tx, p, Some(batch)).await
}

async fn insert_with(
    tx: &mut Transaction<'_, Any>,
    p: &ExpertProfile,
    batch: Option<&mut GramBatch>,
) -> Result<ExpertId, StoreError> {
    let v = main_values(p);
    let now = super::now();
    let row = sqlx::query(
        "insert into expert (code, name, gender, birth_year, title, position, organization_code, region, keywords_zh, keywords_en, summary, types, phone, email, to_verify, created_at, updated_at, field_since, distinction)
         values ($1, $2, $3, $14, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, '', $15, $15, $16, $17) returning expert_id",
    )
    .bind(&v[0]).bind(&v[1]).bind(&v[2]).bind(&v[3]).bind(&v[4]).bind(&v[5]).bind(&v[6]).bind(&v[7]).bind(&v[8]).bind(&v[9]).bind(&v[10]).bind(&v[11])
    .bind(if v[12].is_empty() { None } else { Some(v[12].clone()) })
    .bind(p.birth_year as i64)
    .bind(&now)
    .bind(p.field_since.map(i64::from))
    .bind(distinction(p))
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| on_unique(e, "code"))?;
    let id: i64 = row.try_get("expert_id")?;
    write_children(tx, id, p).await?;
    let new_grams = grams(searched(&v));
    match batch {
        Some(batch) => batch.add(id, &v[0], new_grams),
        None => super::search::write(tx, id, None, &v[0], &new_grams).await?,
    }
    Ok(ExpertId(id))
}

/// Replaces an expert's profile; `to_verify` is stored as given.
pub async fn update(
    tx: &mut Transaction<'_, Any>,
    id: ExpertId,
    p: &ExpertProfile,
    pending: &crate::domain::expert::PendingAttributes,
) -> Result<(), StoreError> {
    let v = main_values(p);
    let to_verify = pending.fields();
    let pending_json = if pending.is_empty() {
        String::new()
    } else {
        serde_json::to_string(pending).map_err(|e| StoreError::Corrupt(e.to_string()))?
    };
    // The row's lock first (on PostgreSQL; SQLite's write transaction excludes other writers
    // already), so that the text read next is what the keyword index holds until this
    // transaction ends: only the difference is written.
    let locked = sqlx::query("update expert set updated_at = updated_at where expert_id = $1")
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
    if locked.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    let before = sqlx::query(
        "select code, name, keywords_zh, keywords_en, summary from expert where expert_id = $1",
    )
    .bind(id.0)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let old: [String; 5] = [
        before.try_get("code")?,
        before.try_get("name")?,
        before.try_get("keywords_zh")?,
        before.try_get("keywords_en")?,
        before.try_get("summary")?,
    ];
    let old_grams = grams([&old[0], &old[1], &old[2], &old[3], &old[4]]);
    let done = sqlx::query(
        "update expert set code = $1, name = $2, gender = $3, title = $4, position = $5, organization_code = $6, region = $7, keywords_zh = $8, keywords_en = $9,
         summary = $10, types = $11, phone = $12, email = $13, birth_year = $14, to_verify = $15, updated_at = $16, pending_json = $18, field_since = $19, distinction = $20 where expert_id = $17",
    )
    .bind(&v[0]).bind(&v[1]).bind(&v[2]).bind(&v[3]).bind(&v[4]).bind(&v[5]).bind(&v[6]).bind(&v[7]).bind(&v[8]).bind(&v[9]).bind(&v[10]).bind(&v[11])
    .bind(if v[12].is_empty() { None } else { Some(v[12].clone()) })
    .bind(p.birth_year as i64)
    .bind(to_verify.join(";"))
    .bind(super::now())
    .bind(id.0)
    .bind(pending_json)
    .bind(p.field_since.map(i64::from))
    .bind(distinction(p))
    .execute(&mut **tx)
    .await
    .map_err(|e| on_unique(e, "code"))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    write_children(tx, id.0, p).await?;
    let new_grams = grams(searched(&v));
    super::search::write(tx, id.0, Some((&old[0], &old_grams)), &v[0], &new_grams).await
}

/// Number of experts.
pub async fn count(store: &Store) -> Result<i64, StoreError> {
    let (n,): (i64,) = sqlx::query_as("select count(*) from expert")
        .fetch_one(&store.pool)
        .await?;
    Ok(n)
}
