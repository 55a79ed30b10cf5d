//! TOU price scaling (docs/protocol.md §6.6): integer = price × 10^`decimalPoint`, rounded
//! half-up in decimal (not binary) arithmetic on the number's shortest decimal form, so
//! 0.125 @2 → 13 and 2.675 @2 → 268 although their binary values lie just below the tie.

use super::error::ValidationError;

/// Largest accepted `decimalPoint`.
pub const MAX_DECIMAL_POINT: u8 = 10;

/// `decimalPoint` assumed when a device TOU period omits it.
pub const DEFAULT_DECIMAL_POINT: u8 = 5;

fn check_decimal_point(decimal_point: u8) -> Result<(), ValidationError> {
    if decimal_point > MAX_DECIMAL_POINT {
        return Err(ValidationError::OutOfRange {
            field: "decimal_point",
            value: f64::from(decimal_point),
            min: 0.0,
            max: f64::from(MAX_DECIMAL_POINT),
        });
    }
    Ok(())
}

/// Scales a price to the device's integer form.
pub fn encode_price(value: f64, decimal_point: u8) -> Result<i64, ValidationError> {
    check_decimal_point(decimal_point)?;
    if !value.is_finite() {
        return Err(ValidationError::NotFinite { field: "price" });
    }
    let out_of_range = || ValidationError::OutOfRange {
        field: "price",
        value,
        min: i64::MIN as f64 / 10f64.powi(i32::from(decimal_point)),
        max: i64::MAX as f64 / 10f64.powi(i32::from(decimal_point)),
    };
    // Rust prints the shortest representation that round-trips, without an exponent.
    let text = format!("{}", value.abs());
    let (int_part, frac_part) = text.split_once('.').unwrap_or((&text, ""));
    let dp = usize::from(decimal_point);
    let mut digits = String::with_capacity(int_part.len() + dp);
    digits.push_str(int_part);
    digits.extend(frac_part.chars().chain(std::iter::repeat('0')).take(dp));
    let round_up = frac_part.as_bytes().get(dp).is_some_and(|d| *d >= b'5');
    let magnitude: i128 = digits.parse().map_err(|_| out_of_range())?;
    let magnitude = magnitude
        .checked_add(i128::from(round_up))
        .ok_or_else(out_of_range)?;
    let signed = if value < 0.0 { -magnitude } else { magnitude };
    i64::try_from(signed).map_err(|_| out_of_range())
}

/// Unscales a device price: `value / 10^decimal_point`.
pub fn decode_price(value: i64, decimal_point: u8) -> Result<f64, ValidationError> {
    check_decimal_point(decimal_point)?;
    Ok(value as f64 / 10f64.powi(i32::from(decimal_point)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_up_on_the_decimal_form() {
        let e = |v, dp| encode_price(v, dp).ok();
        assert_eq!(e(0.125, 2), Some(13));
        assert_eq!(e(0.135, 2), Some(14));
        assert_eq!(e(12.34, 2), Some(1234));
        assert_eq!(e(0.45, 5), Some(45000));
        assert_eq!(e(1.005, 2), Some(101));
        assert_eq!(e(2.675, 2), Some(268));
        assert_eq!(e(1.5e-05, 5), Some(2));
        assert_eq!(e(-0.125, 2), Some(-13));
        assert_eq!(e(123456.789, 3), Some(123456789));
        assert_eq!(e(0.1, 10), Some(1_000_000_000));
        assert_eq!(e(0.0, 5), Some(0));
        assert!(encode_price(0.125, 11).is_err());
        assert!(encode_price(f64::NAN, 2).is_err());
        assert!(encode_price(1e300, 2).is_err());
    }

    #[test]
    fn decode() {
        assert_eq!(decode_price(31794, 5).ok(), Some(0.31794));
        assert_eq!(decode_price(1, 10).ok(), Some(1e-10));
        assert!(decode_price(5, 11).is_err());
    }
}
