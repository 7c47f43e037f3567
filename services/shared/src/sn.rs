//! Serial numbers: a prefix, the local time to the second and 8 random
//! digits, 25 characters in all (the `char(25)` columns). Sortable by time,
//! readable on a phone call, and with 10^8 numbers a second per prefix a
//! collision is left to the unique index to catch.

use crate::time;

/// Homestay orders.
pub const HOMESTAY_ORDER: &str = "HSO";
/// Third-party payments.
pub const THIRD_PAYMENT: &str = "PMT";

/// A new serial number with `prefix` (three letters).
pub fn gen_sn(prefix: &str) -> String {
    format!(
        "{prefix}{}{:08}",
        time::now().format("%Y%m%d%H%M%S"),
        fastrand::u32(..100_000_000)
    )
}

/// The 8-character code a guest shows on arrival: digits and letters. It
/// stands for the booking at the door, so it comes from a generator made
/// for secrets (the OS-seeded ChaCha of `rand`), never a predictable one.
pub fn trade_code() -> String {
    use rand::Rng;
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(8)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_numbers_fit_their_column() {
        let sn = gen_sn(HOMESTAY_ORDER);
        assert_eq!(sn.len(), 25, "{sn}");
        assert!(sn.starts_with("HSO20"), "{sn}");
        assert!(sn[3..].bytes().all(|b| b.is_ascii_digit()), "{sn}");
        assert_ne!(gen_sn(THIRD_PAYMENT), gen_sn(THIRD_PAYMENT));
    }

    #[test]
    fn trade_codes_are_eight_alphanumerics() {
        let code = trade_code();
        assert_eq!(code.len(), 8);
        assert!(code.bytes().all(|b| b.is_ascii_alphanumeric()), "{code}");
    }
}
