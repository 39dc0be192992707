//! Experts and their child rows (disciplines, employments, relations, unavailable dates).

use super::{on_unique, opt_i64, Store, StoreError};
use crate::domain::expert::{
    DateRange, Email, Employment, ExpertProfile, ExpertType, Gender, Region, Relation,
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
}

fn split(text: &str) -> Vec<String> {
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
        };
        Ok(StoredExpert {
            id: ExpertId(id),
            profile,
            to_verify: split(&row.try_get::<String, _>("to_verify")?),
            updated_at: row.try_get("updated_at")?,
        })
    }
}

async fn load(conn: &mut AnyConnection, row: AnyRow) -> Result<StoredExpert, StoreError> {
    let id: i64 = row.try_get("expert_id")?;
    Children::read(conn, Some(id)).await?.assemble(&row)
}

const COLUMNS: &str = "expert_id, code, name, gender, birth_year, title, position, organization_code, region, keywords_zh, keywords_en, summary, types, email, phone, to_verify, updated_at";

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

/// Every expert with every child row (for the engine and exports), by code.
pub async fn all(store: &Store) -> Result<Vec<StoredExpert>, StoreError> {
    let mut conn = store.pool.acquire().await?;
    let rows = sqlx::query(&format!("select {COLUMNS} from expert order by code"))
        .fetch_all(&mut *conn)
        .await?;
    let mut children = Children::read(&mut conn, None).await?;
    rows.iter().map(|row| children.assemble(row)).collect()
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
    let v = main_values(p);
    let now = super::now();
    let row = sqlx::query(
        "insert into expert (code, name, gender, birth_year, title, position, organization_code, region, keywords_zh, keywords_en, summary, types, phone, email, to_verify, created_at, updated_at)
         values ($1, $2, $3, $14, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, '', $15, $15) returning expert_id",
    )
    .bind(&v[0]).bind(&v[1]).bind(&v[2]).bind(&v[3]).bind(&v[4]).bind(&v[5]).bind(&v[6]).bind(&v[7]).bind(&v[8]).bind(&v[9]).bind(&v[10]).bind(&v[11])
    .bind(if v[12].is_empty() { None } else { Some(v[12].clone()) })
    .bind(p.birth_year as i64)
    .bind(&now)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| on_unique(e, "code"))?;
    let id: i64 = row.try_get("expert_id")?;
    write_children(tx, id, p).await?;
    Ok(ExpertId(id))
}

/// Replaces an expert's profile; `to_verify` is stored as given.
pub async fn update(
    tx: &mut Transaction<'_, Any>,
    id: ExpertId,
    p: &ExpertProfile,
    to_verify: &[String],
) -> Result<(), StoreError> {
    let v = main_values(p);
    let done = sqlx::query(
        "update expert set code = $1, name = $2, gender = $3, title = $4, position = $5, organization_code = $6, region = $7, keywords_zh = $8, keywords_en = $9,
         summary = $10, types = $11, phone = $12, email = $13, birth_year = $14, to_verify = $15, updated_at = $16 where expert_id = $17",
    )
    .bind(&v[0]).bind(&v[1]).bind(&v[2]).bind(&v[3]).bind(&v[4]).bind(&v[5]).bind(&v[6]).bind(&v[7]).bind(&v[8]).bind(&v[9]).bind(&v[10]).bind(&v[11])
    .bind(if v[12].is_empty() { None } else { Some(v[12].clone()) })
    .bind(p.birth_year as i64)
    .bind(to_verify.join(";"))
    .bind(super::now())
    .bind(id.0)
    .execute(&mut **tx)
    .await
    .map_err(|e| on_unique(e, "code"))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    write_children(tx, id.0, p).await
}

/// A page of experts matching the filter, and the total count.
pub async fn search(
    store: &Store,
    f: &ExpertFilter,
) -> Result<(Vec<ExpertSummary>, i64), StoreError> {
    let like = |s: &str| format!("%{}%", s.trim().to_lowercase());
    // One parameter list for both queries; an empty filter value disables its condition.
    let conditions = "($1 = '' or lower(e.name) like $2 or lower(e.code) like $2 or lower(e.keywords_zh) like $2 or lower(e.keywords_en) like $2 or lower(e.summary) like $2)
        and ($3 = '' or exists (select 1 from expert_discipline d where d.expert_id = e.expert_id and d.code like $4))
        and ($5 = '' or lower(e.organization_code) = $6 or lower(o.name_zh) like $7 or lower(o.name_en) like $7)
        and ($8 = '' or e.title = $8)
        and ($9 = '' or e.region = $9)
        and ($10 = '' or (';' || e.types || ';') like $11)
        and ($12 = 0 or e.to_verify <> '')";
    let q = f.q.trim().to_string();
    macro_rules! bind_filter {
        ($query:expr) => {
            $query
                .bind(q.clone())
                .bind(like(&q))
                .bind(f.discipline.trim().to_string())
                .bind(format!("{}%", f.discipline.trim()))
                .bind(f.org.trim().to_string())
                .bind(f.org.trim().to_lowercase())
                .bind(like(&f.org))
                .bind(f.title.trim().to_string())
                .bind(f.region.trim().to_string())
                .bind(f.expert_type.trim().to_string())
                .bind(format!("%;{};%", f.expert_type.trim()))
                .bind(i64::from(f.to_verify))
        };
    }
    let from = "from expert e join organization o on o.code = e.organization_code";
    let count_sql = format!("select count(*) as n {from} where {conditions}");
    let total_row = bind_filter!(sqlx::query(&count_sql))
        .fetch_one(&store.pool)
        .await?;
    let total: i64 = total_row.try_get("n")?;
    let per_page = f.per_page.clamp(1, 200);
    let offset = (f.page.max(1) - 1) * per_page;
    let sql = format!(
        "select e.expert_id, e.code, e.name, e.title, e.organization_code, o.name_zh as org_name, e.region, e.types, e.to_verify {from} where {conditions} order by e.code limit {per_page} offset {offset}"
    );
    let rows = bind_filter!(sqlx::query(&sql))
        .fetch_all(&store.pool)
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let id: i64 = r.try_get("expert_id")?;
        let codes: Vec<(String,)> = sqlx::query_as(
            "select code from expert_discipline where expert_id = $1 order by position",
        )
        .bind(id)
        .fetch_all(&store.pool)
        .await?;
        items.push(ExpertSummary {
            id: ExpertId(id),
            code: r.try_get("code")?,
            name: r.try_get("name")?,
            title: r.try_get("title")?,
            org_id: r.try_get("organization_code")?,
            org_name: r.try_get("org_name")?,
            region: r.try_get("region")?,
            types: split(&r.try_get::<String, _>("types")?),
            disciplines: codes.into_iter().map(|(c,)| c).collect(),
            to_verify: split(&r.try_get::<String, _>("to_verify")?),
        });
    }
    Ok((items, total))
}

/// Number of experts.
pub async fn count(store: &Store) -> Result<i64, StoreError> {
    let (n,): (i64,) = sqlx::query_as("select count(*) from expert")
        .fetch_one(&store.pool)
        .await?;
    Ok(n)
}
