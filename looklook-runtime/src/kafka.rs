//! Kafka, the way the services use it: JSON messages, published with every
//! in-sync replica's acknowledgement, and consumed at least once — an
//! offset is committed only after the handler has finished with its
//! message, so a consumer that dies mid-way sees the message again.
//!
//! A message carries the request id and W3C `traceparent` of the work that
//! published it in its headers, and its consumer's handler gets them back
//! in a [`RequestCtx`], under a span of its own: one trace and one request
//! id from the HTTP request that paid to the consumer that acts on it.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::Message;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::message::{BorrowedMessage, Header, Headers, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use serde::Deserialize;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ctx::{Carried, RequestCtx};
use crate::trace::CallSpan;

const TRACEPARENT: &str = "traceparent";
const REQUEST_ID: &str = "x-request-id";

/// Where the brokers are, and the topic (and, for a consumer, the group).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KafkaConf {
    /// `host:port` of each bootstrap broker.
    pub brokers: Vec<String>,
    pub topic: String,
    /// The consumer group; consumers only.
    #[serde(default)]
    pub group: String,
    /// More librdkafka settings, by their own names (`session.timeout.ms`,
    /// `security.protocol`, ...).
    #[serde(default)]
    pub options: BTreeMap<String, String>,
}

impl KafkaConf {
    fn client(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", self.brokers.join(","));
        for (key, value) in &self.options {
            config.set(key, value);
        }
        config
    }
}

/// Publishes JSON messages to one topic; cheap to clone.
#[derive(Clone)]
pub struct Publisher {
    producer: FutureProducer,
    topic: String,
}

impl Publisher {
    /// Connects lazily: a service starts while the brokers come up.
    pub fn new(conf: &KafkaConf) -> anyhow::Result<Self> {
        let producer = conf
            .client()
            .set("acks", "all")
            // Give up on a message after 10 s, and say so to the caller.
            .set("message.timeout.ms", "10000")
            .create()?;
        Ok(Publisher {
            producer,
            topic: conf.topic.clone(),
        })
    }

    /// Publish `value` as JSON under `key` (messages with one key stay in
    /// order) and wait for the brokers to have it.
    pub async fn publish<T: Serialize>(&self, key: &str, value: &T) -> anyhow::Result<()> {
        self.publish_in(&RequestCtx::default(), key, value).await
    }

    /// [`publish`](Self::publish) as part of the work `ctx` describes: the
    /// message carries its request id and trace context, and its consumer
    /// continues both.
    pub async fn publish_in<T: Serialize>(
        &self,
        ctx: &RequestCtx,
        key: &str,
        value: &T,
    ) -> anyhow::Result<()> {
        let payload = serde_json::to_vec(value)?;
        let mut headers = OwnedHeaders::new();
        for (name, value) in [
            (REQUEST_ID, Some(ctx.request_id())),
            (TRACEPARENT, ctx.traceparent()),
        ] {
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                headers = headers.insert(Header {
                    key: name,
                    value: Some(value),
                });
            }
        }
        let record = FutureRecord::to(&self.topic)
            .key(key)
            .payload(&payload)
            .headers(headers);
        self.producer
            .send(record, Duration::from_secs(10))
            .await
            .map_err(|(e, _)| anyhow::anyhow!("publishing to {}: {e}", self.topic))?;
        Ok(())
    }
}

/// What a handler made of a message.
#[derive(Debug)]
pub enum Handled {
    /// Done: commit it.
    Done,
    /// Cannot succeed however often it is tried (a message that makes no
    /// sense here): log it, commit it, go on.
    Drop(String),
    /// Failed for now (a service or the database is down): try it again.
    Retry(String),
}

/// Consume `conf.topic` in group `conf.group` until `shutdown` resolves,
/// one message at a time: decode it, hand it to `handler` with the
/// message's [`RequestCtx`] (again and again, backing off, while it says
/// [`Handled::Retry`]), and only then commit it. A message that is not
/// valid JSON for `T` is dropped.
///
/// While a message waits for its next try, the consumer's partitions are
/// paused and it goes on polling: a broker takes a consumer that stops
/// polling for `max.poll.interval.ms` for dead and hands its partitions to
/// another, so an outage longer than that would otherwise end in a
/// rebalance. A commit that fails all the same (the partition moved on in
/// a rebalance) is logged and consumption goes on: the message comes again
/// to its new owner, and handlers are idempotent.
pub async fn consume<T, F, Fut>(
    conf: &KafkaConf,
    handler: F,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()>
where
    T: DeserializeOwned + Clone,
    F: Fn(RequestCtx, T) -> Fut,
    Fut: Future<Output = Handled>,
{
    let consumer: StreamConsumer<LagContext> = conf
        .client()
        .set("group.id", &conf.group)
        .set("enable.auto.commit", "false")
        // A new group starts from the oldest message: none is skipped.
        .set("auto.offset.reset", "earliest")
        // The lag, from the client's statistics (`LagContext`).
        .set("statistics.interval.ms", "5000")
        .create_with_context(LagContext)?;
    consumer.subscribe(&[&conf.topic])?;
    tracing::info!(topic = conf.topic, group = conf.group, "consuming");
    tokio::pin!(shutdown);
    loop {
        let message = tokio::select! {
            () = &mut shutdown => return Ok(()),
            m = consumer.recv() => m,
        };
        let message = match message {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "receiving from kafka");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        let at = (message.partition(), message.offset());
        match serde_json::from_slice::<T>(message.payload().unwrap_or_default()) {
            Err(e) => {
                tracing::error!(?at, error = %e, "dropping a message that is not valid");
                count(&conf.topic, "dropped");
            }
            Ok(value) => {
                let (ctx, traced) = message_ctx(&message);
                let log = ctx.log_span("kafka");
                let mut backoff = Duration::from_millis(200);
                loop {
                    let handled = tokio::select! {
                        () = &mut shutdown => return Ok(()),
                        h = tracing::Instrument::instrument(handler(ctx.clone(), value.clone()), log.clone()) => h,
                    };
                    match handled {
                        Handled::Done => {
                            traced.end(Vec::new(), false);
                            count(&conf.topic, "done");
                            break;
                        }
                        Handled::Drop(why) => {
                            tracing::error!(?at, why, "dropping a message");
                            traced.end(Vec::new(), true);
                            count(&conf.topic, "dropped");
                            break;
                        }
                        Handled::Retry(why) => {
                            tracing::warn!(?at, why, retry_in = ?backoff, "message failed");
                            count(&conf.topic, "retried");
                            if pause(&consumer, backoff, &mut shutdown).await {
                                return Ok(());
                            }
                            backoff = (backoff * 2).min(Duration::from_secs(10));
                        }
                    }
                }
            }
        }
        if let Err(e) = consumer.commit_message(&message, CommitMode::Sync) {
            tracing::warn!(?at, error = %e, "commit failed; the message may come again");
        }
    }
}

/// `kafka_consumed_total{topic, outcome}`: done, retried (each failed
/// try) or dropped.
fn count(topic: &str, outcome: &'static str) {
    metrics::counter!("kafka_consumed_total", "topic" => topic.to_string(), "outcome" => outcome)
        .increment(1);
}

/// Reports `kafka_consumer_lag{topic, partition}` from librdkafka's own
/// statistics (every 5 s), for the partitions this consumer is assigned:
/// the messages between where it is and the partition's end. A consumer
/// stuck on one message keeps polling, so its lag goes on being reported,
/// and grows while producers go on.
struct LagContext;

impl rdkafka::ClientContext for LagContext {
    fn stats(&self, statistics: rdkafka::Statistics) {
        for (topic, t) in &statistics.topics {
            for (partition, p) in &t.partitions {
                if let Some(behind) = behind(p) {
                    metrics::gauge!(
                        "kafka_consumer_lag",
                        "topic" => topic.clone(),
                        "partition" => partition.to_string()
                    )
                    .set(behind as f64);
                }
            }
        }
    }
}

/// A partition's lag, when it is this consumer's and can be told.
/// librdkafka's own `consumer_lag` counts from the committed offset, which
/// it may not know (some brokers, tansu among them, leave it unread); the
/// position the application reached is the next best, and before the
/// first message, the partition's start.
fn behind(p: &rdkafka::statistics::Partition) -> Option<i64> {
    // Partition -1 is librdkafka's bookkeeping; an unassigned partition
    // is another consumer's to report.
    if p.partition < 0 || !p.desired || p.hi_offset < 0 {
        return None;
    }
    if p.consumer_lag >= 0 {
        return Some(p.consumer_lag);
    }
    let position = p.app_offset.max(p.committed_offset);
    let from = if position >= 0 { position } else { p.lo_offset };
    (from >= 0).then(|| (p.hi_offset - from).max(0))
}

impl rdkafka::consumer::ConsumerContext for LagContext {}

/// The context of a message's work: the publisher's request id (a new
/// one when it sent none) and a consumer span continuing its trace.
fn message_ctx(message: &BorrowedMessage<'_>) -> (RequestCtx, CallSpan) {
    let header = |name: &str| {
        message.headers().and_then(|headers| {
            headers
                .iter()
                .find(|h| h.key == name)
                .and_then(|h| h.value)
                .and_then(|v| std::str::from_utf8(v).ok())
                .map(str::to_string)
        })
    };
    let carried = Carried {
        request_id: header(REQUEST_ID).unwrap_or_default(),
        traceparent: header(TRACEPARENT),
    };
    carried.resume(&format!("{} consume", message.topic()))
}

/// Wait `delay` with every assigned partition paused, polling all the
/// while; true when `shutdown` came first.
async fn pause(
    consumer: &StreamConsumer<LagContext>,
    delay: Duration,
    shutdown: &mut (impl Future<Output = ()> + Unpin),
) -> bool {
    let paused = consumer.assignment().unwrap_or_default();
    if let Err(e) = consumer.pause(&paused) {
        tracing::warn!(error = %e, "cannot pause the partitions");
    }
    let wait = tokio::time::sleep(delay);
    tokio::pin!(wait);
    let stopped = loop {
        tokio::select! {
            () = &mut *shutdown => break true,
            () = &mut wait => break false,
            // Paused partitions send nothing; a message can only come from
            // a partition assigned meanwhile. It is read again later.
            m = consumer.recv() => if let Ok(m) = m { rewind(consumer, &m) },
        }
    };
    if let Err(e) = consumer.resume(&consumer.assignment().unwrap_or_default()) {
        tracing::warn!(error = %e, "cannot resume the partitions");
    }
    stopped
}

/// Put `message`'s partition back to it and pause that partition too.
fn rewind(consumer: &StreamConsumer<LagContext>, message: &BorrowedMessage<'_>) {
    let (topic, partition) = (message.topic(), message.partition());
    let offset = Offset::Offset(message.offset());
    if let Err(e) = consumer.seek(topic, partition, offset, Duration::from_secs(1)) {
        tracing::warn!(partition, error = %e, "cannot rewind a partition");
    }
    let mut one = TopicPartitionList::new();
    one.add_partition(topic, partition);
    let _ = consumer.pause(&one);
}

/// Create `topic` with `partitions` partitions unless it exists. For tests
/// and tools: in a project the stack file owns the topics (`looklook up`
/// creates them), and a service never creates the topic it uses.
pub async fn create_topic(brokers: &[String], topic: &str, partitions: i32) -> anyhow::Result<()> {
    let admin: AdminClient<_> = ClientConfig::new()
        .set("bootstrap.servers", brokers.join(","))
        .create()?;
    let results = admin
        .create_topics(
            &[NewTopic::new(topic, partitions, TopicReplication::Fixed(1))],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
        )
        .await?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => anyhow::bail!("creating topic {name}: {code}"),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::statistics::Partition;

    fn partition(desired: bool, hi: i64, app: i64, committed: i64, lag: i64) -> Partition {
        Partition {
            partition: 0,
            desired,
            lo_offset: 0,
            hi_offset: hi,
            app_offset: app,
            committed_offset: committed,
            consumer_lag: lag,
            ..Partition::default()
        }
    }

    #[test]
    fn the_lag_is_counted_from_where_the_consumer_is() {
        // librdkafka knows it: taken as it is.
        assert_eq!(behind(&partition(true, 10, 7, 7, 3)), Some(3));
        // The committed offset unknown: from the application's.
        let unknown = rdkafka::Offset::Invalid.to_raw().unwrap();
        assert_eq!(behind(&partition(true, 10, 4, unknown, -1)), Some(6));
        // Nothing consumed yet: everything from the start waits.
        assert_eq!(behind(&partition(true, 5, unknown, unknown, -1)), Some(5));
        // Another consumer's partition, or librdkafka's own (-1): none.
        assert_eq!(behind(&partition(false, 10, 4, 4, 6)), None);
        let internal = Partition {
            partition: -1,
            ..partition(true, 10, 4, 4, 6)
        };
        assert_eq!(behind(&internal), None);
    }
}
