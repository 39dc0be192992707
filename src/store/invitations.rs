//! Invitations and the workload they carry.

use super::{Backend, Store, StoreError};
use crate::domain::event::HalfDay;
use serde::Serialize;
use sqlx::{Any, AnyConnection, Transaction};

/// An invitation with its expert.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct InvitationRow {
    /// Id.
    pub invitation_id: i64,
    /// Event.
    pub event_id: i64,
    /// Draw it came from.
    pub draw_id: i64,
    /// Panel code.
    pub panel_code: String,
    /// Expert row id.
    pub expert_id: i64,
    /// Expert code.
    pub expert_code: String,
    /// Expert name.
    pub expert_name: String,
    /// Title.
    pub title: String,
    /// Employer code.
    pub organization_code: String,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: String,
    /// `leader`, `deputy` or `member`.
    pub role: String,
    /// Status.
    pub status: String,
    /// Why declined.
    pub decline_reason: String,
    /// Conflict declared on answering.
    pub declared_conflict: String,
    /// Who answered (the expert or the staff member who took the call).
    pub responded_by: Option<String>,
    /// attended / no_show.
    pub attendance: String,
    /// 1–5.
    pub rating_expertise: Option<i64>,
    /// 1–5.
    pub rating_diligence: Option<i64>,
    /// 1–5.
    pub rating_fairness: Option<i64>,
    /// The invitation that filled this seat after a decline.
    pub replaced_by: Option<i64>,
    /// The half-day it occupies: date (empty for correspondence review) …
    pub slot_date: String,
    /// … and `am`, `pm`, or empty for the whole day.
    pub slot_part: String,
    /// Why staff left this (declined) seat empty instead of filling it.
    pub waived_reason: String,
    /// Answer by this instant (RFC 3339, UTC), once sent.
    pub answer_deadline: Option<String>,
    /// The nonce its answer link is signed with (never shown: it makes the link).
    #[serde(skip)]
    pub answer_nonce: String,
}

const SELECT: &str = "select v.invitation_id, v.event_id, v.draw_id, v.panel_code, v.expert_id, e.code as expert_code, e.name as expert_name, e.title, e.organization_code,
    e.email, e.phone, v.role, v.status, v.decline_reason, v.declared_conflict, v.responded_by, v.attendance, v.rating_expertise, v.rating_diligence, v.rating_fairness, v.replaced_by,
    v.slot_date, v.slot_part, v.waived_reason, v.answer_deadline, v.answer_nonce
    from invitation v join expert e on e.expert_id = v.expert_id";

/// Keeps two transactions that check workloads from interleaving: SQLite already serializes
/// writers (`BEGIN IMMEDIATE`); PostgreSQL takes a table lock that blocks other writers of
/// invitations (readers go on) until commit.
pub async fn lock_for_workload(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
) -> Result<(), StoreError> {
    if backend == Backend::Postgres {
        sqlx::query("lock table invitation in share row exclusive mode")
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// A new invitation: who, where, and the half-day it occupies.
pub struct NewInvitation<'a> {
    /// Event id.
    pub event: i64,
    /// The draw it comes from.
    pub draw: i64,
    /// Panel code.
    pub panel: &'a str,
    /// Expert row id.
    pub expert: i64,
    /// `leader`, `deputy` or `member`.
    pub role: &'a str,
    /// The panel's half-day, if it meets (date, `am`/`pm`/empty).
    pub slot: Option<&'a HalfDay>,
}

/// Creates an invitation.
pub async fn insert(
    tx: &mut Transaction<'_, Any>,
    new: &NewInvitation<'_>,
) -> Result<i64, StoreError> {
    let (date, part) = new
        .slot
        .map(|s| (s.date.to_string(), s.part.clone()))
        .unwrap_or_default();
    let (id,): (i64,) = sqlx::query_as("insert into invitation (event_id, draw_id, panel_code, expert_id, role, status, created_at, slot_date, slot_part) values ($1, $2, $3, $4, $5, 'pending', $6, $7, $8) returning invitation_id")
        .bind(new.event)
        .bind(new.draw)
        .bind(new.panel)
        .bind(new.expert)
        .bind(new.role)
        .bind(super::now())
        .bind(date)
        .bind(part)
        .fetch_one(&mut **tx)
        .await?;
    Ok(id)
}

/// Sets an invitation's answer deadline and the nonce of its answer link.
pub async fn set_deadline(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    deadline: &str,
    nonce: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "update invitation set answer_deadline = $1, answer_nonce = $2 where invitation_id = $3",
    )
    .bind(deadline)
    .bind(nonce)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A seat held in another event: the expert, the event and the half-day.
#[derive(Debug, Clone, Serialize)]
pub struct Booking {
    /// Expert row id.
    pub expert_id: i64,
    /// Expert code.
    pub expert_code: String,
    /// Event code.
    pub event: String,
    /// The half-day.
    pub slot: HalfDay,
}

/// Live seats (pending or accepted) with a half-day, outside `except_event`; only `expert`'s
/// when given. Read inside the confirming transaction too, so a booking made meanwhile counts.
pub async fn bookings(
    conn: &mut AnyConnection,
    except_event: i64,
    expert: Option<i64>,
) -> Result<Vec<Booking>, StoreError> {
    let rows: Vec<(i64, String, String, String, String)> = sqlx::query_as(
        "select v.expert_id, e.code, ev.code, v.slot_date, v.slot_part from invitation v
         join expert e on e.expert_id = v.expert_id join event ev on ev.event_id = v.event_id
         where v.status in ('pending', 'accepted') and v.slot_date <> '' and v.event_id <> $1
         and ($2 = 0 or v.expert_id = $2)",
    )
    .bind(except_event)
    .bind(expert.unwrap_or(0))
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(expert_id, expert_code, event, date, part)| {
            Some(Booking {
                expert_id,
                expert_code,
                event,
                slot: HalfDay {
                    date: chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d").ok()?,
                    part,
                },
            })
        })
        .collect())
}

/// A seat of an expert's, with its event (for staff deciding after a suspension or exit).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Seat {
    /// Invitation id.
    pub invitation_id: i64,
    /// Event id.
    pub event_id: i64,
    /// Event code.
    pub event: String,
    /// Panel code.
    pub panel: String,
    /// Status.
    pub status: String,
    /// The event's dates.
    pub dates: String,
}

const SEATS: &str = "select v.invitation_id, v.event_id, ev.code as event, v.panel_code as panel, v.status, ev.dates
    from invitation v join event ev on ev.event_id = v.event_id
    where v.expert_id = $1 and ev.pool = $2 and ev.status in ('inviting', 'confirmed')";

/// Withdraws an expert's pending invitations in the open events of a pool; returns them.
pub async fn withdraw_pending(
    tx: &mut Transaction<'_, Any>,
    expert: i64,
    pool: &str,
    by: &str,
) -> Result<Vec<Seat>, StoreError> {
    let seats: Vec<Seat> = sqlx::query_as(&format!("{SEATS} and v.status = 'pending'"))
        .bind(expert)
        .bind(pool)
        .fetch_all(&mut **tx)
        .await?;
    for seat in &seats {
        sqlx::query("update invitation set status = 'withdrawn', responded_at = $1, responded_by = $2 where invitation_id = $3 and status = 'pending'")
            .bind(super::now())
            .bind(by)
            .bind(seat.invitation_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(seats
        .into_iter()
        .map(|s| Seat {
            status: "withdrawn".into(),
            ..s
        })
        .collect())
}

/// An expert's seats in the open events of a pool: pending, accepted, and withdrawn ones not
/// yet filled again or left empty (open for staff to fill).
pub async fn open_event_seats(
    conn: &mut AnyConnection,
    expert: i64,
    pool: &str,
) -> Result<Vec<Seat>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "{SEATS} and (v.status in ('pending', 'accepted') or (v.status = 'withdrawn' and v.replaced_by is null and v.waived_reason = '')) order by ev.dates, v.invitation_id"
    ))
    .bind(expert)
    .bind(pool)
    .fetch_all(&mut *conn)
    .await?)
}

/// Staff leave an open seat empty, with a reason; refused if it was filled or left meanwhile.
pub async fn waive(tx: &mut Transaction<'_, Any>, id: i64, reason: &str) -> Result<(), StoreError> {
    let done = sqlx::query(
        "update invitation set waived_reason = $1 where invitation_id = $2 and replaced_by is null
         and waived_reason = '' and status in ('declined', 'no_response', 'withdrawn')",
    )
    .bind(reason)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Stale(format!(
            "invitation {id} was replaced or settled meanwhile"
        )));
    }
    Ok(())
}

/// An invitation.
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<InvitationRow, StoreError> {
    sqlx::query_as(&format!("{SELECT} where v.invitation_id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)
}

/// An event's invitations by panel and role.
pub async fn for_event(
    conn: &mut AnyConnection,
    event: i64,
) -> Result<Vec<InvitationRow>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} where v.event_id = $1 order by v.panel_code, v.role, v.invitation_id"
    ))
    .bind(event)
    .fetch_all(&mut *conn)
    .await?)
}

/// An expert's invitations with their events, newest first.
pub async fn for_expert(
    store: &Store,
    expert: i64,
) -> Result<Vec<(InvitationRow, String, String, String, String)>, StoreError> {
    let rows: Vec<InvitationRow> = sqlx::query_as(&format!(
        "{SELECT} where v.expert_id = $1 order by v.invitation_id desc"
    ))
    .bind(expert)
    .fetch_all(&store.pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let (code, title, kind, dates): (String, String, String, String) =
            sqlx::query_as("select code, title, kind, dates from event where event_id = $1")
                .bind(r.event_id)
                .fetch_one(&store.pool)
                .await?;
        out.push((r, code, title, kind, dates));
    }
    Ok(out)
}

/// An answer to record.
pub struct AnswerRecord<'a> {
    /// New status.
    pub status: &'a str,
    /// Why declined.
    pub reason: &'a str,
    /// Declared conflict.
    pub conflict: &'a str,
    /// Pledge confirmed.
    pub pledge: bool,
    /// Who recorded it.
    pub by: &'a str,
}

/// Records an answer if the invitation is still in `from` (optimistic check).
pub async fn answer(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    from: &str,
    a: &AnswerRecord<'_>,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "update invitation set status = $1, decline_reason = $2, declared_conflict = $3, pledge = $4, responded_at = $5, responded_by = $6 where invitation_id = $7 and status = $8",
    )
    .bind(a.status)
    .bind(a.reason)
    .bind(a.conflict)
    .bind(i64::from(a.pledge))
    .bind(super::now())
    .bind(a.by)
    .bind(id)
    .bind(from)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Stale(format!(
            "invitation {id} was answered meanwhile"
        )));
    }
    Ok(())
}

/// Records attendance and ratings.
pub async fn attendance(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    attendance: &str,
    ratings: Option<(i64, i64, i64)>,
) -> Result<(), StoreError> {
    let done = sqlx::query("update invitation set attendance = $1, rating_expertise = $2, rating_diligence = $3, rating_fairness = $4 where invitation_id = $5 and status = 'accepted'")
        .bind(attendance)
        .bind(ratings.map(|r| r.0))
        .bind(ratings.map(|r| r.1))
        .bind(ratings.map(|r| r.2))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Stale(format!(
            "invitation {id} is no longer accepted"
        )));
    }
    Ok(())
}

/// The busiest 365-day window containing `date` among an expert's reviews (the same figure
/// as the record and the engine: `domain::tracking::reviews_in_window`).
pub async fn load(
    conn: &mut AnyConnection,
    expert: i64,
    date: chrono::NaiveDate,
) -> Result<u32, StoreError> {
    let participations = super::tracking::of_expert(conn, expert).await?;
    Ok(crate::domain::tracking::reviews_in_window(
        &participations,
        date,
    ))
}

/// Gives one live invitation of a panel a role (`leader` or `deputy`) after a replacement
/// moved it: whoever held the role before becomes a member.
pub async fn set_role(
    tx: &mut Transaction<'_, Any>,
    event: i64,
    panel: &str,
    expert_code: &str,
    role: &str,
) -> Result<(), StoreError> {
    sqlx::query("update invitation set role = 'member' where event_id = $1 and panel_code = $2 and role = $3 and status in ('pending', 'accepted')")
        .bind(event)
        .bind(panel)
        .bind(role)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "update invitation set role = $4 where event_id = $1 and panel_code = $2 and status in ('pending', 'accepted')
         and expert_id = (select expert_id from expert where code = $3)",
    )
    .bind(event)
    .bind(panel)
    .bind(expert_code)
    .bind(role)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Marks a declined invitation as replaced by another.
pub async fn mark_replaced(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    by: i64,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "update invitation set replaced_by = $1 where invitation_id = $2 and replaced_by is null and waived_reason = ''",
    )
    .bind(by)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Stale(format!(
            "invitation {id} was replaced meanwhile"
        )));
    }
    Ok(())
}
