//! An event's notice and follow-up policy: where the panels meet, the answer deadline of each
//! invitation, and whether decliners and missed answers are replaced automatically.

use crate::domain::event::{EventAction, EventStatus};
use crate::domain::ValidationError;
use crate::error::AppResult;
use crate::service::events::{self, Event};
use crate::store::audit::{self, Actor};
use crate::store::events as store_e;
use crate::store::Store;
use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use serde::Deserialize;

/// Longest answer window: a month.
const MAX_ANSWER_HOURS: u32 = 720;

/// Checks an answer window.
pub fn answer_hours(hours: u32) -> Result<u32, ValidationError> {
    if (1..=MAX_ANSWER_HOURS).contains(&hours) {
        Ok(hours)
    } else {
        Err(ValidationError::new(
            "answer_hours",
            format!("must be between 1 and {MAX_ANSWER_HOURS} hours"),
        ))
    }
}

/// The answer deadline of an invitation sent at `sent`: the event's answer window, but not
/// after the end of its "answer by" day nor after the start of its first day (local time),
/// and never less than an hour.
pub fn deadline(event: &Event, sent: DateTime<Utc>) -> DateTime<Utc> {
    let local_instant = |date: chrono::NaiveDate, time: NaiveTime| {
        crate::clock::zone()
            .from_local_datetime(&date.and_time(time))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    };
    let mut due = sent + chrono::Duration::hours(i64::from(event.answer_hours));
    let end_of_day = NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default();
    for limit in [
        event.answer_by.and_then(|d| local_instant(d, end_of_day)),
        event
            .dates
            .first()
            .and_then(|d| local_instant(*d, NaiveTime::MIN)),
    ]
    .into_iter()
    .flatten()
    {
        due = due.min(limit);
    }
    due.max(sent + chrono::Duration::hours(1))
}

/// The notice and policy as they arrive from a form or the API.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NoticeInput {
    /// Where the panels meet.
    pub venue: String,
    /// Answer by `YYYY-MM-DD` (empty: no date).
    pub answer_by: String,
    /// Hours to answer (empty: unchanged).
    pub answer_hours: Option<u32>,
    /// Replace automatically (empty: unchanged).
    pub auto_replace: Option<bool>,
}

/// Sets the notice and the follow-up policy (until the event is closed). Deadlines already
/// given stay as they were sent.
pub async fn set_notice(
    store: &Store,
    actor: &Actor,
    id: i64,
    input: &NoticeInput,
) -> AppResult<Event> {
    let event = events::get(store, id).await?;
    if event.status == EventStatus::Closed {
        return Err(crate::domain::event::WrongState {
            status: event.status,
            action: EventAction::EditRules,
            allowed: &[
                EventStatus::Draft,
                EventStatus::Drawn,
                EventStatus::Inviting,
                EventStatus::Confirmed,
            ],
        }
        .into());
    }
    let (venue, answer_by) = events::notice(&input.venue, &input.answer_by, event.dates[0])?;
    let hours = answer_hours(input.answer_hours.unwrap_or(event.answer_hours))?;
    let auto = input.auto_replace.unwrap_or(event.auto_replace);
    let mut tx = store.begin_write().await?;
    store_e::set_notice(
        &mut tx,
        id,
        &store_e::Notice {
            venue: &venue,
            answer_by: &answer_by,
            answer_hours: hours.into(),
            auto_replace: auto.into(),
        },
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        "event.notice",
        "event",
        &event.code,
        Some(&serde_json::json!({"venue": event.venue, "answer_by": event.answer_by, "answer_hours": event.answer_hours, "auto_replace": event.auto_replace})),
        Some(&serde_json::json!({"venue": venue, "answer_by": answer_by, "answer_hours": hours, "auto_replace": auto})),
    )
    .await?;
    tx.commit().await?;
    events::get(store, id).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn answer_windows_are_bounded() {
        assert!(super::answer_hours(0).is_err());
        assert_eq!(super::answer_hours(24), Ok(24));
        assert!(super::answer_hours(721).is_err());
    }
}
