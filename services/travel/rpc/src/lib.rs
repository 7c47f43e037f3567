// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! travel-rpc: the gRPC server of the `.proto` services, and the typed clients other services use to call them.
//!
//! looklook adds a `pub mod` line here for each new route; it never removes
//! one.

pub mod client;
pub mod config;
pub mod logic;
pub mod pb;
pub mod server;
pub mod svc;

/// Serve the service on a listener that is already bound, until `shutdown`
/// resolves: what `main` does, for tests and for running it inside another
/// program.
pub async fn serve_on(
    config: config::Config,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let svc = svc::ServiceContext::new(config).await?;
    let rpc = svc.config.rpc.clone();
    looklook_runtime::rpc::serve_with_shutdown(
        &rpc,
        listener,
        server::routes(svc),
        server::SERVICES,
        pb::FILE_DESCRIPTOR_SET,
        shutdown,
    )
    .await
}
