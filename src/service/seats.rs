//! The live checks of one seat, run inside the transaction that gives it: the rolling 12-month
//! cap, the per-event load and the half-day bookings across every event, read from the
//! database at that moment (pending and accepted invitations alike).

use crate::domain::event::HalfDay;
use crate::domain::tracking::{reviews_in_window, WINDOW_DAYS};
use crate::error::{AppError, AppResult};
use crate::service::events::Event;
use crate::store::invitations as store_i;
use sqlx::{Any, Transaction};

/// A seat about to be given.
pub struct SeatRequest<'a> {
    /// Expert row id.
    pub expert_id: i64,
    /// Expert code (for messages).
    pub expert_code: &'a str,
    /// The panel.
    pub panel: &'a str,
    /// The half-day the panel meets in.
    pub slot: Option<&'a HalfDay>,
}

fn refuse(message: String) -> AppError {
    AppError::Conflict {
        message,
        field: Some("expert".into()),
    }
}

/// Refuses a seat that would break the cap, the per-event load or a booking elsewhere.
pub async fn check(
    tx: &mut Transaction<'_, Any>,
    event: &Event,
    seat: &SeatRequest<'_>,
) -> AppResult<()> {
    let rules = &event.rules;
    let date = event.dates[0];
    let mine = crate::store::tracking::of_expert(tx, seat.expert_id).await?;
    let busiest = reviews_in_window(&mine, date);
    if busiest >= rules.max_reviews_per_12_months {
        return Err(refuse(format!(
            "{} already has {busiest} reviews in a {WINDOW_DAYS}-day window around {date} (cap {}); another invitation was given meanwhile",
            seat.expert_code, rules.max_reviews_per_12_months
        )));
    }
    let here = store_i::for_event(tx, event.id).await?;
    let live_here: Vec<_> = here
        .iter()
        .filter(|i| {
            i.expert_id == seat.expert_id && matches!(i.status.as_str(), "pending" | "accepted")
        })
        .collect();
    if live_here.iter().any(|i| i.panel_code == seat.panel) {
        return Err(refuse(format!(
            "{} already has a seat on {}",
            seat.expert_code, seat.panel
        )));
    }
    if live_here.len() as u32 >= rules.max_panels_per_expert {
        return Err(refuse(format!(
            "{} already sits on {} panel(s) of this event (at most {})",
            seat.expert_code,
            live_here.len(),
            rules.max_panels_per_expert
        )));
    }
    if let Some(slot) = seat.slot {
        if rules.same_slot_exclusive {
            if let Some(other) = live_here.iter().find(|i| same_half_day(i, slot)) {
                return Err(refuse(format!(
                    "{} already sits on {} in the same half-day ({slot})",
                    seat.expert_code, other.panel_code
                )));
            }
        }
        let elsewhere = store_i::bookings(tx, event.id, Some(seat.expert_id)).await?;
        if let Some(b) = elsewhere.iter().find(|b| b.slot.overlaps(slot)) {
            return Err(refuse(format!(
                "{} already holds a seat in {} on {} (this panel meets {slot})",
                seat.expert_code, b.event, b.slot
            )));
        }
    }
    Ok(())
}

fn same_half_day(inv: &store_i::InvitationRow, slot: &HalfDay) -> bool {
    chrono::NaiveDate::parse_from_str(&inv.slot_date, "%Y-%m-%d").is_ok_and(|date| {
        HalfDay {
            date,
            part: inv.slot_part.clone(),
        }
        .overlaps(slot)
    })
}
