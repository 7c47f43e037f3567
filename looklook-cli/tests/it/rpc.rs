//! The gRPC generator's first part: the message and service code that prost
//! and tonic generate from a `.proto`, with no build script and no protoc.

use std::fs;
use std::process::Command;

use looklook::codegen::rpc::pb_plan;
use looklook::proto;

use crate::support::{examples, workspace};

/// The pb code of the shop sample, formatted as the generator formats it.
pub fn shop_pb() -> looklook::codegen::FilePlan {
    let p = proto::compile(&examples().join("sample/proto/shop.proto"), &[]).unwrap();
    let mut plan = pb_plan(&p).unwrap();
    looklook::rustfmt::format_plan(&mut plan, looklook::rustfmt::needs_rustfmt).unwrap();
    plan
}

#[test]
fn pb_code_of_the_sample() {
    for file in &shop_pb().files {
        syn::parse_file(&file.contents)
            .unwrap_or_else(|e| panic!("{} does not parse: {e}", file.path.display()));
        let name = file.path.display().to_string().replace('/', "__");
        insta::assert_snapshot!(format!("shop__{name}"), file.contents);
    }
}

/// The generated code compiles against tonic, prost and prost-types as they
/// are, without warnings; the server and client of both services are there.
#[test]
fn pb_code_builds_with_tonic() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for file in &shop_pb().files {
        let p = dir.join(&file.path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, &file.contents).unwrap();
    }
    fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"pb-check\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\nprost = \"0.14\"\nprost-types = \"0.14\"\ntonic = \"0.14\"\ntonic-prost = \"0.14\"\n",
    )
    .unwrap();
    fs::write(
        dir.join("src/lib.rs"),
        "#![deny(warnings)]\n\npub mod pb;\n\npub use pb::shop::v1::health_probe_client::HealthProbeClient;\npub use pb::shop::v1::order_service_client::OrderServiceClient;\npub use pb::shop::v1::order_service_server::{OrderService, OrderServiceServer};\n",
    )
    .unwrap();
    fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let out = Command::new(env!("CARGO"))
        .args(["build", "--quiet"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", workspace().join("target/it-crates"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the pb code does not build:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
