//! Prometheus's scrape targets from the project manifest: one file-based
//! service discovery entry per process with a `metrics_port`, so a port is
//! written once (in `looklook.toml`) and Prometheus reads the copy.

use looklook_manifest::Manifest;

use super::{FilePlan, GENERATED_HEADER_HASH, Owner};

/// The targets file the manifest's `[metrics]` table names (YAML, so it
/// carries the ownership header), or `None` without that table. Its path
/// is relative to the manifest.
pub fn targets(manifest: &Manifest) -> Option<FilePlan> {
    let metrics = manifest.metrics.as_ref()?;
    let mut text = format!(
        "{GENERATED_HEADER_HASH}\n# Prometheus file-based service discovery: one target per process\n\
         # with a metrics_port in looklook.toml.\n"
    );
    for p in &manifest.processes {
        if let Some(port) = p.metrics_port {
            text.push_str(&format!(
                "- targets: [\"{}:{port}\"]\n  labels: {{ service: {} }}\n",
                metrics.host,
                p.name.get_ref()
            ));
        }
    }
    let mut plan = FilePlan::default();
    plan.add(&metrics.targets, Owner::Generated, text);
    Some(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_target_per_metrics_port() {
        let file = crate::apidsl::SourceFile::new(
            "looklook.toml",
            "[metrics]\ntargets = \"prom/targets.yml\"\n\n\
             [[process]]\nname = \"order-mq\"\npackage = \"order-mq\"\nmetrics_port = 7003\n\n\
             [[process]]\nname = \"sandbox\"\npackage = \"sandbox\"\nport = 7004\n",
        );
        let manifest = looklook_manifest::parse(&file).unwrap();
        let plan = targets(&manifest).unwrap();
        let text = &plan.get("prom/targets.yml").unwrap().contents;
        assert!(text.starts_with(GENERATED_HEADER_HASH), "{text}");
        assert!(
            text.ends_with(
                "- targets: [\"host.docker.internal:7003\"]\n  labels: { service: order-mq }\n"
            ),
            "{text}"
        );
        assert!(
            !text.contains("7004"),
            "a port that serves no metrics: {text}"
        );
    }
}
