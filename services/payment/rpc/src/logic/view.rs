//! A stored payment as the wire message: times as unix seconds.

use looklook_shared::time::unix;
use payment_model::third_payment::ThirdPayment;

use crate::pb::PaymentDetail;

pub fn payment(row: ThirdPayment) -> PaymentDetail {
    PaymentDetail {
        id: row.id,
        sn: row.sn,
        user_id: row.user_id,
        pay_mode: row.pay_mode,
        trade_type: row.trade_type,
        trade_state: row.trade_state,
        pay_total: row.pay_total,
        transaction_id: row.transaction_id,
        trade_state_desc: row.trade_state_desc,
        order_sn: row.order_sn,
        service_type: row.service_type,
        create_time: unix(row.create_time),
        update_time: unix(row.update_time),
        pay_status: i64::from(row.pay_status),
        pay_time: unix(row.pay_time),
        trace_parent: row.trace_parent,
    }
}
