//! Pool memberships, their transitions (never deleted) and each pool's entry rules.

use super::audit::Actor;
use super::{Store, StoreError};
use crate::dataset::MembershipRow;
use crate::domain::membership::{EntryRules, MembershipState, Pool, Standing};
use crate::domain::ExpertId;
use serde::Serialize;
use sqlx::{Any, AnyConnection, Transaction};
use std::sync::Arc;

/// A membership with its expert's name.
#[derive(Debug, Clone, Serialize)]
pub struct Membership {
    /// Id.
    pub id: i64,
    /// Expert row id.
    pub expert_id: ExpertId,
    /// Expert code.
    pub expert_code: String,
    /// Expert name.
    pub expert_name: String,
    /// Pool.
    pub pool: Pool,
    /// State.
    pub state: MembershipState,
    /// Application or approval date.
    pub since: String,
    /// End of term.
    pub term_end: Option<String>,
    /// Last reason code.
    pub reason: String,
    /// When the expert signed the integrity and confidentiality pledge for it.
    pub pledge_at: Option<String>,
    /// Last day of the current suspension (none: until reinstated).
    pub suspended_until: Option<String>,
}

#[derive(sqlx::FromRow)]
struct MembershipRowDb {
    membership_id: i64,
    expert_id: i64,
    code: String,
    name: String,
    pool: String,
    state: String,
    since: String,
    term_end: Option<String>,
    reason: String,
    pledge_at: Option<String>,
    suspended_until: Option<String>,
}

impl TryFrom<MembershipRowDb> for Membership {
    type Error = StoreError;
    fn try_from(r: MembershipRowDb) -> Result<Self, StoreError> {
        let corrupt = |e: crate::domain::ValidationError| StoreError::Corrupt(e.to_string());
        Ok(Membership {
            id: r.membership_id,
            expert_id: ExpertId(r.expert_id),
            expert_code: r.code,
            expert_name: r.name,
            pool: Pool::parse(&r.pool).map_err(corrupt)?,
            state: MembershipState::parse(&r.state).map_err(corrupt)?,
            since: r.since,
            term_end: r.term_end,
            reason: r.reason,
            pledge_at: r.pledge_at,
            suspended_until: r.suspended_until,
        })
    }
}

/// One recorded transition.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Transition {
    /// When.
    pub at: String,
    /// Who.
    pub actor: String,
    /// apply, nominate, approve, refuse, suspend, reinstate, exit, renew, import.
    pub action: String,
    /// From.
    pub from_state: Option<String>,
    /// To.
    pub to_state: String,
    /// Reason code.
    pub reason_code: String,
    /// Free text.
    pub reason_text: String,
    /// Why a failed entry rule was overridden.
    pub override_reason: String,
}

impl Transition {
    /// The same transition with its time as the bureau reads it (local minutes).
    pub fn local(mut self, lang: &str) -> Self {
        self.at = crate::clock::local_time(&self.at, lang);
        self
    }
}

const SELECT: &str = "select m.membership_id, m.expert_id, e.code, e.name, m.pool, m.state, m.since, m.term_end, m.reason, m.pledge_at, m.suspended_until
    from membership m join expert e on e.expert_id = m.expert_id";

/// A membership by id.
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Membership, StoreError> {
    let row: Option<MembershipRowDb> =
        sqlx::query_as(&format!("{SELECT} where m.membership_id = $1"))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    row.ok_or(StoreError::NotFound)?.try_into()
}

/// Every membership of an expert, newest first.
pub async fn for_expert(store: &Store, expert: ExpertId) -> Result<Vec<Membership>, StoreError> {
    let rows: Vec<MembershipRowDb> = sqlx::query_as(&format!(
        "{SELECT} where m.expert_id = $1 order by m.membership_id desc"
    ))
    .bind(expert.0)
    .fetch_all(&store.pool)
    .await?;
    rows.into_iter().map(Membership::try_from).collect()
}

/// The timeline of a membership, oldest first.
pub async fn transitions(store: &Store, membership: i64) -> Result<Vec<Transition>, StoreError> {
    Ok(sqlx::query_as(
        "select at, actor, action, from_state, to_state, reason_code, reason_text, override_reason from membership_transition where membership_id = $1 order by membership_transition_id",
    )
    .bind(membership)
    .fetch_all(&store.pool)
    .await?)
}

async fn record(
    tx: &mut Transaction<'_, Any>,
    membership: i64,
    actor: &Actor,
    action: &str,
    from: Option<&str>,
    to: &str,
    reason: (&str, &str, &str),
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into membership_transition (membership_id, at, actor, action, from_state, to_state, reason_code, reason_text, override_reason) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(membership)
    .bind(super::now())
    .bind(&actor.name)
    .bind(action)
    .bind(from.map(String::from))
    .bind(to)
    .bind(reason.0)
    .bind(reason.1)
    .bind(reason.2)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A new application (`apply` by the expert, `nominate` by staff).
pub struct NewApplication<'a> {
    /// The expert.
    pub expert: ExpertId,
    /// The pool.
    pub pool: Pool,
    /// The application date.
    pub today: &'a str,
    /// `apply` or `nominate`.
    pub action: &'a str,
    /// The applicant's or nominator's note.
    pub note: &'a str,
    /// When the pledge was signed, if it was.
    pub pledge_at: Option<&'a str>,
    /// The call for experts it answers, if any.
    pub call: Option<i64>,
}

/// Opens an application.
pub async fn insert_application(
    tx: &mut Transaction<'_, Any>,
    a: &NewApplication<'_>,
    actor: &Actor,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = sqlx::query_as("insert into membership (expert_id, pool, state, since, reason, updated_at, pledge_at, call_id) values ($1, $2, 'applied', $3, '', $4, $5, $6) returning membership_id")
        .bind(a.expert.0)
        .bind(a.pool.as_str())
        .bind(a.today)
        .bind(super::now())
        .bind(a.pledge_at.map(String::from))
        .bind(a.call)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| super::on_unique(e, "pool"))?;
    record(tx, id, actor, a.action, None, "applied", ("", a.note, "")).await?;
    Ok(id)
}

/// A change of state, written only if the membership is still in `from` (optimistic check:
/// of two administrators acting at once, the second gets `Stale`).
pub struct Change<'a> {
    /// Expected current state.
    pub from: MembershipState,
    /// New state.
    pub to: MembershipState,
    /// Action name.
    pub action: &'a str,
    /// New `since` (approval date), if it changes.
    pub since: Option<String>,
    /// New term end, if it changes.
    pub term_end: Option<String>,
    /// Reason code.
    pub reason_code: &'a str,
    /// Free text.
    pub reason_text: &'a str,
    /// Override of failed entry rules.
    pub override_reason: &'a str,
    /// Last day of a suspension this change starts (none otherwise).
    pub suspended_until: Option<String>,
}

/// Records the expert's signature of the pledge on an application (once: a later signature
/// keeps the first date).
pub async fn sign_pledge(
    tx: &mut Transaction<'_, Any>,
    membership: i64,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "update membership set pledge_at = coalesce(pledge_at, $1) where membership_id = $2",
    )
    .bind(at)
    .bind(membership)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Suspended memberships whose suspension ended before `today` (they serve again; the
/// daily task records their reinstatement).
pub async fn lapsed_suspensions(
    tx: &mut Transaction<'_, Any>,
    today: &str,
) -> Result<Vec<i64>, StoreError> {
    let rows: Vec<(i64,)> = sqlx::query_as("select membership_id from membership where state = 'suspended' and suspended_until is not null and suspended_until < $1 order by membership_id")
        .bind(today)
        .fetch_all(&mut **tx)
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Applies a change inside the caller's transaction.
pub async fn change(
    tx: &mut Transaction<'_, Any>,
    membership: i64,
    c: &Change<'_>,
    actor: &Actor,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "update membership set state = $1, since = coalesce($2, since), term_end = coalesce($3, term_end), reason = $4, updated_at = $5, suspended_until = $8 where membership_id = $6 and state = $7",
    )
    .bind(c.to.as_str())
    .bind(c.since.clone())
    .bind(c.term_end.clone())
    .bind(c.reason_code)
    .bind(super::now())
    .bind(membership)
    .bind(c.from.as_str())
    .bind(c.suspended_until.clone())
    .execute(&mut **tx)
    .await
    .map_err(|e| super::on_unique(e, "pool"))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Stale(format!(
            "membership {membership} is no longer {}: someone else acted on it first",
            c.from
        )));
    }
    if c.action == "renew" {
        // A new term gets its own "term ending" notice.
        sqlx::query("update membership set term_notice_at = null where membership_id = $1")
            .bind(membership)
            .execute(&mut **tx)
            .await?;
    }
    record(
        tx,
        membership,
        actor,
        c.action,
        Some(c.from.as_str()),
        c.to.as_str(),
        (c.reason_code, c.reason_text, c.override_reason),
    )
    .await
}

/// Imports a memberships.csv row: updates the expert's latest membership in that pool or
/// creates one, recording an `import` transition when the state changes.
pub async fn import_row(
    tx: &mut Transaction<'_, Any>,
    expert: i64,
    m: &MembershipRow,
    actor: &Actor,
) -> Result<(), StoreError> {
    let existing: Option<(i64, String)> = sqlx::query_as("select membership_id, state from membership where expert_id = $1 and pool = $2 order by membership_id desc limit 1")
        .bind(expert)
        .bind(&m.pool)
        .fetch_optional(&mut **tx)
        .await?;
    let term_end = if m.term_end.is_empty() {
        None
    } else {
        Some(m.term_end.clone())
    };
    let (id, from) = match existing {
        Some((id, state)) => {
            sqlx::query("update membership set state = $1, since = $2, term_end = $3, reason = $4, updated_at = $5 where membership_id = $6")
                .bind(&m.state)
                .bind(&m.since)
                .bind(term_end)
                .bind(&m.reason)
                .bind(super::now())
                .bind(id)
                .execute(&mut **tx)
                .await?;
            (id, Some(state))
        }
        None => {
            let (id,): (i64,) = sqlx::query_as("insert into membership (expert_id, pool, state, since, term_end, reason, updated_at) values ($1, $2, $3, $4, $5, $6, $7) returning membership_id")
                .bind(expert)
                .bind(&m.pool)
                .bind(&m.state)
                .bind(&m.since)
                .bind(term_end)
                .bind(&m.reason)
                .bind(super::now())
                .fetch_one(&mut **tx)
                .await?;
            (id, None)
        }
    };
    if from.as_deref() != Some(m.state.as_str()) {
        record(
            tx,
            id,
            actor,
            "import",
            from.as_deref(),
            &m.state,
            (&m.reason, "", ""),
        )
        .await?;
    }
    Ok(())
}

/// Dates the expert left a pool for misconduct.
pub async fn misconduct_exits(
    conn: &mut AnyConnection,
    expert: ExpertId,
) -> Result<Vec<chrono::NaiveDate>, StoreError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "select t.at from membership_transition t join membership m on m.membership_id = t.membership_id where m.expert_id = $1 and t.to_state = 'exited' and t.reason_code = 'misconduct'",
    )
    .bind(expert.0)
    .fetch_all(&mut *conn)
    .await?;
    let mut out: Vec<chrono::NaiveDate> = rows
        .iter()
        .filter_map(|(at,)| {
            chrono::NaiveDate::parse_from_str(at.get(..10).unwrap_or(""), "%Y-%m-%d").ok()
        })
        .collect();
    // Imported exits carry no transition date: their reason on the membership row counts from `since`.
    let imported: Vec<(String,)> = sqlx::query_as("select since from membership where expert_id = $1 and state = 'exited' and reason = 'misconduct'").bind(expert.0).fetch_all(&mut *conn).await?;
    out.extend(imported.iter().filter_map(|(d,)| {
        chrono::NaiveDate::parse_from_str(d.get(..10).unwrap_or(""), "%Y-%m-%d").ok()
    }));
    Ok(out)
}

/// Active and suspended members of a pool whose term ended before `date`.
pub async fn expired(
    tx: &mut Transaction<'_, Any>,
    pool: Pool,
    date: &str,
) -> Result<Vec<i64>, StoreError> {
    let rows: Vec<(i64,)> = sqlx::query_as("select membership_id from membership where pool = $1 and state in ('active', 'suspended') and term_end is not null and term_end < $2 order by membership_id")
        .bind(pool.as_str())
        .bind(date)
        .fetch_all(&mut **tx)
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Each expert's latest standing in one pool, by expert row id.
pub type Standings = std::collections::HashMap<i64, Standing>;

/// The standings as last read, per pool, with the `membership_version` read at.
pub(crate) type CachedStandings = (i64, std::collections::HashMap<Pool, Arc<Standings>>);

/// Latest membership standing per expert in a pool. Reading 30,000 memberships takes
/// 80–160 ms and every overview and draw needs them, so each instance keeps the last read;
/// triggers bump `membership_version` in every writer's transaction, and the version is read
/// before the rows, so a kept copy is never older than its version.
pub async fn latest_states(store: &Store, pool: Pool) -> Result<Arc<Standings>, StoreError> {
    let mut conn = store.pool.acquire().await?;
    let (version,): (i64,) = sqlx::query_as("select version from membership_version where id = 1")
        .fetch_one(&mut *conn)
        .await?;
    let kept = store.standings.lock().ok().and_then(|slot| {
        slot.as_ref()
            .filter(|(v, _)| *v == version)
            .and_then(|(_, pools)| pools.get(&pool).cloned())
    });
    if let Some(standings) = kept {
        return Ok(standings);
    }
    let rows: Vec<(i64, String, Option<String>, Option<String>)> = sqlx::query_as(
        "select expert_id, state, term_end, suspended_until from membership where pool = $1 order by membership_id",
    )
    .bind(pool.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let date =
        |t: Option<String>| t.and_then(|t| chrono::NaiveDate::parse_from_str(&t, "%Y-%m-%d").ok());
    let mut out = Standings::new();
    for (expert, state, term_end, until) in rows {
        let state =
            MembershipState::parse(&state).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        out.insert(
            expert,
            Standing {
                state,
                term_end: date(term_end),
                suspended_until: date(until),
            },
        );
    }
    let out = Arc::new(out);
    if let Ok(mut slot) = store.standings.lock() {
        match slot.as_mut() {
            Some((v, pools)) if *v == version => {
                pools.insert(pool, out.clone());
            }
            _ => *slot = Some((version, [(pool, out.clone())].into_iter().collect())),
        }
    }
    Ok(out)
}

/// A pool's entry rules (the defaults until an administrator changes them).
pub async fn rules(conn: &mut AnyConnection, pool: Pool) -> Result<EntryRules, StoreError> {
    Ok(
        super::settings::get(conn, super::settings::Table::EntryRules, pool)
            .await?
            .unwrap_or_else(|| EntryRules::default_for(pool)),
    )
}

/// Stores a pool's entry rules.
pub async fn set_rules(
    tx: &mut Transaction<'_, Any>,
    pool: Pool,
    rules: &EntryRules,
    actor: &Actor,
) -> Result<(), StoreError> {
    super::settings::set(tx, super::settings::Table::EntryRules, pool, rules, actor).await
}

mod roster;
mod streaks;
pub use roster::{roster, RosterFilter, RosterLine, RosterPage};
pub use streaks::{active_since, answers_since, open_in};
