//! Creating Kafka topics over the Kafka protocol itself, from the host:
//! the same for every broker (Apache Kafka in a container, tansu natively)
//! and for every engine, with no client tools needed inside the image.
//! kafka-protocol encodes the messages; this file only frames them on a TCP
//! connection.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use bytes::BytesMut;
use kafka_protocol::ResponseError;
use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::{
    ApiVersionsRequest, CreateTopicsRequest, RequestHeader, ResponseHeader, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};

use crate::Topic;

/// The CreateTopics versions this client speaks: 2 to 4 are the plain
/// (not "flexible") encodings every broker since Kafka 1.0 accepts.
const CREATE_TOPICS: std::ops::RangeInclusive<i16> = 2..=4;

/// How long a broker that has just opened its port may take to accept
/// topics (a KRaft broker registers with its controller after it listens).
const PATIENCE: Duration = Duration::from_secs(30);

/// Create `topics` (each with its partitions, one replica: a development
/// broker) on the broker at `address` (`127.0.0.1:9092`). Topics that exist already
/// are left as they are; the answer names the topics that were created.
/// Errors the broker calls retriable are retried for a while.
pub fn create_topics(address: &str, topics: &[Topic]) -> Result<Vec<String>, String> {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        match try_create_topics(address, topics) {
            Err(Failure {
                retriable: true, ..
            }) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(250));
            }
            other => return other.map_err(|f| f.message),
        }
    }
}

/// Why an attempt failed, and whether another may work.
struct Failure {
    message: String,
    retriable: bool,
}

impl From<String> for Failure {
    /// Connection and protocol trouble: worth another try while the
    /// broker starts.
    fn from(message: String) -> Failure {
        Failure {
            message,
            retriable: true,
        }
    }
}

fn try_create_topics(address: &str, topics: &[Topic]) -> Result<Vec<String>, Failure> {
    let mut conn = Connection::open(address)?;
    // Ask which CreateTopics versions the broker speaks before using one.
    let versions = conn.call(ApiVersionsRequest::default(), 0)?;
    if versions.error_code != 0 {
        return Err(format!(
            "the broker refused ApiVersions: {}",
            error_name(versions.error_code)
        )
        .into());
    }
    let supported = versions
        .api_keys
        .iter()
        .find(|k| k.api_key == CreateTopicsRequest::KEY)
        .ok_or_else(|| Failure {
            message: "the broker does not support creating topics".into(),
            retriable: false,
        })?;
    let version = (*CREATE_TOPICS.end()).min(supported.max_version);
    if version < supported.min_version || !CREATE_TOPICS.contains(&version) {
        return Err(Failure {
            message: format!(
                "the broker speaks CreateTopics {}..={}, looklook speaks {}..={}",
                supported.min_version,
                supported.max_version,
                CREATE_TOPICS.start(),
                CREATE_TOPICS.end()
            ),
            retriable: false,
        });
    }
    let request = CreateTopicsRequest::default()
        .with_timeout_ms(10_000)
        .with_topics(
            topics
                .iter()
                .map(|t| {
                    CreatableTopic::default()
                        .with_name(TopicName(StrBytes::from_string(t.name().into())))
                        .with_num_partitions(t.partitions())
                        .with_replication_factor(1)
                })
                .collect(),
        );
    let response = conn.call(request, version)?;
    let already = ResponseError::TopicAlreadyExists.code();
    let failed: Vec<_> = response
        .topics
        .iter()
        .filter(|t| t.error_code != 0 && t.error_code != already)
        .collect();
    if failed.is_empty() {
        return Ok(response
            .topics
            .iter()
            .filter(|t| t.error_code == 0)
            .map(|t| t.name.0.to_string())
            .collect());
    }
    let retriable = failed
        .iter()
        .all(|t| ResponseError::try_from_code(t.error_code).is_some_and(|e| e.is_retriable()));
    let message = failed
        .iter()
        .map(|t| {
            let detail = t.error_message.as_ref().map_or("", |m| m.as_str());
            format!(
                "{}: {} {detail}",
                t.name.0.as_str(),
                error_name(t.error_code)
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    Err(Failure { message, retriable })
}

fn error_name(code: i16) -> String {
    ResponseError::try_from_code(code).map_or_else(|| "no error".into(), |e| e.to_string())
}

/// One connection to a broker; requests go one at a time.
struct Connection {
    stream: TcpStream,
    address: String,
    correlation: i32,
}

impl Connection {
    fn open(address: &str) -> Result<Connection, Failure> {
        let fail = |e: std::io::Error| format!("cannot reach the broker at {address}: {e}");
        // A bad address stays bad: not worth another try.
        let addr = address.parse().map_err(|_| Failure {
            message: format!("`{address}` is not an address"),
            retriable: false,
        })?;
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(fail)?;
        stream
            .set_read_timeout(Some(Duration::from_secs(15)))
            .map_err(fail)?;
        Ok(Connection {
            stream,
            address: address.to_string(),
            correlation: 0,
        })
    }

    /// Send one request and read its response. A frame is a big-endian
    /// length, then the header, then the body.
    fn call<R: Request>(&mut self, request: R, version: i16) -> Result<R::Response, String> {
        self.correlation += 1;
        let header = RequestHeader::default()
            .with_request_api_key(R::KEY)
            .with_request_api_version(version)
            .with_correlation_id(self.correlation)
            .with_client_id(Some(StrBytes::from_static_str("looklook")));
        let mut body = BytesMut::new();
        header
            .encode(&mut body, R::header_version(version))
            .and_then(|()| request.encode(&mut body, version))
            .map_err(|e| format!("cannot encode the request: {e}"))?;
        let io = |e: std::io::Error| format!("talking to the broker at {}: {e}", self.address);
        let mut frame = (body.len() as u32).to_be_bytes().to_vec();
        frame.extend_from_slice(&body);
        self.stream.write_all(&frame).map_err(io)?;
        let mut size = [0u8; 4];
        self.stream.read_exact(&mut size).map_err(io)?;
        let mut reply = vec![0u8; u32::from_be_bytes(size) as usize];
        self.stream.read_exact(&mut reply).map_err(io)?;
        let mut reply = bytes::Bytes::from(reply);
        let decode = |e: anyhow::Error| format!("the broker's answer does not decode: {e}");
        let head = ResponseHeader::decode(&mut reply, R::Response::header_version(version))
            .map_err(decode)?;
        if head.correlation_id != self.correlation {
            return Err("the broker answered another request".into());
        }
        let response = R::Response::decode(&mut reply, version).map_err(decode)?;
        Ok(response)
    }
}
