//! How amounts and times are written for people: satoshis with thousands separators
//! ("1,234,567 sat"), times in ISO 8601 UTC with a relative form ("2026-12-02T16:00:00Z,
//! in 23 h"). Machines get plain integers (`*_sat`, `*_at` unix seconds) in `--json`
//! (`docs/json.md`). Pure: the current time is an argument.

/// `1234567` → `"1,234,567 sat"`.
pub fn sat(value: u64) -> String {
    format!("{} sat", grouped(value))
}

/// A signed amount: `-1234` → `"-1,234 sat"`, `1234` → `"+1,234 sat"`.
pub fn signed_sat(value: i64) -> String {
    let sign = if value < 0 { '-' } else { '+' };
    format!("{sign}{} sat", grouped(value.unsigned_abs()))
}

/// An amount in bitcoin with 8 decimals: `123456` → `"0.00123456 btc"`.
pub fn btc(value: u64) -> String {
    format!("{}.{:08} btc", value / 100_000_000, value % 100_000_000)
}

/// The unit people read amounts in (`--unit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unit {
    /// Satoshis with thousands separators.
    #[default]
    Sat,
    /// Bitcoin with 8 decimals.
    Btc,
}

impl Unit {
    /// `value` satoshis in this unit.
    pub fn amount(self, value: u64) -> String {
        match self {
            Unit::Sat => sat(value),
            Unit::Btc => btc(value),
        }
    }
}

/// `1234567` → `"1,234,567"`.
pub fn grouped(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Unix seconds → `"2026-12-02T16:00:00Z"` (UTC).
pub fn iso8601(unix: u64) -> String {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3_600,
        secs / 60 % 60,
        secs % 60
    )
}

/// How far `at` is from `now`: `"in 23 h"`, `"5 min ago"`, `"just now"`.
pub fn relative(at: u64, now: u64) -> String {
    let (span, future) = if at >= now {
        (at - now, true)
    } else {
        (now - at, false)
    };
    if span < 5 {
        return "just now".to_owned();
    }
    let text = if span < 60 {
        format!("{span} s")
    } else if span < 3_600 {
        format!("{} min", span / 60)
    } else if span < 48 * 3_600 {
        format!("{} h", span / 3_600)
    } else {
        format!("{} d", span / 86_400)
    };
    if future {
        format!("in {text}")
    } else {
        format!("{text} ago")
    }
}

/// `"2026-12-02T16:00:00Z, in 23 h"`.
pub fn when(at: u64, now: u64) -> String {
    format!("{}, {}", iso8601(at), relative(at, now))
}

/// The current unix time in seconds.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_have_separators() {
        assert_eq!(sat(0), "0 sat");
        assert_eq!(sat(999), "999 sat");
        assert_eq!(sat(1_000), "1,000 sat");
        assert_eq!(sat(400_000), "400,000 sat");
        assert_eq!(sat(1_234_567), "1,234,567 sat");
        assert_eq!(sat(u64::MAX), "18,446,744,073,709,551,615 sat");
        assert_eq!(signed_sat(-1_234), "-1,234 sat");
        assert_eq!(signed_sat(5), "+5 sat");
        assert_eq!(signed_sat(i64::MIN), "-9,223,372,036,854,775,808 sat");
        assert_eq!(btc(123_456), "0.00123456 btc");
        assert_eq!(btc(2_100_000_000_000_000), "21000000.00000000 btc");
    }

    #[test]
    fn times_are_iso_8601_utc() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(1_796_227_200), "2026-12-02T16:00:00Z");
        assert_eq!(iso8601(4_102_444_799), "2099-12-31T23:59:59Z");
        assert_eq!(relative(100, 100), "just now");
        assert_eq!(relative(100 + 23 * 3_600 + 5, 100), "in 23 h");
        assert_eq!(relative(100, 400), "5 min ago");
        assert_eq!(relative(3 * 86_400, 0), "in 3 d");
        assert_eq!(
            when(1_796_227_200 + 3_600, 1_796_227_200),
            "2026-12-02T17:00:00Z, in 1 h"
        );
    }
}
