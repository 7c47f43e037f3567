//! A stored order as the wire message: dates as the unix time of their
//! midnight in the business's time zone.

use looklook_shared::state::trade_state;
use looklook_shared::time::{unix, unix_date};
use order_model::homestay_order::HomestayOrder as Row;

use crate::pb::HomestayOrder;

/// `close_after`: the seconds an order may wait for payment (the close
/// job's delay), which give its `pay_deadline`.
pub fn order(row: Row, close_after: i64) -> HomestayOrder {
    let created = unix(row.create_time);
    let waiting = i64::from(row.trade_state) == trade_state::WAIT_PAY;
    HomestayOrder {
        pay_deadline: if waiting { created + close_after } else { 0 },
        id: row.id,
        sn: row.sn,
        user_id: row.user_id,
        homestay_id: row.homestay_id,
        title: row.title,
        sub_title: row.sub_title,
        cover: row.cover,
        info: row.info,
        people_num: i64::from(row.people_num),
        row_type: i64::from(row.row_type),
        food_info: row.food_info,
        food_price: row.food_price,
        homestay_price: row.homestay_price,
        market_homestay_price: row.market_homestay_price,
        homestay_business_id: row.homestay_business_id,
        homestay_user_id: row.homestay_user_id,
        live_start_date: unix_date(row.live_start_date),
        live_end_date: unix_date(row.live_end_date),
        live_people_num: i64::from(row.live_people_num),
        trade_state: i64::from(row.trade_state),
        trade_code: row.trade_code,
        remark: row.remark,
        order_total_price: row.order_total_price,
        food_total_price: row.food_total_price,
        homestay_total_price: row.homestay_total_price,
        create_time: created,
        need_food: i64::from(row.need_food),
    }
}
