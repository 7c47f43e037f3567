//! Kafka, the way the services use it: JSON messages, published with every
//! in-sync replica's acknowledgement, and consumed at least once — an
//! offset is committed only after the handler has finished with its
//! message, so a consumer that dies mid-way sees the message again.

use std::future::Future;
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::Message;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde::Deserialize;
use serde::Serialize;
use serde::de::DeserializeOwned;

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
}

impl KafkaConf {
    fn client(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", self.brokers.join(","));
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
        let payload = serde_json::to_vec(value)?;
        let record = FutureRecord::to(&self.topic).key(key).payload(&payload);
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
/// one message at a time: decode it, hand it to `handler` (again and
/// again, backing off, while it says [`Handled::Retry`]), and only then
/// commit it. A message that is not valid JSON for `T` is dropped.
pub async fn consume<T, F, Fut>(
    conf: &KafkaConf,
    handler: F,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()>
where
    T: DeserializeOwned + Clone,
    F: Fn(T) -> Fut,
    Fut: Future<Output = Handled>,
{
    let consumer: StreamConsumer = conf
        .client()
        .set("group.id", &conf.group)
        .set("enable.auto.commit", "false")
        // A new group starts from the oldest message: none is skipped.
        .set("auto.offset.reset", "earliest")
        .create()?;
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
            Err(e) => tracing::error!(?at, error = %e, "dropping a message that is not valid"),
            Ok(value) => {
                let mut backoff = Duration::from_millis(200);
                loop {
                    let handled = tokio::select! {
                        () = &mut shutdown => return Ok(()),
                        h = handler(value.clone()) => h,
                    };
                    match handled {
                        Handled::Done => break,
                        Handled::Drop(why) => {
                            tracing::error!(?at, why, "dropping a message");
                            break;
                        }
                        Handled::Retry(why) => {
                            tracing::warn!(?at, why, retry_in = ?backoff, "message failed");
                            tokio::select! {
                                () = &mut shutdown => return Ok(()),
                                () = tokio::time::sleep(backoff) => {}
                            }
                            backoff = (backoff * 2).min(Duration::from_secs(10));
                        }
                    }
                }
            }
        }
        consumer.commit_message(&message, CommitMode::Sync)?;
    }
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
