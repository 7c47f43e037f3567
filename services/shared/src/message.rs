//! What payment tells order over Kafka when a payment's status changes.

use serde::{Deserialize, Serialize};

/// A payment of order `order_sn` reached `pay_status` (see
/// [`crate::state::pay_status`]). Keyed by the order number, so the
/// messages of one order stay in order on one partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayStatusUpdate {
    pub pay_status: i64,
    /// The order's number (HSO...), not the payment's.
    pub order_sn: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_format() {
        let m = PayStatusUpdate {
            pay_status: 1,
            order_sn: "HSO1".into(),
        };
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"{"payStatus":1,"orderSn":"HSO1"}"#);
        assert_eq!(serde_json::from_str::<PayStatusUpdate>(&json).unwrap(), m);
    }
}
