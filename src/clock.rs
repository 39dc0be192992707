//! The bureau's clock: dates and times as staff read them, in the bureau's time zone
//! (`EXPERTPOOL_TIMEZONE`, default `Asia/Shanghai`, whatever zone the host is set to: a
//! server in a data centre often runs on UTC). Stored times stay UTC text.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};

/// The zone the bureau works in when `EXPERTPOOL_TIMEZONE` is not set.
pub const DEFAULT_ZONE: Tz = chrono_tz::Asia::Shanghai;

static ZONE: OnceLock<Tz> = OnceLock::new();

/// Reads `EXPERTPOOL_TIMEZONE` (an IANA name such as `Asia/Shanghai` or `Asia/Urumqi`);
/// the error names the variable. Called once at start-up; later calls keep the first zone.
pub fn init_zone(raw: Option<&str>) -> Result<Tz, String> {
    let zone = match raw.map(str::trim).filter(|z| !z.is_empty()) {
        None => DEFAULT_ZONE,
        Some(name) => name.parse::<Tz>().map_err(|_| {
            format!("EXPERTPOOL_TIMEZONE: '{name}' is not a time zone name such as Asia/Shanghai")
        })?,
    };
    Ok(*ZONE.get_or_init(|| zone))
}

/// The bureau's time zone.
pub fn zone() -> Tz {
    *ZONE.get_or_init(|| DEFAULT_ZONE)
}

/// Today's date in the bureau's zone.
pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&zone()).date_naive()
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
        self.now().with_timezone(&zone()).date_naive()
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

/// An instant in the bureau's zone as people read it: `2026年11月29日 12:16` in Chinese,
/// `2026-11-29 12:16` in English.
pub fn show(at: DateTime<Utc>, lang: &str) -> String {
    let local = at.with_timezone(&zone());
    if lang == "en" {
        local.format("%Y-%m-%d %H:%M").to_string()
    } else {
        local.format("%Y年%-m月%-d日 %H:%M").to_string()
    }
}

/// A stored RFC 3339 time as people read it (see [`show`]); text that does not parse is
/// shown as is.
pub fn local_time(stored: &str, lang: &str) -> String {
    parse_stamp(stored)
        .map(|t| show(t, lang))
        .unwrap_or_else(|| stored.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_times_read_in_the_bureaus_zone_and_bad_text_passes_through() {
        // (the zone is the default: no test sets EXPERTPOOL_TIMEZONE)
        assert_eq!(
            local_time("2026-11-29T04:16:51.229Z", "zh"),
            "2026年11月29日 12:16"
        );
        assert_eq!(local_time("2026-11-29T20:05:00Z", "en"), "2026-11-30 04:05");
        assert_eq!(local_time("yesterday", "zh"), "yesterday");
    }

    #[test]
    fn a_zone_that_does_not_exist_is_named_in_the_error() {
        let e = init_zone(Some("Mars/Olympus")).unwrap_err();
        assert!(
            e.contains("EXPERTPOOL_TIMEZONE") && e.contains("Mars/Olympus"),
            "{e}"
        );
    }
}
