//! The bureau's clock: dates and times as staff read them, in the server's local time zone
//! (set the zone of the host or `TZ`, e.g. `Asia/Shanghai`). Stored times stay UTC text.

use chrono::{DateTime, Local, NaiveDate, Utc};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Today's local date.
pub fn today() -> NaiveDate {
    Local::now().date_naive()
}

/// The clock that answer deadlines, reminders and the scheduler read: the real time plus an
/// offset that tests move forward, so a week of deadlines runs in milliseconds. Every
/// instance of a store shares one clock.
#[derive(Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// The current instant (UTC).
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// The current instant as stored text (RFC 3339, UTC, milliseconds).
    pub fn stamp(&self) -> String {
        stamp(self.now())
    }

    /// Today's local date on this clock.
    pub fn today(&self) -> NaiveDate {
        self.now().with_timezone(&Local).date_naive()
    }

    /// Moves the clock forward (tests).
    pub fn advance(&self, by: chrono::Duration) {
        self.offset_ms
            .fetch_add(by.num_milliseconds(), Ordering::Relaxed);
    }
}

/// An instant as stored text (RFC 3339, UTC, milliseconds): text order is time order.
pub fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Stored text back to an instant.
pub fn parse_stamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A stored RFC 3339 time as local `YYYY-MM-DD HH:MM`; text that does not parse is shown as is.
pub fn local_time(stored: &str) -> String {
    DateTime::parse_from_rfc3339(stored)
        .map(|t| t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| stored.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_times_read_as_local_minutes_and_bad_text_passes_through() {
        let shown = local_time("2026-11-29T08:30:00.000Z");
        assert_eq!(shown.len(), "2026-11-29 08:30".len());
        assert_eq!(local_time("yesterday"), "yesterday");
    }
}
