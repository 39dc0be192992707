//! A pool's roster: memberships with their experts, filtered, sorted on the server and paged,
//! with the counts by state.

use crate::domain::membership::Pool;
use crate::store::{Store, StoreError};
use serde::Serialize;
use std::collections::BTreeMap;

/// Roster filters, order and page.
#[derive(Debug, Clone, Default)]
pub struct RosterFilter {
    /// State (empty: any).
    pub state: String,
    /// Term ending before this date (empty: any).
    pub term_before: String,
    /// Discipline code prefix.
    pub discipline: String,
    /// Region.
    pub region: String,
    /// Title.
    pub title: String,
    /// Name or code part.
    pub q: String,
    /// Column to sort by: `code` (default), `name`, `title`, `org`, `region`, `state`,
    /// `since`, `term_end`.
    pub sort: String,
    /// Descending order.
    pub desc: bool,
    /// Page (from 1) and lines per page; `per_page` 0 means every line (exports).
    pub page: i64,
    /// Lines per page.
    pub per_page: i64,
}

impl RosterFilter {
    /// The SQL of the chosen order (a fixed list: nothing typed reaches the statement).
    fn order_by(&self) -> String {
        let column = match self.sort.as_str() {
            "name" => "e.name",
            "title" => "e.title",
            "org" => "e.organization_code",
            "region" => "e.region",
            "state" => "m.state",
            "since" => "m.since",
            "term_end" => "m.term_end",
            _ => "e.code",
        };
        let dir = if self.desc { "desc" } else { "asc" };
        format!("{column} {dir}, e.code, m.membership_id")
    }
}

/// One roster line.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct RosterLine {
    /// Membership id.
    pub membership_id: i64,
    /// Expert id.
    pub expert_id: i64,
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Title.
    pub title: String,
    /// Employer code.
    pub organization_code: String,
    /// Region.
    pub region: String,
    /// State.
    pub state: String,
    /// Since.
    pub since: String,
    /// Term end.
    pub term_end: Option<String>,
    /// Reason.
    pub reason: String,
    /// Last day of a suspension.
    pub suspended_until: Option<String>,
}

/// A page of the roster.
#[derive(Debug, Clone, Serialize)]
pub struct RosterPage {
    /// The lines of the page (every line when unpaged).
    pub lines: Vec<RosterLine>,
    /// Lines matching the filter.
    pub total: i64,
    /// The pool's memberships by state.
    pub counts: BTreeMap<String, i64>,
}

const WHERE: &str = "from membership m join expert e on e.expert_id = m.expert_id
        where m.pool = $1 and ($2 = '' or m.state = $2) and ($3 = '' or (m.term_end is not null and m.term_end < $3))
          and ($4 = '' or exists (select 1 from expert_discipline d where d.expert_id = e.expert_id and d.code like $5))
          and ($6 = '' or e.region = $6) and ($7 = '' or e.title = $7) and ($8 = '' or lower(e.name) like $9 or lower(e.code) like $9)";

/// The memberships of a pool matching the filter, in its order and page, with the total and
/// the count of the pool's memberships by state.
pub async fn roster(store: &Store, pool: Pool, f: &RosterFilter) -> Result<RosterPage, StoreError> {
    macro_rules! bind_filter {
        ($q:expr) => {
            $q.bind(pool.as_str())
                .bind(f.state.trim().to_string())
                .bind(f.term_before.trim().to_string())
                .bind(f.discipline.trim().to_string())
                .bind(format!("{}%", f.discipline.trim()))
                .bind(f.region.trim().to_string())
                .bind(f.title.trim().to_string())
                .bind(f.q.trim().to_string())
                .bind(format!("%{}%", f.q.trim().to_lowercase()))
        };
    }
    let paged = f.per_page > 0;
    let limit = if paged {
        format!(
            " limit {} offset {}",
            f.per_page,
            (f.page.max(1) - 1) * f.per_page
        )
    } else {
        String::new()
    };
    let sql = format!(
        "select m.membership_id, e.expert_id, e.code, e.name, e.title, e.organization_code, e.region, m.state, m.since, m.term_end, m.reason, m.suspended_until {WHERE} order by {}{limit}",
        f.order_by()
    );
    let lines: Vec<RosterLine> = bind_filter!(sqlx::query_as(&sql))
        .fetch_all(&store.pool)
        .await?;
    let total = if paged {
        let (n,): (i64,) = bind_filter!(sqlx::query_as(&format!("select count(*) {WHERE}")))
            .fetch_one(&store.pool)
            .await?;
        n
    } else {
        lines.len() as i64
    };
    let counts: Vec<(String, i64)> =
        sqlx::query_as("select state, count(*) from membership where pool = $1 group by state")
            .bind(pool.as_str())
            .fetch_all(&store.pool)
            .await?;
    Ok(RosterPage {
        lines,
        total,
        counts: counts.into_iter().collect(),
    })
}
