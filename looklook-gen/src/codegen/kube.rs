//! Kubernetes manifests for every process of the project manifest: a
//! kustomize base and `dev` and `prod` overlays.
//!
//! What a process gets follows from what it is, read off its package name:
//! `*-api` answers HTTP (a Service, an HTTP `/healthz` probe), `*-rpc`
//! answers gRPC (a headless Service, so clients see every pod and balance
//! over them; the native gRPC probe), anything else is a worker (no
//! Service; probed on its metrics port). The manifest's `[kube] singletons`
//! run one replica, replaced (never rolled), so a scheduler's cron fires
//! once. Secrets are referenced from the `looklook-secrets` Secret, never
//! written here: prod expects it to exist; the dev overlay makes an empty
//! one and runs in dev mode, where the services' development defaults do.

use std::fmt::Write;

use looklook_manifest::{KubeDef, Manifest, ProcessDef};

use super::{FilePlan, GENERATED_HEADER_HASH, Owner};

/// Where a process's config file is mounted; its working directory.
const APP_DIR: &str = "/app";

/// Seconds Kubernetes waits after SIGTERM: above the runtime's shutdown
/// deadline (5.5 s by default), so calls in flight finish first.
const GRACE_SECONDS: u32 = 10;

/// What kind of process, from its package name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Http,
    Grpc,
    Worker,
}

fn kind(p: &ProcessDef) -> Kind {
    let package = p.package.get_ref();
    if package.ends_with("-api") && p.port.is_some() {
        Kind::Http
    } else if package.ends_with("-rpc") && p.port.is_some() {
        Kind::Grpc
    } else {
        Kind::Worker
    }
}

/// One process to deploy, with its config file (`etc/<name>.yaml`).
pub struct Deployable<'a> {
    pub process: &'a ProcessDef,
    /// The file's name and contents.
    pub config: Option<(String, String)>,
}

/// Every file under `[kube] dir`.
pub fn plan(
    manifest: &Manifest,
    def: &KubeDef,
    processes: &[Deployable],
    gateway_conf: Option<&str>,
) -> FilePlan {
    let mut plan = FilePlan::default();
    let dir = def.dir.trim_end_matches('/');
    let mut resources = vec!["env.yaml".to_string()];
    plan.add(
        format!("{dir}/base/env.yaml"),
        Owner::Generated,
        env_config_map(manifest, def),
    );
    for d in processes {
        let name = d.process.name.get_ref();
        let file = format!("{name}.yaml");
        plan.add(
            format!("{dir}/base/{file}"),
            Owner::Generated,
            process_file(def, d),
        );
        resources.push(file);
    }
    if let Some(conf) = gateway_conf {
        plan.add(
            format!("{dir}/base/gateway.yaml"),
            Owner::Generated,
            gateway_file(def, conf),
        );
        resources.push("gateway.yaml".into());
    }
    plan.add(
        format!("{dir}/base/kustomization.yaml"),
        Owner::Generated,
        base_kustomization(def, &resources),
    );
    plan.add(
        format!("{dir}/overlays/dev/kustomization.yaml"),
        Owner::Generated,
        dev_overlay(),
    );
    plan.add(
        format!("{dir}/overlays/prod/kustomization.yaml"),
        Owner::Generated,
        prod_overlay(def, processes),
    );
    plan.finish()
}

fn header(what: &str) -> String {
    format!("{GENERATED_HEADER_HASH}\n# {what}\n")
}

/// Every process's address, as `<NAME>_ADDR` (the Service's DNS name),
/// JSON logs, and the manifest's `[kube.env]` (which wins): what the
/// etc/*.yaml files read.
fn env_config_map(manifest: &Manifest, def: &KubeDef) -> String {
    let mut out = header(
        "What every process reads besides its secrets: where the others are\n# (`<NAME>_ADDR`, each Service's name), JSON log lines for the cluster's\n# log collector (`LOOKLOOK_LOG__ENCODING`; the yaml's plain is for a\n# terminal) and [kube.env] of looklook.toml, which wins.",
    );
    out.push_str("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: looklook-env\ndata:\n");
    let mut data: Vec<(String, String)> = manifest
        .processes
        .iter()
        .filter(|p| !def.exclude.contains(p.name.get_ref()))
        .filter_map(|p| {
            let port = p.port?;
            Some((
                looklook_manifest::addr_var(p.name.get_ref()),
                format!("{}:{port}", p.name.get_ref()),
            ))
        })
        .collect();
    data.push(("LOOKLOOK_LOG__ENCODING".into(), "json".into()));
    data.retain(|(k, _)| !def.env.contains_key(k));
    data.extend(def.env.iter().map(|(k, v)| (k.clone(), v.clone())));
    data.sort();
    for (k, v) in data {
        let _ = writeln!(out, "  {k}: {}", quote(&v));
    }
    out
}

/// A YAML double-quoted string.
fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

fn labels(name: &str, indent: &str) -> String {
    format!("{indent}app.kubernetes.io/name: {name}\n{indent}app.kubernetes.io/part-of: looklook\n")
}

fn process_file(def: &KubeDef, d: &Deployable) -> String {
    let p = d.process;
    let name = p.name.get_ref();
    let kind = kind(p);
    let singleton = def.singletons.contains(name);
    let mut out = header(&format!(
        "{name}: {}.",
        match kind {
            Kind::Http => "an HTTP API service",
            Kind::Grpc =>
                "a gRPC service, behind a headless Service so clients balance over its pods",
            Kind::Worker if singleton =>
                "a worker that must run once: one replica, replaced, never rolled",
            Kind::Worker => "a worker: no Service, nothing calls it",
        }
    ));
    if let Some((file, text)) = &d.config {
        let _ = writeln!(
            out,
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}-etc\n  labels:\n{}data:\n  {file}: |",
            labels(name, "    ")
        );
        for line in text.lines() {
            if line.is_empty() {
                out.push('\n');
            } else {
                let _ = writeln!(out, "    {line}");
            }
        }
        out.push_str("---\n");
    }
    out.push_str(&deployment(def, d, kind, singleton));
    if kind != Kind::Worker {
        out.push_str("---\n");
        out.push_str(&service(p, kind));
    }
    if !singleton {
        out.push_str("---\n");
        let max = def
            .max_replicas_of
            .get(name)
            .copied()
            .unwrap_or(def.max_replicas);
        out.push_str(&autoscaler(name, max, def.cpu_target));
        out.push_str("---\n");
        out.push_str(&disruption_budget(name));
    }
    out
}

fn deployment(def: &KubeDef, d: &Deployable, kind: Kind, singleton: bool) -> String {
    let p = d.process;
    let name = p.name.get_ref();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  labels:\n{}spec:",
        labels(name, "    ")
    );
    if singleton {
        out.push_str("  replicas: 1\n  # Never two at once, not even during a rollout.\n  strategy:\n    type: Recreate\n");
    } else {
        out.push_str("  replicas: 2\n");
    }
    let _ = writeln!(
        out,
        "  selector:\n    matchLabels:\n      app.kubernetes.io/name: {name}\n  template:\n    metadata:\n      labels:\n{}",
        labels(name, "        ").trim_end()
    );
    if let Some(port) = p.metrics_port {
        let _ = writeln!(
            out,
            "      annotations:\n        prometheus.io/scrape: \"true\"\n        prometheus.io/port: \"{port}\"\n        prometheus.io/path: /metrics"
        );
    }
    let _ = writeln!(
        out,
        "    spec:\n      terminationGracePeriodSeconds: {GRACE_SECONDS}\n      automountServiceAccountToken: false\n      securityContext:\n        runAsNonRoot: true\n        runAsUser: 65532\n        runAsGroup: 65532\n        seccompProfile:\n          type: RuntimeDefault\n      containers:\n        - name: {name}\n          image: {}:latest\n          workingDir: {APP_DIR}",
        looklook_manifest::image_repository(&def.registry, name)
    );
    let mut ports = Vec::new();
    if let Some(port) = p.port {
        ports.push(("serve", port));
    }
    if let Some(port) = p.metrics_port {
        ports.push(("metrics", port));
    }
    if !ports.is_empty() {
        out.push_str("          ports:\n");
        for (what, port) in &ports {
            let _ = writeln!(
                out,
                "            - name: {what}\n              containerPort: {port}"
            );
        }
    }
    out.push_str("          env:\n");
    let mut env: Vec<(String, String)> = Vec::new();
    if let Some(port) = p.port {
        env.push(("PORT".into(), port.to_string()));
    }
    if let Some(port) = p.metrics_port {
        env.push(("METRICS_PORT".into(), port.to_string()));
    }
    if kind == Kind::Grpc {
        // The config listens on 127.0.0.1 for a laptop; in a pod the
        // Service must reach it.
        env.push((
            "LOOKLOOK_LISTEN_ON".into(),
            format!("0.0.0.0:{}", p.port.unwrap_or_default()),
        ));
    }
    env.extend(p.env.iter().map(|(k, v)| (k.clone(), v.clone())));
    for (k, v) in &env {
        let _ = writeln!(
            out,
            "            - name: {k}\n              value: {}",
            quote(v)
        );
    }
    out.push_str(
        "          envFrom:\n            - configMapRef:\n                name: looklook-env\n            - secretRef:\n                name: looklook-secrets\n",
    );
    let probe = match kind {
        Kind::Http => Some(format!(
            "httpGet:\n              path: /healthz\n              port: {}",
            p.port.unwrap_or_default()
        )),
        Kind::Grpc => Some(format!(
            "grpc:\n              port: {}",
            p.port.unwrap_or_default()
        )),
        Kind::Worker => p.metrics_port.map(|port| {
            format!("httpGet:\n              path: /metrics\n              port: {port}")
        }),
    };
    if let Some(probe) = probe {
        let _ = writeln!(
            out,
            "          readinessProbe:\n            {probe}\n            periodSeconds: 5\n          livenessProbe:\n            {probe}\n            initialDelaySeconds: 10\n            periodSeconds: 10"
        );
    }
    out.push_str(
        "          resources:\n            requests:\n              cpu: 100m\n              memory: 64Mi\n            limits:\n              memory: 256Mi\n          securityContext:\n            allowPrivilegeEscalation: false\n            readOnlyRootFilesystem: true\n            capabilities:\n              drop: [\"ALL\"]\n          volumeMounts:\n            - name: tmp\n              mountPath: /tmp\n",
    );
    if let Some((file, _)) = &d.config {
        let _ = writeln!(
            out,
            "            - name: etc\n              mountPath: {APP_DIR}/etc/{file}\n              subPath: {file}\n              readOnly: true"
        );
    }
    out.push_str("      volumes:\n        - name: tmp\n          emptyDir: {}\n");
    if d.config.is_some() {
        let _ = writeln!(
            out,
            "        - name: etc\n          configMap:\n            name: {name}-etc"
        );
    }
    out
}

fn service(p: &ProcessDef, kind: Kind) -> String {
    let name = p.name.get_ref();
    let port = p.port.unwrap_or_default();
    let headless = if kind == Kind::Grpc {
        "  # Headless: the name resolves to every ready pod, and the client\n  # balances over them (a ClusterIP would pin each connection to one).\n  clusterIP: None\n"
    } else {
        ""
    };
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  labels:\n{}spec:\n{headless}  selector:\n    app.kubernetes.io/name: {name}\n  ports:\n    - name: serve\n      port: {port}\n      targetPort: serve\n",
        labels(name, "    ")
    )
}

fn autoscaler(name: &str, max: u32, cpu_target: u32) -> String {
    format!(
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: {name}\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: {name}\n  minReplicas: 2\n  maxReplicas: {}\n  metrics:\n    - type: Resource\n      resource:\n        name: cpu\n        target:\n          type: Utilization\n          averageUtilization: {}\n",
        max.max(2),
        cpu_target
    )
}

fn disruption_budget(name: &str) -> String {
    format!(
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: {name}\nspec:\n  minAvailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: {name}\n"
    )
}

fn gateway_file(def: &KubeDef, conf: &str) -> String {
    let mut out =
        header("The gateway: nginx with the config of looklook.toml's [gateway], and its Ingress.");
    let _ = writeln!(
        out,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gateway-conf\n  labels:\n{}data:\n  default.conf: |",
        labels("gateway", "    ")
    );
    for line in conf.lines() {
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "    {line}");
        }
    }
    let port = super::gateway::CONTAINER_PORT;
    let _ = write!(
        out,
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: gateway\n  labels:\n{labels}spec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: gateway\n  template:\n    metadata:\n      labels:\n{pod_labels}    spec:\n      terminationGracePeriodSeconds: {GRACE_SECONDS}\n      automountServiceAccountToken: false\n      securityContext:\n        runAsNonRoot: true\n        runAsUser: 101\n        runAsGroup: 101\n        seccompProfile:\n          type: RuntimeDefault\n      containers:\n        - name: nginx\n          # Listens on {port} as any user: no root, no capability.\n          image: {image}\n          ports:\n            - name: http\n              containerPort: {port}\n          readinessProbe:\n            httpGet:\n              path: /healthz\n              port: http\n            periodSeconds: 5\n          livenessProbe:\n            httpGet:\n              path: /healthz\n              port: http\n            periodSeconds: 10\n          resources:\n            requests:\n              cpu: 100m\n              memory: 32Mi\n            limits:\n              memory: 128Mi\n          securityContext:\n            allowPrivilegeEscalation: false\n            readOnlyRootFilesystem: true\n            capabilities:\n              drop: [\"ALL\"]\n          volumeMounts:\n            - name: conf\n              mountPath: /etc/nginx/conf.d\n              readOnly: true\n            - name: tmp\n              mountPath: /tmp\n      volumes:\n        - name: conf\n          configMap:\n            name: gateway-conf\n        - name: tmp\n          emptyDir: {{}}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: gateway\n  labels:\n{labels}spec:\n  selector:\n    app.kubernetes.io/name: gateway\n  ports:\n    - name: http\n      port: 80\n      targetPort: http\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: gateway\n  labels:\n{labels}spec:\n  rules:\n    - host: {host}\n      http:\n        paths:\n          - path: /\n            pathType: Prefix\n            backend:\n              service:\n                name: gateway\n                port:\n                  name: http\n",
        labels = labels("gateway", "    "),
        pod_labels = labels("gateway", "        "),
        image = def.gateway_image,
        host = def.host,
    );
    out
}

fn base_kustomization(def: &KubeDef, resources: &[String]) -> String {
    let mut out =
        header("The base every overlay builds on: one file per process, and the gateway.");
    out.push_str("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n");
    let _ = writeln!(out, "namespace: {}", def.namespace);
    out.push_str("resources:\n");
    for r in resources {
        let _ = writeln!(out, "  - {r}");
    }
    out
}

fn dev_overlay() -> String {
    let mut out = header(
        "dev: one pod each, dev mode (the services' development defaults stand\n# in for every secret left out of the empty Secret below).",
    );
    out.push_str(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../base\n\
         generatorOptions:\n  disableNameSuffixHash: true\n\
         secretGenerator:\n  - name: looklook-secrets\n    literals: []\n\
         configMapGenerator:\n  - name: looklook-env\n    behavior: merge\n    literals:\n      - LOOKLOOK_MODE=dev\n\
         patches:\n  - target:\n      kind: Deployment\n    patch: |-\n      - op: replace\n        path: /spec/replicas\n        value: 1\n\
         \x20 - target:\n      kind: HorizontalPodAutoscaler\n    patch: |-\n      - op: replace\n        path: /spec/minReplicas\n        value: 1\n",
    );
    out
}

fn prod_overlay(def: &KubeDef, processes: &[Deployable]) -> String {
    let mut out = header(
        "prod: images at a release tag, and the Secret `looklook-secrets` made\n# outside the repository (kubectl create secret, or an operator).",
    );
    out.push_str(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../base\nimages:\n",
    );
    for d in processes {
        let _ = writeln!(
            out,
            "  - name: {}\n    newTag: \"{}\"",
            looklook_manifest::image_repository(&def.registry, d.process.name.get_ref()),
            def.tag
        );
    }
    out
}
