//! Reads for `export` (the inverse of `import`): memberships and the tracking record as rows
//! of the sample format. The registry, the reference tables and the events come from their
//! own store modules.

use super::{Store, StoreError};
use crate::dataset::{HistoryRow, MembershipRow};
use std::collections::BTreeMap;

/// Each expert's latest membership of each pool, by expert code and pool (review first).
///
/// The import writes a memberships.csv row onto the expert's latest membership of the pool,
/// so earlier memberships (refused or exited before a new application) have no row of their
/// own: their timeline stays in the database only.
pub async fn memberships(store: &Store) -> Result<Vec<MembershipRow>, StoreError> {
    type Row = (String, String, String, String, Option<String>, String);
    let rows: Vec<Row> = sqlx::query_as(
        "select e.code, m.pool, m.state, m.since, m.term_end, m.reason
         from membership m join expert e on e.expert_id = m.expert_id
         order by m.membership_id",
    )
    .fetch_all(&store.pool)
    .await?;
    // In id order, so a later membership replaces an earlier one of the same expert and pool.
    let mut latest: BTreeMap<(String, u8, String), MembershipRow> = BTreeMap::new();
    for (code, pool, state, since, term_end, reason) in rows {
        let order = u8::from(pool != "review");
        latest.insert(
            (code.clone(), order, pool.clone()),
            MembershipRow {
                expert_id: code,
                pool,
                state,
                since,
                term_end: term_end.unwrap_or_default(),
                reason,
            },
        );
    }
    Ok(latest.into_values().collect())
}

/// The columns of a history row as the queries below select them.
type HistoryColumns = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

fn history_rows(rows: Vec<HistoryColumns>) -> Vec<HistoryRow> {
    let rating = |v: Option<i64>| v.map(|r| r.to_string()).unwrap_or_default();
    rows.into_iter()
        .map(
            |(expert, event, kind, date, response, reason, attendance, a, b, c)| HistoryRow {
                expert_id: expert,
                event_id: event,
                event_kind: kind,
                event_date: date,
                response,
                decline_reason: reason,
                attendance,
                rating_expertise: rating(a),
                rating_diligence: rating(b),
                rating_fairness: rating(c),
            },
        )
        .collect()
}

/// The history rows (`tracking_record`), by expert code, date and event.
pub async fn history(store: &Store) -> Result<Vec<HistoryRow>, StoreError> {
    let rows: Vec<HistoryColumns> = sqlx::query_as(
        "select e.code, t.event_ref, t.event_kind, t.event_date, t.response, t.decline_reason, t.attendance,
                t.rating_expertise, t.rating_diligence, t.rating_fairness
         from tracking_record t join expert e on e.expert_id = t.expert_id
         order by e.code, t.event_date, t.event_ref",
    )
    .fetch_all(&store.pool)
    .await?;
    Ok(history_rows(rows))
}

/// The service's own invitations that were answered (accepted, declined or no response), in
/// the order they were made, as history rows dated on the event's first day (as the record
/// counts them, `store::tracking`); and how many are still pending or were withdrawn.
pub async fn answered_invitations(store: &Store) -> Result<(Vec<HistoryRow>, i64), StoreError> {
    let rows: Vec<HistoryColumns> = sqlx::query_as(
        "select e.code, ev.code, ev.kind, substr(ev.dates, 1, 10), v.status, v.decline_reason, v.attendance,
                v.rating_expertise, v.rating_diligence, v.rating_fairness
         from invitation v join expert e on e.expert_id = v.expert_id join event ev on ev.event_id = v.event_id
         where v.status in ('accepted', 'declined', 'no_response')
         order by v.invitation_id",
    )
    .fetch_all(&store.pool)
    .await?;
    let (open,): (i64,) = sqlx::query_as(
        "select count(*) from invitation where status not in ('accepted', 'declined', 'no_response')",
    )
    .fetch_one(&store.pool)
    .await?;
    Ok((history_rows(rows), open))
}
