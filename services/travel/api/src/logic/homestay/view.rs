// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! A homestay row as the API shows it: money in yuan (the database keeps
//! cents).

use looklook_shared::money::yuan;
use travel_model::homestay::Homestay as Row;

use crate::types::Homestay;

pub fn homestay(h: Row) -> Homestay {
    Homestay {
        id: h.id,
        title: h.title,
        sub_title: h.sub_title,
        banner: h.banner,
        info: h.info,
        people_num: i64::from(h.people_num),
        homestay_business_id: h.homestay_business_id,
        user_id: h.user_id,
        row_state: i64::from(h.row_state),
        row_type: i64::from(h.row_type),
        food_info: h.food_info,
        food_price: yuan(h.food_price),
        homestay_price: yuan(h.homestay_price),
        market_homestay_price: yuan(h.market_homestay_price),
    }
}
