//! The states an order and a payment go through, and which moves are
//! allowed. Stored as small integers; these names are what the code reads.

/// `homestay_order.trade_state`.
pub mod trade_state {
    pub const CANCELLED: i64 = -1;
    pub const WAIT_PAY: i64 = 0;
    /// Paid, the stay not yet used.
    pub const WAIT_USE: i64 = 1;
    pub const USED: i64 = 2;
    pub const REFUNDED: i64 = 3;
    pub const EXPIRED: i64 = 4;

    /// Whether an order may move from `from` to `to`. Only an unpaid order
    /// can be cancelled or paid; only a paid one used, refunded or expired.
    /// Nothing goes back to waiting for payment.
    pub fn can_move(from: i64, to: i64) -> bool {
        matches!(
            (from, to),
            (WAIT_PAY, CANCELLED | WAIT_USE) | (WAIT_USE, USED | REFUNDED | EXPIRED)
        )
    }

    /// Whether a guest may still cancel a paid stay at `now` (unix
    /// seconds): before its check-in day begins (`live_start_date`, that
    /// day's midnight). From then on the room is held for them.
    pub fn refundable(live_start_date: i64, now: i64) -> bool {
        now < live_start_date
    }

    /// Whether `state` is one of the six above.
    pub fn is_known(state: i64) -> bool {
        (CANCELLED..=EXPIRED).contains(&state)
    }
}

/// `third_payment.pay_status`: the platform's view of a payment.
pub mod pay_status {
    pub const FAILED: i64 = -1;
    pub const WAIT: i64 = 0;
    pub const SUCCESS: i64 = 1;
    pub const REFUNDED: i64 = 2;
}

#[cfg(test)]
mod tests {
    use super::trade_state::*;

    #[test]
    fn the_order_state_machine() {
        let allowed: Vec<(i64, i64)> = (CANCELLED..=EXPIRED)
            .flat_map(|from| (CANCELLED..=EXPIRED).map(move |to| (from, to)))
            .filter(|&(from, to)| can_move(from, to))
            .collect();
        assert_eq!(
            allowed,
            [
                (WAIT_PAY, CANCELLED),
                (WAIT_PAY, WAIT_USE),
                (WAIT_USE, USED),
                (WAIT_USE, REFUNDED),
                (WAIT_USE, EXPIRED)
            ]
        );
        assert!(!is_known(5) && !is_known(-99) && is_known(-1));
    }

    #[test]
    fn a_stay_is_refundable_until_its_check_in_day_begins() {
        let midnight = 1_800_000_000;
        assert!(refundable(midnight, midnight - 1));
        assert!(!refundable(midnight, midnight));
        assert!(!refundable(midnight, midnight + 12 * 3600));
    }
}
