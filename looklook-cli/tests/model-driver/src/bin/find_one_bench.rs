//! `find_one` requests per second through the generated models against the
//! same MariaDB: the cached model (Redis) and the uncached one, each with
//! the same number of concurrent callers reading random existing rows. Then
//! the PostgreSQL model's `find_one_fresh` (past the cache) against sqlx
//! alone on PostgreSQL.
//!
//! Run by `scripts/bench-model`, which starts MariaDB and Redis, generates
//! the two model crates and builds this in release mode.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use model_driver::{PgTestDb, TestDb, fresh_cache, redis_url};
use shop_model::user::{User, UserModel};

const ROWS: i64 = 1000;

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let callers: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(32);
    let db = TestDb::fresh("bench").await;
    let cache = fresh_cache(&redis_url(), 15).await;
    let cached = Arc::new(UserModel::new(db.pool.clone(), cache.clone()));
    let plain = Arc::new(shop_model_plain::user::UserModel::new(db.pool.clone()));
    for i in 0..ROWS {
        let row = User {
            mobile: format!("139{i:08}"),
            nickname: format!("user {i}"),
            ..User::default()
        };
        cached.insert(&row).await.unwrap();
    }
    // Warm the cache so the cached run measures hits, as in steady state.
    for id in 1..=ROWS {
        cached.find_one(id).await.unwrap().unwrap();
    }

    for round in 1..=2 {
        let statements = db.statements().await;
        let m = cached.clone();
        let c = run(seconds, callers, move |id| {
            let m = m.clone();
            async move { m.find_one(id).await.unwrap().is_some() }
        })
        .await;
        let cached_statements = db.statements().await - statements;
        let m = plain.clone();
        let p = run(seconds, callers, move |id| {
            let m = m.clone();
            async move { m.find_one(id).await.unwrap().is_some() }
        })
        .await;
        // The same read written with sqlx alone: what the uncached model
        // (its breaker, its decoding) costs on top.
        let pool = db.pool.clone();
        let r = run(seconds, callers, move |id| {
            let pool = pool.clone();
            async move {
                sqlx::query_as::<_, User>("SELECT * FROM `user` WHERE `id` = ? AND `del_state` = 0")
                    .bind(id)
                    .fetch_optional(&pool)
                    .await
                    .unwrap()
                    .is_some()
            }
        })
        .await;
        println!(
            "round {round}: cached {:>8.0} req/s (p50 {:.2} ms, p99 {:.2} ms, {} database statements)   uncached {:>8.0} req/s (p50 {:.2} ms, p99 {:.2} ms)   ratio {:.2}x   sqlx alone {:>8.0} req/s (uncached model {:.1} % of it)",
            c.rps,
            c.p50,
            c.p99,
            cached_statements,
            p.rps,
            p.p50,
            p.p99,
            c.rps / p.rps,
            r.rps,
            100.0 * p.rps / r.rps
        );
    }
    let stats = cache.stats();
    println!(
        "cache: {} hits, {} misses, {} errors",
        stats.hits, stats.misses, stats.errors
    );

    // PostgreSQL: the same read past the cache, and sqlx alone.
    let pg = PgTestDb::fresh("bench").await;
    let users = Arc::new(shop_pg_model::user::UserModel::new(
        pg.pool.clone(),
        fresh_cache(&redis_url(), 14).await,
    ));
    for i in 0..ROWS {
        let row = shop_pg_model::user::User {
            mobile: format!("139{i:08}"),
            ..Default::default()
        };
        users.insert(&row).await.unwrap();
    }
    for round in 1..=2 {
        let m = users.clone();
        let p = run(seconds, callers, move |id| {
            let m = m.clone();
            async move { m.find_one_fresh(id).await.unwrap().is_some() }
        })
        .await;
        let pool = pg.pool.clone();
        let r = run(seconds, callers, move |id| {
            let pool = pool.clone();
            async move {
                sqlx::query_as::<_, shop_pg_model::user::User>(
                    r#"SELECT * FROM "user" WHERE "id" = $1 AND "del_state" = 0"#,
                )
                .bind(id)
                .fetch_optional(&pool)
                .await
                .unwrap()
                .is_some()
            }
        })
        .await;
        println!(
            "postgres round {round}: uncached {:>8.0} req/s (p50 {:.2} ms, p99 {:.2} ms)   sqlx alone {:>8.0} req/s (uncached model {:.1} % of it)",
            p.rps,
            p.p50,
            p.p99,
            r.rps,
            100.0 * p.rps / r.rps
        );
    }
}

struct Figures {
    rps: f64,
    p50: f64,
    p99: f64,
}

async fn run<F, Fut>(seconds: u64, callers: usize, call: F) -> Figures
where
    F: Fn(i64) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..callers)
        .map(|n| {
            let (stop, done, call) = (stop.clone(), done.clone(), call.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut id = n as i64;
                while !stop.load(Ordering::Relaxed) {
                    id = (id * 7919 + 13) % ROWS;
                    let t = Instant::now();
                    assert!(call(id + 1).await, "row {} exists", id + 1);
                    latencies.push(t.elapsed());
                    done.fetch_add(1, Ordering::Relaxed);
                }
                latencies
            })
        })
        .collect();
    let start = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let elapsed = start.elapsed().as_secs_f64();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    Figures {
        rps: done.load(Ordering::Relaxed) as f64 / elapsed,
        p50: ms(all[all.len() / 2]),
        p99: ms(all[all.len() * 99 / 100]),
    }
}
