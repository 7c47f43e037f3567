// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! `pb.order/createHomestayOrder`: book a homestay. The dates, the guests
//! and the homestay are checked here, the price is worked out here (in
//! cents), and the order keeps a snapshot of the homestay as booked.

use chrono::NaiveDate;
use looklook_runtime::ctx::RequestCtx;
use looklook_runtime::{Error, Result, codes};
use looklook_shared::jobs::{self, CloseOrder};
use looklook_shared::state::trade_state;
use looklook_shared::{sn, time};
use order_model::homestay_order::HomestayOrder;
use order_model::{Tx, transact};
use travel_rpc::pb::{Homestay, HomestayDetailReq};

use crate::pb::{CreateHomestayOrderReq, CreateHomestayOrderResp};
use crate::svc::ServiceContext;

/// The longest stay one order books.
const MAX_NIGHTS: i64 = 90;

pub async fn create_homestay_order(
    svc: &ServiceContext,
    ctx: &RequestCtx,
    req: CreateHomestayOrderReq,
) -> Result<CreateHomestayOrderResp> {
    if req.user_id <= 0 {
        return Err(Error::bad_param("`userId` is missing"));
    }
    let stay = Stay::new(req.live_start_time, req.live_end_time, time::today())?;
    if req.live_people_num < 1 {
        return Err(Error::bad_param("`livePeopleNum` must be at least 1"));
    }

    let homestay = svc
        .travel
        .homestay_detail(
            ctx,
            HomestayDetailReq {
                id: req.homestay_id,
            },
        )
        .await?
        .homestay
        .ok_or_else(|| Error::msg("this homestay does not exist"))?;
    if homestay.row_state != 1 {
        return Err(Error::msg("this homestay is not on sale"));
    }
    if req.live_people_num > homestay.people_num {
        return Err(Error::msg(format!(
            "this homestay takes at most {} guests",
            homestay.people_num
        )));
    }
    let price = Price::of(&homestay, stay.nights, req.live_people_num, req.is_food);

    let order = HomestayOrder {
        sn: sn::gen_sn(sn::HOMESTAY_ORDER),
        user_id: req.user_id,
        homestay_id: homestay.id,
        title: homestay.title,
        sub_title: homestay.sub_title,
        // The list shows one picture: the first of the banner.
        cover: homestay.banner.split(',').next().unwrap_or("").to_owned(),
        info: homestay.info,
        people_num: small(homestay.people_num)?,
        row_type: homestay.row_type == 1,
        need_food: req.is_food,
        food_info: homestay.food_info,
        food_price: homestay.food_price,
        homestay_price: homestay.homestay_price,
        market_homestay_price: homestay.market_homestay_price,
        homestay_business_id: homestay.homestay_business_id,
        homestay_user_id: homestay.user_id,
        live_start_date: stay.check_in,
        live_end_date: stay.check_out,
        live_people_num: small(req.live_people_num)?,
        trade_state: trade_state::WAIT_PAY as i8,
        trade_code: sn::trade_code(),
        remark: req.remark,
        order_total_price: price.homestay_total + price.food_total,
        food_total_price: price.food_total,
        homestay_total_price: price.homestay_total,
        ..HomestayOrder::default()
    };
    // The job that closes the order if it is not paid in time goes in
    // first: if the insert then fails, the job finds no order and stops;
    // the other way round, a lost job would leave the order open for ever.
    let close = CloseOrder {
        sn: order.sn.clone(),
        carried: ctx.carried(),
    };
    let at = time::unix(time::now()) + svc.config.close_order_after_secs;
    jobs::schedule(&mut svc.close_orders.clone(), close, at)
        .await
        .map_err(|e| Error::internal(codes::SERVER_COMMON_ERROR, e))?;
    book(svc, &order).await?;
    Ok(CreateHomestayOrderResp { sn: order.sn })
}

/// Insert the order with its nights, in one transaction: either both are
/// in, or neither (another order holds one of the nights).
async fn book(svc: &ServiceContext, order: &HomestayOrder) -> Result<()> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let booked = transact(svc.orders.pool(), async |tx: &mut Tx| {
            let free = svc
                .nights
                .reserve_in(
                    tx,
                    order.homestay_id,
                    order.live_start_date,
                    order.live_end_date,
                    &order.sn,
                )
                .await?;
            if !free {
                // An error, so that the nights taken so far roll back.
                return Err(Lost::Taken);
            }
            svc.orders.insert_in(tx, order).await?;
            Ok(())
        })
        .await;
        match booked {
            Ok(()) => return Ok(()),
            Err(Lost::Taken) => {
                return Err(Error::msg(
                    "this homestay is already booked for some of these nights",
                ));
            }
            // Racing inserts of the same keys can lock each other in a
            // cycle, which InnoDB breaks by rolling one side back: that side
            // did nothing, and is tried again a moment later.
            Err(Lost::Model(e)) if attempt < 5 && e.is_deadlock() => {
                tokio::time::sleep(std::time::Duration::from_millis(5 * attempt)).await;
            }
            Err(Lost::Model(e)) => return Err(e.into()),
        }
    }
}

/// Why a booking's transaction rolled back.
enum Lost {
    /// Another order holds one of the nights.
    Taken,
    Model(order_model::Error),
}

impl From<order_model::Error> for Lost {
    fn from(e: order_model::Error) -> Self {
        Lost::Model(e)
    }
}

impl From<sqlx::Error> for Lost {
    fn from(e: sqlx::Error) -> Self {
        Lost::Model(e.into())
    }
}

/// The nights booked: from the check-in date to the check-out date, in the
/// business's time zone (the time of day does not matter).
#[derive(Debug, PartialEq)]
struct Stay {
    check_in: NaiveDate,
    check_out: NaiveDate,
    nights: i64,
}

impl Stay {
    fn new(start: i64, end: i64, today: NaiveDate) -> Result<Stay> {
        let date = |secs: i64, name: &str| {
            time::local(secs)
                .map(|t| t.date())
                .ok_or_else(|| Error::bad_param(format!("`{name}` is not a time")))
        };
        let check_in = date(start, "liveStartTime")?;
        let check_out = date(end, "liveEndTime")?;
        let nights = (check_out - check_in).num_days();
        if check_in < today {
            return Err(Error::bad_param("check-in is in the past"));
        }
        if nights < 1 {
            return Err(Error::bad_param("stay at least one night"));
        }
        if nights > MAX_NIGHTS {
            return Err(Error::bad_param(format!(
                "stay at most {MAX_NIGHTS} nights"
            )));
        }
        Ok(Stay {
            check_in,
            check_out,
            nights,
        })
    }
}

/// What a stay costs, in cents.
#[derive(Debug, PartialEq)]
struct Price {
    homestay_total: i64,
    food_total: i64,
}

impl Price {
    /// A homestay priced per room (`row_type` 0) costs its price a night; one
    /// priced per person (1), its price a guest a night. Meals are per
    /// guest per day.
    fn of(homestay: &Homestay, nights: i64, people: i64, food: bool) -> Price {
        let per_night = if homestay.row_type == 1 {
            homestay.homestay_price * people
        } else {
            homestay.homestay_price
        };
        Price {
            homestay_total: per_night * nights,
            food_total: if food {
                homestay.food_price * people * nights
            } else {
                0
            },
        }
    }
}

/// A count for a `tinyint` column.
fn small(n: i64) -> Result<i8> {
    i8::try_from(n).map_err(|_| Error::bad_param(format!("{n} is too many")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(date: &str, hour: u32) -> i64 {
        NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .unwrap()
            .and_hms_opt(hour, 0, 0)
            .unwrap()
            .and_local_timezone(time::business_tz())
            .unwrap()
            .timestamp()
    }

    fn day(date: &str) -> NaiveDate {
        NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn nights_count_calendar_days_whatever_the_hour() {
        let today = day("2026-12-01");
        // In at 14:00, out at 11:00 two days later: two nights, not one.
        let stay = Stay::new(at("2026-12-01", 14), at("2026-12-03", 11), today).unwrap();
        assert_eq!((stay.check_in, stay.nights), (day("2026-12-01"), 2));
    }

    #[test]
    fn bad_stays_are_bad_parameters() {
        let today = day("2026-12-01");
        for (start, end, why) in [
            (at("2026-12-02", 0), at("2026-12-02", 23), "one night"),
            (at("2026-12-05", 0), at("2026-12-02", 0), "one night"),
            (at("2026-11-30", 0), at("2026-12-02", 0), "past"),
            (at("2026-12-01", 0), at("2027-06-01", 0), "90 nights"),
            (i64::MAX, at("2026-12-02", 0), "not a time"),
        ] {
            let e = Stay::new(start, end, today).unwrap_err();
            assert_eq!(e.code_value(), 100002);
            assert!(e.message().contains(why), "{}", e.message());
        }
    }

    #[test]
    fn prices_per_room_per_person_and_meals() {
        let room = Homestay {
            homestay_price: 58800,
            food_price: 3000,
            row_type: 0,
            ..Homestay::default()
        };
        assert_eq!(
            Price::of(&room, 2, 3, true),
            Price {
                homestay_total: 117600,
                food_total: 18000
            }
        );
        assert_eq!(Price::of(&room, 2, 3, false).food_total, 0);
        let bed = Homestay {
            row_type: 1,
            ..room
        };
        assert_eq!(Price::of(&bed, 2, 3, false).homestay_total, 352800);
    }
}
