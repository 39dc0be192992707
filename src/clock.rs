//! The bureau's clock: dates and times as staff read them, in the server's local time zone
//! (set the zone of the host or `TZ`, e.g. `Asia/Shanghai`). Stored times stay UTC text.

use chrono::{DateTime, Local, NaiveDate};

/// Today's local date.
pub fn today() -> NaiveDate {
    Local::now().date_naive()
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
