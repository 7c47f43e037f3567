//! GetOrder written by hand on tonic alone: the same answer as the generated
//! service, without looklook's layers (health, reflection, metrics, logs).

use shop_rpc::pb::shop::v1::order_service_server::{OrderService, OrderServiceServer};
use shop_rpc::pb::shop::v1::{CreateOrderReq, CreateOrderResp, GetOrderReq, ListOrdersReq, Order, OrderEvent, order};
use tonic::codegen::tokio_stream::Stream;
use tonic::{Request, Response, Status, Streaming};

type Out<T> = std::pin::Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

struct Orders;

#[tonic::async_trait]
impl OrderService for Orders {
    async fn create_order(&self, _: Request<CreateOrderReq>) -> Result<Response<CreateOrderResp>, Status> {
        Err(Status::unimplemented("bench"))
    }
    async fn get_order(&self, request: Request<GetOrderReq>) -> Result<Response<Order>, Status> {
        let req = request.into_inner();
        Ok(Response::new(Order { sn: req.sn, ..Order::default() }))
    }
    type ListOrdersStream = Out<Order>;
    async fn list_orders(&self, _: Request<ListOrdersReq>) -> Result<Response<Self::ListOrdersStream>, Status> {
        Err(Status::unimplemented("bench"))
    }
    async fn upload_lines(&self, _: Request<Streaming<order::Line>>) -> Result<Response<Order>, Status> {
        Err(Status::unimplemented("bench"))
    }
    type WatchStream = Out<OrderEvent>;
    async fn watch(&self, _: Request<Streaming<OrderEvent>>) -> Result<Response<Self::WatchStream>, Status> {
        Err(Status::unimplemented("bench"))
    }
}

#[tokio::main]
async fn main() {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:19101".into());
    tonic::transport::Server::builder()
        .add_service(OrderServiceServer::new(Orders))
        .serve(addr.parse().unwrap())
        .await
        .unwrap();
}
