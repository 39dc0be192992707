//! Experts as lists show them (name, employer, title, types, region), looked up by code for
//! the few dozen people of a draw or a roster rather than read whole.

use super::{Store, StoreError};
use serde::Serialize;
use std::collections::BTreeMap;

/// One expert as a list line shows them.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Person {
    /// Expert code.
    pub code: String,
    /// Name.
    pub name: String,
    /// `M` or `F`.
    pub gender: String,
    /// Title rank (`正高`, `副高`, `中级`, `other`).
    pub title: String,
    /// Employer's code.
    pub organization_code: String,
    /// `local`, `province` or `outside`.
    pub region: String,
    /// Types, `;`-separated.
    pub types: String,
}

/// The experts with these codes (unknown codes are left out).
pub async fn by_codes(
    store: &Store,
    codes: &[String],
) -> Result<BTreeMap<String, Person>, StoreError> {
    let mut out = BTreeMap::new();
    // Chunks keep the statement under every backend's limit on bound values.
    for chunk in codes.chunks(400) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "select code, name, gender, title, organization_code, region, types from expert where code in ({})",
            marks.join(", ")
        );
        let mut query = sqlx::query_as::<_, Person>(&sql);
        for code in chunk {
            query = query.bind(code);
        }
        for person in query.fetch_all(&store.pool).await? {
            out.insert(person.code.clone(), person);
        }
    }
    Ok(out)
}
