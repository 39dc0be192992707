//! The follow-up of invitations, run by every service instance every half minute and safe
//! to run on several at once (each step acts through a conditional update that only one
//! instance wins): reminders before the answer deadline, `no_response` at the deadline,
//! automatic replacement of decliners and missed answers when the event's policy says so
//! (else a task for staff), a reminder the day before the meeting, and a notice when a term
//! is about to end. Every step is recorded in the audit log as `system:scheduler`.

use crate::domain::invitation::Answer;
use crate::error::{AppError, AppResult};
use crate::service::{events, invitations, notify, replacement};
use crate::store::audit::Actor;
use crate::store::follow_up::{self as store_f, Due, Reminder};
use crate::store::Store;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// How far ahead a member is told that their term ends.
const TERM_NOTICE_DAYS: u64 = 60;

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Reminders written.
    pub reminders: usize,
    /// Invitations marked `no_response`.
    pub no_responses: usize,
    /// Seats filled by automatic replacement.
    pub replaced: usize,
    /// Seats automatic replacement could not fill (left to staff).
    pub not_replaced: usize,
    /// Meeting reminders written.
    pub meeting_reminders: usize,
    /// Term-ending notices written.
    pub term_notices: usize,
}

/// Whether the reminder of an invitation sent at `sent` and due at `due` is due at `now`:
/// once a third of the answer window is left (between an hour and a day before the
/// deadline), and only before the deadline.
pub fn reminder_due(sent: DateTime<Utc>, due: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    let lead = ((due - sent) / 3).clamp(Duration::hours(1), Duration::hours(24));
    now < due && now >= due - lead
}

fn system() -> Actor {
    Actor::system("scheduler")
}

async fn seat_of<'a>(
    store: &Store,
    due: &Due,
    event: &'a events::Event,
) -> AppResult<(notify::Seat<'a>, crate::store::experts::StoredExpert)> {
    let mut conn = store.pool.acquire().await?;
    let expert =
        crate::store::experts::get(&mut conn, crate::domain::ExpertId(due.expert_id)).await?;
    Ok((
        notify::Seat {
            invitation: due.invitation_id,
            event,
            when: notify::when(event, &due.slot_date, &due.slot_part),
        },
        expert,
    ))
}

/// One run at the store's clock.
pub async fn run(store: &Store) -> AppResult<Report> {
    let mut report = Report::default();
    let now = store.clock.now();
    let stamp = crate::clock::stamp(now);

    for due in store_f::unreminded(store).await? {
        let (Some(sent), Some(deadline)) = (
            crate::clock::parse_stamp(&due.created_at),
            due.answer_deadline
                .as_deref()
                .and_then(crate::clock::parse_stamp),
        ) else {
            continue;
        };
        if !reminder_due(sent, deadline, now) {
            continue;
        }
        let event = events::get(store, due.event_id).await?;
        let (seat, expert) = seat_of(store, &due, &event).await?;
        let mut tx = store.begin_write().await?;
        if store_f::mark(&mut tx, due.invitation_id, Reminder::Answer, &stamp).await? {
            notify::reminder(
                &mut tx,
                store,
                &seat,
                &crate::service::memberships::recipient(&expert),
                deadline,
                &due.answer_nonce,
            )
            .await?;
            report.reminders += 1;
        }
        tx.commit().await?;
    }

    for due in store_f::overdue(store, &stamp).await? {
        match invitations::answer(
            store,
            &system(),
            None,
            due.invitation_id,
            Answer::NoResponse,
        )
        .await
        {
            Ok(_) => report.no_responses += 1,
            // Answered, or the event moved on, meanwhile (perhaps by another instance).
            Err(AppError::Conflict { .. } | AppError::WrongState(_)) => {}
            Err(e) => return Err(e),
        }
    }

    for id in store_f::seats_to_fill(store).await? {
        match replacement::replace(store, &system(), id).await {
            Ok(_) => report.replaced += 1,
            Err(AppError::Conflict { message, .. }) => {
                // Filled meanwhile, or nobody can fill it under the rules: staff decide.
                let still_open = store_f::seats_to_fill(store).await?.contains(&id);
                if still_open {
                    store_f::note_failed_replacement(store, id, &message).await?;
                    report.not_replaced += 1;
                }
            }
            Err(AppError::WrongState(_)) => {}
            Err(e) => return Err(e),
        }
    }

    let tomorrow = store.clock.today() + Duration::days(1);
    for due in store_f::accepted_unreminded(store).await? {
        let event = events::get(store, due.event_id).await?;
        let meets = chrono::NaiveDate::parse_from_str(&due.slot_date, "%Y-%m-%d")
            .ok()
            .or_else(|| event.dates.first().copied());
        if meets != Some(tomorrow) {
            continue;
        }
        let (seat, expert) = seat_of(store, &due, &event).await?;
        let mut tx = store.begin_write().await?;
        if store_f::mark(&mut tx, due.invitation_id, Reminder::Meeting, &stamp).await? {
            notify::meeting_reminder(
                &mut tx,
                store,
                &seat,
                &crate::service::memberships::recipient(&expert),
            )
            .await?;
            report.meeting_reminders += 1;
        }
        tx.commit().await?;
    }

    let today = store.clock.today();
    let until = today + chrono::Days::new(TERM_NOTICE_DAYS);
    for ending in store_f::terms_ending(store, &today.to_string(), &until.to_string()).await? {
        let mut conn = store.pool.acquire().await?;
        let expert =
            crate::store::experts::get(&mut conn, crate::domain::ExpertId(ending.expert_id))
                .await?;
        drop(conn);
        let pool = crate::domain::membership::Pool::parse(&ending.pool)?;
        let mut tx = store.begin_write().await?;
        if store_f::mark_term_notice(&mut tx, ending.membership_id, &stamp).await? {
            notify::term_ending(
                &mut tx,
                store,
                &notify::pool_name(pool),
                &ending.term_end,
                &crate::service::memberships::recipient(&expert),
            )
            .await?;
            report.term_notices += 1;
        }
        tx.commit().await?;
    }
    Ok(report)
}

/// Runs the scheduler every half minute while the service runs.
pub fn spawn(store: Store) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(30));
        loop {
            every.tick().await;
            match run(&store).await {
                Ok(r) if r != Report::default() => eprintln!("scheduler: {r:?}"),
                Ok(_) => {}
                Err(e) => eprintln!("scheduler: {e}"),
            }
            // Keeps the engine's profile analysis in step with the registry, so an overview
            // or a draw after a profile change does not wait for it.
            if let Err(e) = super::candidates::warm(&store).await {
                eprintln!("scheduler: profile analysis: {e}");
            }
            // The same for the expert list kept in memory.
            if let Err(e) = crate::store::search::refresh(&store).await {
                eprintln!("scheduler: expert list: {e}");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reminder_comes_when_a_third_of_the_window_is_left() {
        let sent = DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let due = sent + Duration::hours(24);
        assert!(!reminder_due(sent, due, sent + Duration::hours(15)));
        assert!(reminder_due(sent, due, sent + Duration::hours(16)));
        assert!(!reminder_due(sent, due, due));
        // A week's window: a day before; two hours: an hour before.
        let week = sent + Duration::days(7);
        assert!(!reminder_due(sent, week, week - Duration::hours(25)));
        assert!(reminder_due(sent, week, week - Duration::hours(23)));
        let short = sent + Duration::hours(2);
        assert!(reminder_due(sent, short, sent + Duration::minutes(61)));
    }
}
