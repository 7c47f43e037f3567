//! The business's clock. Times are stored as local date-times of China
//! Standard Time (as the original system's MySQL connection did) and cross
//! the wire as unix seconds.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};

/// China Standard Time, UTC+8 all year (no daylight saving).
pub fn business_tz() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("8 hours is a valid offset")
}

/// The same offset as a database session's time zone (`+08:00`). Every
/// pool runs its sessions in it (`SqlConf::in_time_zone`), so that a
/// `CURRENT_TIMESTAMP` column holds business time like every time the
/// services write, whatever zone the server runs in.
pub fn sql_time_zone() -> String {
    business_tz().to_string()
}

/// Now, business time, as stored.
pub fn now() -> NaiveDateTime {
    Utc::now().with_timezone(&business_tz()).naive_local()
}

/// Today's date, business time.
pub fn today() -> NaiveDate {
    now().date()
}

/// The unix seconds of a stored date-time.
pub fn unix(at: NaiveDateTime) -> i64 {
    at.and_local_timezone(business_tz())
        .single()
        .map_or(0, |t| t.timestamp())
}

/// The unix seconds of a stored date's midnight.
pub fn unix_date(date: NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0).map_or(0, unix)
}

/// Unix seconds as a stored date-time; `None` when out of range.
pub fn local(secs: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp(secs, 0).map(|t| t.with_timezone(&business_tz()).naive_local())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sessions_zone_is_the_business_zone() {
        assert_eq!(sql_time_zone(), "+08:00");
    }

    #[test]
    fn round_trips_and_the_epoch_default() {
        // The columns' default, '1970-01-01 08:00:00', is the epoch.
        let default = NaiveDate::from_ymd_opt(1970, 1, 1)
            .unwrap()
            .and_hms_opt(8, 0, 0)
            .unwrap();
        assert_eq!(unix(default), 0);
        assert_eq!(local(0), Some(default));
        assert_eq!(unix(local(1_800_000_000).unwrap()), 1_800_000_000);
        assert_eq!(unix_date(default.date()), -8 * 3600);
    }
}
