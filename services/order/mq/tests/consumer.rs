//! order-mq against a real Kafka-protocol broker (tansu), order-rpc on
//! 127.0.0.1 and the real MariaDB and Redis of `scripts/infra up`.

use std::time::{Duration, Instant};

use looklook_runtime::config::ServiceConf;
use looklook_runtime::kafka::{self, KafkaConf, Publisher};
use looklook_runtime::rpc::RpcClientConf;
use looklook_shared::message::PayStatusUpdate;
use looklook_shared::testing::{empty_cache, fresh_database, kafka_brokers, local_listener};
use looklook_shared::{sn, time};
use looklook_testkit::order_rpc_on;
use order_model::homestay_order::{HomestayOrder, HomestayOrderModel};
use order_model::{Cache, CacheConf, SqlConf};
use order_mq::{Config, ServiceContext};

struct World {
    db: String,
    redis: String,
    orders: HomestayOrderModel,
    kafka: KafkaConf,
}

impl World {
    /// A world of its own for each test (they run at once): database
    /// `looklook_t_order_mq_<name>` and Redis database `redis_db`.
    async fn new(name: &str, redis_db: u8) -> World {
        let db = fresh_database(&format!("looklook_t_order_mq_{name}"), &["order/order.sql"]).await;
        let redis = empty_cache(redis_db);
        let conf = SqlConf::new(db.clone());
        let orders = HomestayOrderModel::new(
            conf.connect_lazy().unwrap(),
            Cache::new(&CacheConf::new(redis.clone())).unwrap(),
        );
        // A topic and a group of this run's own: nothing left from another.
        let topic = format!("paystatus-{}", sn::gen_sn("T"));
        kafka::create_topic(&kafka_brokers(), &topic, 3)
            .await
            .unwrap();
        let kafka = KafkaConf {
            brokers: kafka_brokers(),
            group: format!("{topic}-group"),
            topic,
            // A short poll interval, so that the test of a long outage is
            // short too (librdkafka wants it no shorter than the session).
            options: [
                ("session.timeout.ms", "6000"),
                ("max.poll.interval.ms", "7000"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into(),
        };
        World {
            db,
            redis,
            orders,
            kafka,
        }
    }

    /// An unpaid order, straight into the table.
    async fn unpaid_order(&self) -> String {
        let today = time::today();
        let order = HomestayOrder {
            sn: sn::gen_sn(sn::HOMESTAY_ORDER),
            user_id: 1,
            homestay_id: 1,
            live_start_date: today,
            live_end_date: today.succ_opt().unwrap(),
            order_total_price: 38800,
            ..HomestayOrder::default()
        };
        self.orders.insert(&order).await.unwrap();
        order.sn
    }

    async fn trade_state(&self, sn: &str) -> i8 {
        self.orders
            .find_one_by_sn(sn)
            .await
            .unwrap()
            .unwrap()
            .trade_state
    }

    /// Wait until order `sn` is in `state`.
    async fn until_state(&self, sn: &str, state: i8) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.trade_state(sn).await != state {
            assert!(Instant::now() < deadline, "{sn} never reached {state}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// order-rpc on `listener`. It calls no travel-rpc in this test.
    async fn serve_order_rpc(&self, listener: tokio::net::TcpListener, addr: &str) {
        order_rpc_on(
            listener,
            addr,
            self.db.clone(),
            &self.redis,
            "127.0.0.1:9",
            1800,
        )
        .await;
    }

    fn consumer(&self, order_rpc: &str) -> tokio::task::JoinHandle<()> {
        let config = Config {
            service: ServiceConf::new("order-mq"),
            kq_payment_update_pay_status_conf: self.kafka.clone(),
            order_rpc_conf: RpcClientConf::new(order_rpc),
            // Refunds are walked end to end (services/walk's e2e test).
            payment_rpc_conf: RpcClientConf::new("127.0.0.1:9"),
        };
        let svc = ServiceContext::new(config).unwrap();
        tokio::spawn(async move {
            order_mq::run(svc, std::future::pending()).await.unwrap();
        })
    }
}

fn paid(order_sn: &str) -> PayStatusUpdate {
    PayStatusUpdate {
        pay_status: 1,
        order_sn: order_sn.into(),
    }
}

#[tokio::test]
async fn payments_move_orders_at_least_once() {
    let world = World::new("once", 12).await;
    let publisher = Publisher::new(&world.kafka).unwrap();

    // order-rpc is down: the consumer gets the message, cannot finish it,
    // and dies (as a crash would) before committing it.
    let (listener, order_rpc) = local_listener().await;
    let first = world.unpaid_order().await;
    let consumer = world.consumer(&order_rpc);
    publisher.publish(&first, &paid(&first)).await.unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(world.trade_state(&first).await, 0);
    consumer.abort();
    let _ = consumer.await;

    // Back up, a new consumer in the same group: the message comes again
    // and the order ends paid.
    world.serve_order_rpc(listener, &order_rpc).await;
    let consumer = world.consumer(&order_rpc);
    world.until_state(&first, 1).await;

    // A duplicate changes nothing, a message for an order that does not
    // exist is dropped, and what comes after them is still handled.
    let second = world.unpaid_order().await;
    publisher.publish(&first, &paid(&first)).await.unwrap();
    publisher.publish("HSO0", &paid("HSO0")).await.unwrap();
    publisher.publish(&second, &paid(&second)).await.unwrap();
    world.until_state(&second, 1).await;
    assert_eq!(world.trade_state(&first).await, 1);
    consumer.abort();
}

/// The failure: order-rpc down for longer than `max.poll.interval.ms`. A
/// consumer that stopped polling while it retried was taken for dead, its
/// commit failed and order-mq exited, so the order stayed unpaid. Now it
/// keeps polling with its partitions paused: when order-rpc is back the
/// order is paid, the consumer is still running, and the next message is
/// handled too.
#[tokio::test]
async fn an_outage_longer_than_the_poll_interval_does_not_stop_the_consumer() {
    let world = World::new("outage", 6).await;
    let publisher = Publisher::new(&world.kafka).unwrap();
    let (listener, order_rpc) = local_listener().await;
    let order = world.unpaid_order().await;
    let consumer = world.consumer(&order_rpc);
    publisher.publish(&order, &paid(&order)).await.unwrap();
    // Twice the poll interval with the message failing.
    tokio::time::sleep(Duration::from_secs(14)).await;
    assert_eq!(world.trade_state(&order).await, 0);
    assert!(
        !consumer.is_finished(),
        "the consumer stopped during the outage"
    );
    world.serve_order_rpc(listener, &order_rpc).await;
    world.until_state(&order, 1).await;
    let next = world.unpaid_order().await;
    publisher.publish(&next, &paid(&next)).await.unwrap();
    world.until_state(&next, 1).await;
    assert!(!consumer.is_finished());
    consumer.abort();
}
