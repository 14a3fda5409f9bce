//! Newtypes for command-line values, with checked parsers.

use std::fmt;
use std::str::FromStr;

use bitcoin::{Amount, FeeRate};

/// An amount: `1000` or `1000sat` (satoshis), or `0.00001btc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmountArg(pub Amount);

impl FromStr for AmountArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        let bad = || {
            format!("invalid amount '{s}': use satoshis (1000 or 1000sat) or bitcoin (0.00001btc)")
        };
        let amount = if let Some(btc) = t.strip_suffix("btc") {
            Amount::from_str_in(btc.trim(), bitcoin::Denomination::Bitcoin).map_err(|_| bad())?
        } else {
            let sat = t.strip_suffix("sat").unwrap_or(&t).trim();
            Amount::from_sat(sat.parse::<u64>().map_err(|_| bad())?)
        };
        if amount == Amount::ZERO {
            return Err(format!("invalid amount '{s}': must be more than zero"));
        }
        if amount > Amount::MAX_MONEY {
            return Err(format!("invalid amount '{s}': more than 21 million btc"));
        }
        Ok(AmountArg(amount))
    }
}

impl fmt::Display for AmountArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} sat", self.0.to_sat())
    }
}

/// A fee rate in sat/vB (whole numbers, 1 to 10000).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeRateArg(pub FeeRate);

impl FromStr for FeeRateArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().parse::<u64>() {
            Ok(n @ 1..=10_000) => Ok(FeeRateArg(
                FeeRate::from_sat_per_vb(n).expect("small fee rate"),
            )),
            _ => Err(format!(
                "invalid fee rate '{s}': a whole number of sat/vB from 1 to 10000"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_in_sat_and_btc() {
        assert_eq!("1000".parse::<AmountArg>().unwrap().0.to_sat(), 1000);
        assert_eq!("1000sat".parse::<AmountArg>().unwrap().0.to_sat(), 1000);
        assert_eq!("0.001BTC".parse::<AmountArg>().unwrap().0.to_sat(), 100_000);
        for bad in ["", "0", "-5", "1.5", "abc", "1.000000001btc", "21000001btc"] {
            assert!(bad.parse::<AmountArg>().is_err(), "{bad}");
        }
        assert!("0".parse::<FeeRateArg>().is_err());
        assert_eq!(
            "5".parse::<FeeRateArg>().unwrap().0,
            FeeRate::from_sat_per_vb(5).unwrap()
        );
    }
}

/// A number of blocks to mine, 1 to 10000 (said in words, not as a Rust range).
pub fn parse_blocks(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(n @ 1..=10_000) => Ok(n),
        _ => Err(format!(
            "invalid number of blocks '{s}': a whole number from 1 to 10000"
        )),
    }
}

/// A duration: a number with a unit `s`, `m`, `h` or `d` (e.g. `30s`, `24h`, `7d`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationArg(pub std::time::Duration);

impl FromStr for DurationArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!("invalid duration '{s}': expected a number and a unit s, m, h or d (e.g. 30s, 24h, 7d)")
        };
        let s = s.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (number, unit) = s.split_at(split);
        let number: u64 = number.parse().map_err(|_| bad())?;
        let scale = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(bad()),
        };
        let secs = number.checked_mul(scale).ok_or_else(bad)?;
        if secs == 0 {
            return Err(format!("invalid duration '{s}': it must be positive"));
        }
        Ok(DurationArg(std::time::Duration::from_secs(secs)))
    }
}
