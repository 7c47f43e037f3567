// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! Your queries on `homestay_night`. The generated ones are in `homestay_night_gen.rs`,
//! which looklook rewrites; this file is yours.
//!
//! A night of a homestay is sold once: the table's unique key on
//! (`homestay_id`, `night`) says so, and the database keeps it whatever the
//! number of bookings racing for the same nights. An order takes its nights
//! in the transaction that inserts it ([`reserve_in`]); a cancelled or
//! refunded one gives them back in the transaction that moves it
//! ([`release_in`]).
//!
//! [`reserve_in`]: HomestayNightModel::reserve_in
//! [`release_in`]: HomestayNightModel::release_in

use chrono::NaiveDate;

pub use crate::homestay_night_gen::{HomestayNight, HomestayNightColumn, HomestayNightModel};
use crate::{Error, Tx};

impl HomestayNightModel {
    /// Sell the nights from `check_in` up to (not including) `check_out` of
    /// `homestay_id` to order `sn`, inside `tx`. `Ok(false)` when another
    /// order holds one of them: the transaction must then be rolled back.
    ///
    /// The nights go in date order, so that two bookings of overlapping
    /// stays wait for each other on their first shared night instead of
    /// each holding one the other needs (a deadlock).
    pub async fn reserve_in(
        &self,
        tx: &mut Tx,
        homestay_id: i64,
        check_in: NaiveDate,
        check_out: NaiveDate,
        sn: &str,
    ) -> crate::Result<bool> {
        for night in check_in.iter_days().take_while(|d| *d < check_out) {
            let row = HomestayNight {
                homestay_id,
                night,
                order_sn: sn.to_owned(),
                ..HomestayNight::default()
            };
            match self.insert_in(tx, &row).await {
                Ok(_) => {}
                Err(Error::Db(sqlx::Error::Database(e))) if e.is_unique_violation() => {
                    return Ok(false);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Give back the nights order `sn` holds, inside `tx`; how many.
    pub async fn release_in(&self, tx: &mut Tx, sn: &str) -> crate::Result<usize> {
        // Locked until the transaction ends, as the deletes would lock them.
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT `id` FROM `homestay_night` WHERE `order_sn` = ? ORDER BY `night` FOR UPDATE",
        )
        .bind(sn)
        .fetch_all(tx.conn())
        .await?;
        for id in &ids {
            self.delete_in(tx, *id).await?;
        }
        Ok(ids.len())
    }
}
