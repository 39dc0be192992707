//! Review events (DESIGN §4): kind, mode, status and their lifecycle.

use super::ValidationError;
use serde::{Deserialize, Serialize};

text_enum!(
    /// What is reviewed.
    EventKind, "kind" {
        /// Project application review.
        Application = "application",
        /// Project acceptance check.
        Acceptance = "acceptance",
        /// S&T award review.
        Award = "award",
        /// Achievement appraisal.
        Appraisal = "appraisal",
        /// Consulting evaluation (advisory pool).
        Consulting = "consulting"
    }
);

text_enum!(
    /// How items meet their reviewers.
    EventMode, "mode" {
        /// A panel reviews a group of items together at a meeting.
        Panel = "panel",
        /// Each item gets its own reviewers (correspondence review).
        Individual = "individual"
    }
);

text_enum!(
    /// Where an event stands.
    EventStatus, "status" {
        /// Being prepared: items, panels, rules.
        Draft = "draft",
        /// Panels drawn, not yet confirmed.
        Drawn = "drawn",
        /// Invitations sent.
        Inviting = "inviting",
        /// Rosters confirmed.
        Confirmed = "confirmed",
        /// Over; tracking recorded.
        Closed = "closed"
    }
);

text_enum!(
    /// What staff or experts do to an event; each is allowed only in some states.
    EventAction, "action" {
        /// Change the rules.
        EditRules = "edit_rules",
        /// Add items.
        EditItems = "edit_items",
        /// Group or set panels.
        EditPanels = "edit_panels",
        /// Exclude an expert from an item, or clear a possible conflict.
        Exclude = "exclude",
        /// Pin an expert to a panel or keep them off it.
        Pin = "pin",
        /// Draw the panels.
        Draw = "draw",
        /// Send the invitations of a draw.
        Confirm = "confirm",
        /// Answer an invitation (expert or staff).
        Answer = "answer",
        /// Fill a declined seat.
        Replace = "replace",
        /// Leave a seat empty, with a reason.
        WaiveSeat = "waive_seat",
        /// Record attendance and ratings.
        Attendance = "attendance",
        /// Move an inviting event to confirmed (every seat settled).
        ConfirmRoster = "confirm_roster",
        /// Close a confirmed event (attendance recorded).
        Close = "close"
    }
);

impl EventStatus {
    /// The states in which `action` makes sense. Edits end when invitations go out (the
    /// experts were asked on the strength of those items and rules); answers, replacements
    /// and attendance end at closing, after which the event is history.
    pub fn allowed_for(action: EventAction) -> &'static [EventStatus] {
        use EventAction as A;
        use EventStatus as S;
        match action {
            A::EditRules | A::EditItems | A::EditPanels | A::Exclude | A::Pin | A::Draw => {
                &[S::Draft, S::Drawn]
            }
            A::Confirm => &[S::Drawn],
            A::Answer | A::Replace | A::WaiveSeat => &[S::Inviting, S::Confirmed],
            A::ConfirmRoster => &[S::Inviting],
            A::Attendance | A::Close => &[S::Confirmed],
        }
    }

    /// Whether `action` is allowed now; the error names the state and where it would be.
    pub fn check(self, action: EventAction) -> Result<(), WrongState> {
        let allowed = Self::allowed_for(action);
        if allowed.contains(&self) {
            Ok(())
        } else {
            Err(WrongState {
                status: self,
                action,
                allowed,
            })
        }
    }

    /// Whether items, panels and rules may still change.
    pub fn editable(self) -> bool {
        self.check(EventAction::EditRules).is_ok()
    }
}

/// An action tried in a state that does not allow it (HTTP 409).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the event is {status}: {action} is possible only when it is {}",
    join(allowed)
)]
pub struct WrongState {
    /// The event's state.
    pub status: EventStatus,
    /// What was tried.
    pub action: EventAction,
    /// Where it would have been allowed.
    pub allowed: &'static [EventStatus],
}

fn join(states: &[EventStatus]) -> String {
    states
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" or ")
}

/// A time slot of an event: id, date and part of day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    /// Slot id, e.g. `S1`.
    pub id: String,
    /// Date.
    pub date: chrono::NaiveDate,
    /// `am`, `pm` or empty.
    #[serde(default)]
    pub part: String,
}

/// The half-day a panel meets in: a date and `am`, `pm`, or empty for the whole day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HalfDay {
    /// Date.
    pub date: chrono::NaiveDate,
    /// `am`, `pm` or empty (the whole day).
    #[serde(default)]
    pub part: String,
}

impl HalfDay {
    /// Whether one person could not be in both: same date, and the same half or a whole day.
    pub fn overlaps(&self, other: &HalfDay) -> bool {
        self.date == other.date
            && (self.part.is_empty() || other.part.is_empty() || self.part == other.part)
    }
}

impl std::fmt::Display for HalfDay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.date)?;
        if !self.part.is_empty() {
            write!(f, " {}", self.part)?;
        }
        Ok(())
    }
}

/// The half-day a panel occupies: its slot's, else (panel mode without slots) the event's
/// first date as a whole day; correspondence review (individual mode) occupies none.
pub fn panel_half_day(
    mode: EventMode,
    slots: &[Slot],
    dates: &[chrono::NaiveDate],
    panel_slot: Option<&str>,
) -> Option<HalfDay> {
    if mode == EventMode::Individual {
        return None;
    }
    match panel_slot.and_then(|id| slots.iter().find(|s| s.id == id)) {
        Some(s) => Some(HalfDay {
            date: s.date,
            part: s.part.clone(),
        }),
        None => dates.first().map(|&date| HalfDay {
            date,
            part: String::new(),
        }),
    }
}

/// Parses `S1=2026-12-15 am; S2=2026-12-15 pm` (a slot per entry).
pub fn parse_slots(raw: &str) -> Result<Vec<Slot>, ValidationError> {
    raw.split([';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .enumerate()
        .map(|(i, part)| {
            let field = format!("slots[{i}]");
            let (id, rest) = part.split_once('=').ok_or_else(|| {
                ValidationError::new(&field, format!("'{part}' is not ID=YYYY-MM-DD [am|pm]"))
            })?;
            let mut words = rest.split_whitespace();
            let date = super::expert::parse_date(&field, words.next().unwrap_or(""))?;
            let half = words.next().unwrap_or("").to_string();
            if !["", "am", "pm"].contains(&half.as_str()) {
                return Err(ValidationError::new(
                    field,
                    format!("'{half}' is not am or pm"),
                ));
            }
            Ok(Slot {
                id: id.trim().to_string(),
                date,
                part: half,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_parse_and_errors_name_the_slot() {
        let slots = parse_slots("S1=2026-12-15 am; S2=2026-12-15 pm").unwrap();
        assert_eq!(slots.len(), 2);
        assert_eq!(slots[1].part, "pm");
        assert_eq!(
            parse_slots("S1=2026-12-15; S2=tomorrow").unwrap_err().field,
            "slots[1]"
        );
    }

    #[test]
    fn only_draft_and_drawn_events_are_editable() {
        assert!(EventStatus::Draft.editable() && EventStatus::Drawn.editable());
        assert!(!EventStatus::Confirmed.editable());
    }

    #[test]
    fn half_days_overlap_on_the_same_half_or_a_whole_day() {
        let h = |d: &str, p: &str| HalfDay {
            date: d.parse().unwrap(),
            part: p.into(),
        };
        assert!(h("2027-01-13", "am").overlaps(&h("2027-01-13", "am")));
        assert!(!h("2027-01-13", "am").overlaps(&h("2027-01-13", "pm")));
        assert!(h("2027-01-13", "").overlaps(&h("2027-01-13", "pm")));
        assert!(!h("2027-01-13", "am").overlaps(&h("2027-01-14", "am")));
    }

    #[test]
    fn a_closed_event_allows_nothing_and_errors_name_the_state() {
        for &action in EventAction::ALL {
            assert!(EventStatus::Closed.check(action).is_err(), "{action}");
        }
        let e = EventStatus::Inviting
            .check(EventAction::Attendance)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the event is inviting: attendance is possible only when it is confirmed"
        );
        assert!(EventStatus::Drawn.check(EventAction::Confirm).is_ok());
        assert!(EventStatus::Draft.check(EventAction::Confirm).is_err());
        assert!(EventStatus::Confirmed.check(EventAction::Replace).is_ok());
    }
}
