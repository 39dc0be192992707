//! Organizations and the discipline classification.

use super::{Store, StoreError};
use crate::domain::discipline::{Discipline, CLASSIFICATION_CSV};
use crate::domain::expert::Region;
use crate::domain::organization::Organization;
use crate::domain::DisciplineCode;
use sqlx::{Any, Transaction};

#[derive(sqlx::FromRow)]
struct OrgRow {
    code: String,
    name_zh: String,
    name_en: String,
    kind: String,
    region: String,
    city: String,
}

impl TryFrom<OrgRow> for Organization {
    type Error = StoreError;
    fn try_from(r: OrgRow) -> Result<Self, StoreError> {
        Ok(Organization {
            id: r.code,
            name_zh: r.name_zh,
            name_en: r.name_en,
            kind: r.kind,
            region: Region::parse(&r.region).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            city: r.city,
        })
    }
}

#[derive(sqlx::FromRow)]
struct DisciplineRow {
    code: String,
    parent_code: Option<String>,
    name_zh: String,
    name_en: String,
}

/// Loads the shipped classification when the table is empty (first start).
pub async fn seed_disciplines(store: &Store) -> Result<(), StoreError> {
    let (n,): (i64,) = sqlx::query_as("select count(*) from discipline")
        .fetch_one(&store.pool)
        .await?;
    if n > 0 {
        return Ok(());
    }
    let rows = crate::dataset::parse_csv::<crate::dataset::DisciplineCsv>(
        "disciplines.csv",
        CLASSIFICATION_CSV,
    )
    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut tx = store.begin_write().await?;
    for (_, row) in rows {
        let d = row
            .into_domain()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        upsert_discipline(&mut tx, &d).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Inserts or updates a discipline.
pub async fn upsert_discipline(
    tx: &mut Transaction<'_, Any>,
    d: &Discipline,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into discipline (code, parent_code, level, name_zh, name_en) values ($1, $2, $3, $4, $5)
         on conflict (code) do update set parent_code = excluded.parent_code, level = excluded.level, name_zh = excluded.name_zh, name_en = excluded.name_en",
    )
    .bind(d.code.as_str())
    .bind(d.parent.as_ref().map(|p| p.as_str().to_string()))
    .bind(d.code.level() as i64)
    .bind(&d.name_zh)
    .bind(&d.name_en)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Inserts or updates an organization (an unchanged one is left alone: no trigger fires).
pub async fn upsert_organization(
    tx: &mut Transaction<'_, Any>,
    o: &Organization,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into organization (code, name_zh, name_en, kind, region, city) values ($1, $2, $3, $4, $5, $6)
         on conflict (code) do update set name_zh = excluded.name_zh, name_en = excluded.name_en, kind = excluded.kind, region = excluded.region, city = excluded.city
         where (organization.name_zh, organization.name_en, organization.kind, organization.region, organization.city)
               <> (excluded.name_zh, excluded.name_en, excluded.kind, excluded.region, excluded.city)",
    )
    .bind(&o.id)
    .bind(&o.name_zh)
    .bind(&o.name_en)
    .bind(&o.kind)
    .bind(o.region.as_str())
    .bind(&o.city)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Every organization, by code.
pub async fn organizations(store: &Store) -> Result<Vec<Organization>, StoreError> {
    let rows: Vec<OrgRow> = sqlx::query_as(
        "select code, name_zh, name_en, kind, region, city from organization order by code",
    )
    .fetch_all(&store.pool)
    .await?;
    rows.into_iter().map(Organization::try_from).collect()
}

/// The classification, optionally under a prefix.
pub async fn disciplines(store: &Store, prefix: &str) -> Result<Vec<Discipline>, StoreError> {
    let rows: Vec<DisciplineRow> = sqlx::query_as("select code, parent_code, name_zh, name_en from discipline where code like $1 order by code")
        .bind(format!("{prefix}%"))
        .fetch_all(&store.pool)
        .await?;
    rows.into_iter()
        .map(|r| {
            let code =
                DisciplineCode::parse(&r.code).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let parent = r
                .parent_code
                .as_deref()
                .map(DisciplineCode::parse)
                .transpose()
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            Ok(Discipline {
                code,
                parent,
                name_zh: r.name_zh,
                name_en: r.name_en,
            })
        })
        .collect()
}

/// Codes among `codes` that are not in the classification.
pub async fn unknown_codes(
    store: &Store,
    codes: &[DisciplineCode],
) -> Result<Vec<usize>, StoreError> {
    let mut out = Vec::new();
    for (i, c) in codes.iter().enumerate() {
        let found: Option<(String,)> =
            sqlx::query_as("select code from discipline where code = $1")
                .bind(c.as_str())
                .fetch_optional(&store.pool)
                .await?;
        if found.is_none() {
            out.push(i);
        }
    }
    Ok(out)
}

/// An organization's region, if it exists.
pub async fn organization_region(
    store: &Store,
    code: &str,
) -> Result<Option<crate::domain::expert::Region>, StoreError> {
    let found: Option<(String,)> =
        sqlx::query_as("select region from organization where code = $1")
            .bind(code)
            .fetch_optional(&store.pool)
            .await?;
    found
        .map(|(r,)| {
            crate::domain::expert::Region::parse(&r).map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .transpose()
}

/// Whether an organization exists.
pub async fn organization_exists(store: &Store, code: &str) -> Result<bool, StoreError> {
    let found: Option<(String,)> = sqlx::query_as("select code from organization where code = $1")
        .bind(code)
        .fetch_optional(&store.pool)
        .await?;
    Ok(found.is_some())
}
