//! Money is kept in cents (integers, exact) and shown in yuan.

/// Cents to yuan, for display.
pub fn yuan(cents: i64) -> f64 {
    cents as f64 / 100.0
}

#[cfg(test)]
mod tests {
    #[test]
    fn cents_to_yuan() {
        assert_eq!(super::yuan(58800), 588.0);
        assert_eq!(super::yuan(1), 0.01);
    }
}
