//! The job board: what the queues hold, for a person to look at, as the
//! original system's asynqmon shows asynq's. `GET /` is a page that lists
//! every queue's jobs; `GET /jobs` is the same as JSON, which the page
//! reads.
//!
//! apalis's own board (apalis-board) needs apalis 1.0, still a release
//! candidate; this reads the queues through the names apalis-redis gives
//! its Redis keys (`Config`'s `*_set`, `*_list` and `job_data_hash`), so it
//! shows what the worker works on, nothing kept on the side.

use axum::Router;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use looklook_shared::jobs::{CloseOrder, ExpireOrders, PaySuccessNotify, RedisStorage};
use redis::aio::ConnectionManager;
use serde::Serialize;
use serde_json::Value;

/// The most jobs of one state shown per queue: the newest.
const SHOWN: isize = 100;

/// The queues the board shows: each one's name, and where its keys are.
#[derive(Clone)]
pub struct Queues(Vec<Queue>);

#[derive(Clone)]
struct Queue {
    name: &'static str,
    keys: apalis_redis::Config,
    conn: ConnectionManager,
}

impl Queues {
    /// The three queues of the reference system.
    pub fn new(
        close: &RedisStorage<CloseOrder>,
        expire: &RedisStorage<ExpireOrders>,
        notify: &RedisStorage<PaySuccessNotify>,
    ) -> Queues {
        fn of<T: Serialize + serde::de::DeserializeOwned>(
            name: &'static str,
            s: &RedisStorage<T>,
        ) -> Queue {
            Queue {
                name,
                keys: s.get_config().clone(),
                conn: s.get_connection().clone(),
            }
        }
        Queues(vec![
            of(CloseOrder::QUEUE, close),
            of(ExpireOrders::QUEUE, expire),
            of(PaySuccessNotify::QUEUE, notify),
        ])
    }
}

/// One queue on the board.
#[derive(Debug, Serialize)]
pub struct QueueView {
    pub name: &'static str,
    /// How many jobs are in each state (all of them, not only those shown).
    pub counts: Counts,
    pub jobs: Vec<JobView>,
}

#[derive(Debug, Default, Serialize)]
pub struct Counts {
    pub queued: u64,
    pub scheduled: u64,
    pub running: u64,
    pub done: u64,
    pub failed: u64,
    pub killed: u64,
}

/// One job: its state, when (for a scheduled one, when it runs; for the
/// others, when it got there), its tries, and what it carries.
#[derive(Debug, Serialize)]
pub struct JobView {
    pub id: String,
    pub state: &'static str,
    pub at: Option<i64>,
    pub attempts: u64,
    pub max_attempts: u64,
    pub payload: Value,
}

/// The board's routes.
pub fn router(queues: Queues) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/jobs", get(jobs))
        .with_state(queues)
}

async fn page() -> Html<&'static str> {
    Html(include_str!("board.html"))
}

async fn jobs(State(queues): State<Queues>) -> Response {
    let mut views = Vec::new();
    for queue in &queues.0 {
        match view(queue).await {
            Ok(v) => views.push(v),
            Err(e) => {
                tracing::warn!(queue = queue.name, error = %e, "cannot read the queue");
                let body = format!("cannot read {}: {e}", queue.name);
                return (axum::http::StatusCode::SERVICE_UNAVAILABLE, body).into_response();
            }
        }
    }
    axum::Json(views).into_response()
}

/// Read one queue: the ids in each of its keys, then their data.
async fn view(queue: &Queue) -> redis::RedisResult<QueueView> {
    let mut conn = queue.conn.clone();
    let keys = &queue.keys;
    let mut counts = Counts::default();
    let mut found: Vec<(String, &'static str, Option<i64>)> = Vec::new();

    // Queued: a list, oldest first.
    counts.queued = redis::cmd("LLEN")
        .arg(keys.active_jobs_list())
        .query_async(&mut conn)
        .await?;
    let queued: Vec<String> = redis::cmd("LRANGE")
        .arg(keys.active_jobs_list())
        .arg(0)
        .arg(SHOWN - 1)
        .query_async(&mut conn)
        .await?;
    found.extend(queued.into_iter().map(|id| (id, "queued", None)));

    // Scheduled, done, failed, killed: sorted sets scored by a unix time.
    for (state, key, count) in [
        (
            "scheduled",
            keys.scheduled_jobs_set(),
            &mut counts.scheduled,
        ),
        ("done", keys.done_jobs_set(), &mut counts.done),
        ("failed", keys.failed_jobs_set(), &mut counts.failed),
        ("killed", keys.dead_jobs_set(), &mut counts.killed),
    ] {
        *count = redis::cmd("ZCARD").arg(&key).query_async(&mut conn).await?;
        let newest: Vec<(String, f64)> = redis::cmd("ZRANGE")
            .arg(&key)
            .arg(0)
            .arg(SHOWN - 1)
            .arg("REV")
            .arg("WITHSCORES")
            .query_async(&mut conn)
            .await?;
        found.extend(
            newest
                .into_iter()
                .map(|(id, at)| (id, state, Some(at as i64))),
        );
    }

    // Running: the jobs each live worker holds.
    let workers: Vec<String> = redis::cmd("ZRANGE")
        .arg(keys.consumers_set())
        .arg(0)
        .arg(-1)
        .query_async(&mut conn)
        .await?;
    for worker in workers {
        let held: Vec<String> = redis::cmd("SMEMBERS")
            .arg(&worker)
            .query_async(&mut conn)
            .await?;
        counts.running += held.len() as u64;
        found.extend(held.into_iter().map(|id| (id, "running", None)));
    }

    if found.is_empty() {
        return Ok(QueueView {
            name: queue.name,
            counts,
            jobs: Vec::new(),
        });
    }
    let ids: Vec<&String> = found.iter().map(|(id, _, _)| id).collect();
    let data: Vec<Option<String>> = redis::cmd("HMGET")
        .arg(keys.job_data_hash())
        .arg(&ids)
        .query_async(&mut conn)
        .await?;
    let jobs = found
        .into_iter()
        .zip(data)
        .map(|((id, state, at), data)| job(id, state, at, data.as_deref()))
        .collect();
    Ok(QueueView {
        name: queue.name,
        counts,
        jobs,
    })
}

/// A job from its stored form, apalis's `Request` as JSON: `args` (the
/// payload) and `parts` (the tries so far, and the most it gets). A job
/// whose data is gone (it expired) still shows, with no payload.
fn job(id: String, state: &'static str, at: Option<i64>, data: Option<&str>) -> JobView {
    let stored: Value = data
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or_default();
    let number = |v: &Value| v.as_u64().unwrap_or_default();
    JobView {
        id,
        state,
        at,
        attempts: number(&stored["parts"]["attempt"]),
        max_attempts: number(&stored["parts"]["context"]["max_attempts"]),
        payload: stored["args"].clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_job_reads_as_its_payload_and_tries() {
        let stored = r#"{"args":{"sn":"HSO1"},"parts":{"task_id":"01J","attempt":2,"context":{"max_attempts":5,"lock_by":null,"run_at":null}}}"#;
        let job = job("01J".into(), "failed", Some(7), Some(stored));
        assert_eq!(
            (job.attempts, job.max_attempts, job.payload["sn"].as_str()),
            (2, 5, Some("HSO1"))
        );
        let gone = super::job("01K".into(), "done", None, None);
        assert_eq!((gone.attempts, gone.payload.is_null()), (0, true));
    }
}
