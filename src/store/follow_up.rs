//! What the scheduler looks for: answers due, reminders due, seats to fill, meetings
//! tomorrow, terms ending. Each "mark" is a conditional update, so that of several instances
//! running the scheduler at once exactly one acts on a row.

use super::{Store, StoreError};
use sqlx::{Any, Transaction};

/// A pending or accepted invitation with what its messages need.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    /// Invitation.
    pub invitation_id: i64,
    /// Event.
    pub event_id: i64,
    /// Expert row id.
    pub expert_id: i64,
    /// Sent at.
    pub created_at: String,
    /// Answer by.
    pub answer_deadline: Option<String>,
    /// Link nonce.
    pub answer_nonce: String,
    /// Half-day date (or empty).
    pub slot_date: String,
    /// am / pm / empty.
    pub slot_part: String,
}

const DUE: &str = "select v.invitation_id, v.event_id, v.expert_id, v.created_at, v.answer_deadline, v.answer_nonce, v.slot_date, v.slot_part
    from invitation v join event ev on ev.event_id = v.event_id
    where ev.status in ('inviting', 'confirmed')";

/// Pending invitations with a deadline not yet reminded.
pub async fn unreminded(store: &Store) -> Result<Vec<Due>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "{DUE} and v.status = 'pending' and v.answer_deadline is not null and v.reminded_at is null order by v.invitation_id"
    ))
    .fetch_all(&store.pool)
    .await?)
}

/// Pending invitations whose deadline passed.
pub async fn overdue(store: &Store, now: &str) -> Result<Vec<Due>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "{DUE} and v.status = 'pending' and v.answer_deadline is not null and v.answer_deadline <= $1 order by v.invitation_id"
    ))
    .bind(now)
    .fetch_all(&store.pool)
    .await?)
}

/// Accepted invitations not yet reminded of the meeting.
pub async fn accepted_unreminded(store: &Store) -> Result<Vec<Due>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "{DUE} and v.status = 'accepted' and v.meeting_reminded_at is null order by v.invitation_id"
    ))
    .fetch_all(&store.pool)
    .await?)
}

/// Marks a reminder as sent; false when another instance did it first.
pub async fn mark(
    tx: &mut Transaction<'_, Any>,
    invitation: i64,
    column: Reminder,
    now: &str,
) -> Result<bool, StoreError> {
    let column = match column {
        Reminder::Answer => "reminded_at",
        Reminder::Meeting => "meeting_reminded_at",
    };
    let done = sqlx::query(&format!(
        "update invitation set {column} = $1 where invitation_id = $2 and {column} is null"
    ))
    .bind(now)
    .bind(invitation)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Which reminder.
#[derive(Debug, Clone, Copy)]
pub enum Reminder {
    /// Before the answer deadline.
    Answer,
    /// The day before the meeting.
    Meeting,
}

/// Open seats of events that replace automatically, not yet tried: declined, unanswered or
/// withdrawn, neither filled nor left empty.
pub async fn seats_to_fill(store: &Store) -> Result<Vec<i64>, StoreError> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "select v.invitation_id from invitation v join event ev on ev.event_id = v.event_id
          where ev.status in ('inviting', 'confirmed') and ev.auto_replace = 1
            and v.status in ('declined', 'no_response', 'withdrawn') and v.replaced_by is null
            and v.waived_reason = '' and v.auto_replace_note = ''
          order by v.invitation_id",
    )
    .fetch_all(&store.pool)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Records why a seat could not be filled automatically (staff decide).
pub async fn note_failed_replacement(
    store: &Store,
    invitation: i64,
    why: &str,
) -> Result<(), StoreError> {
    let why: String = why.chars().take(500).collect();
    sqlx::query("update invitation set auto_replace_note = $1 where invitation_id = $2 and auto_replace_note = ''")
        .bind(why)
        .bind(invitation)
        .execute(&store.pool)
        .await?;
    Ok(())
}

/// An open seat waiting for staff.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct OpenSeat {
    /// Invitation.
    pub invitation_id: i64,
    /// Event id.
    pub event_id: i64,
    /// Event code.
    pub event_code: String,
    /// Event title.
    pub event_title: String,
    /// Panel.
    pub panel_code: String,
    /// Expert code.
    pub expert_code: String,
    /// Expert name.
    pub expert_name: String,
    /// declined, no_response, withdrawn.
    pub status: String,
    /// Why automatic replacement did not fill it (empty: the event leaves seats to staff).
    pub auto_replace_note: String,
}

/// Open seats that staff must decide on: in events that do not replace automatically, or
/// where automatic replacement failed.
pub async fn open_seats_for_staff(store: &Store) -> Result<Vec<OpenSeat>, StoreError> {
    Ok(sqlx::query_as(
        "select v.invitation_id, v.event_id, ev.code as event_code, ev.title as event_title, v.panel_code,
                x.code as expert_code, x.name as expert_name, v.status, v.auto_replace_note
           from invitation v join event ev on ev.event_id = v.event_id join expert x on x.expert_id = v.expert_id
          where ev.status in ('inviting', 'confirmed')
            and v.status in ('declined', 'no_response', 'withdrawn') and v.replaced_by is null
            and v.waived_reason = '' and (ev.auto_replace = 0 or v.auto_replace_note <> '')
          order by ev.code, v.panel_code, v.invitation_id",
    )
    .fetch_all(&store.pool)
    .await?)
}

/// A membership whose term ends soon.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Ending {
    /// Membership.
    pub membership_id: i64,
    /// Expert row id.
    pub expert_id: i64,
    /// Pool.
    pub pool: String,
    /// Term end.
    pub term_end: String,
}

/// Active memberships whose term ends between `today` and `until`, not yet told.
pub async fn terms_ending(
    store: &Store,
    today: &str,
    until: &str,
) -> Result<Vec<Ending>, StoreError> {
    Ok(sqlx::query_as(
        "select membership_id, expert_id, pool, term_end from membership
          where state = 'active' and term_notice_at is null and term_end is not null
            and term_end >= $1 and term_end <= $2 order by membership_id",
    )
    .bind(today)
    .bind(until)
    .fetch_all(&store.pool)
    .await?)
}

/// Marks a member as told that their term ends; false when another instance did it first.
pub async fn mark_term_notice(
    tx: &mut Transaction<'_, Any>,
    membership: i64,
    now: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query("update membership set term_notice_at = $1 where membership_id = $2 and term_notice_at is null")
        .bind(now)
        .bind(membership)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}
