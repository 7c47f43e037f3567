//! `looklook add service NAME [--api] [--rpc] [--model]`.

use std::path::Path;

use looklook_gen::add::{AddOptions, StackFacts, add_service};
use looklook_gen::generate::GenError;

use crate::cli::AddServiceArgs;

pub fn service(args: AddServiceArgs) -> miette::Result<String> {
    let here = std::env::current_dir().map_err(|e| miette::miette!("{e}"))?;
    let manifest = looklook_manifest::find(args.manifest.as_deref(), &here)
        .ok_or_else(|| crate::error(GenError::NoManifest(here)))?;
    let stack = stack_facts(&manifest)?;
    let opts = AddOptions {
        manifest,
        name: args.name.clone(),
        api: args.api,
        rpc: args.rpc,
        model: args.model,
        stack,
    };
    let report = add_service(&opts).map_err(crate::error)?;
    crate::warn(&report.warnings);
    Ok(format!("{report}Next: looklook up && looklook dev\n"))
}

/// What the stack file beside the manifest says the new service needs:
/// where MySQL and Redis answer, and which ports it publishes.
fn stack_facts(manifest: &Path) -> miette::Result<StackFacts> {
    let file = manifest
        .parent()
        .unwrap_or(Path::new("."))
        .join(looklook_manifest::STACK_FILE);
    if !file.is_file() {
        return Ok(StackFacts::default());
    }
    let (_, stack) = looklook_stack::load(&file).map_err(miette::Report::new)?;
    let server = |service: &str, port: u16| {
        let def = stack.service(service)?;
        let address = format!("127.0.0.1:{}", def.host_port(port)?);
        let url = def.url_at(Some(&address))?;
        // The server alone: `scheme://authority`, without a database.
        let (scheme, rest) = url.split_once("://")?;
        let authority = rest.split('/').next()?;
        Some(format!("{scheme}://{authority}"))
    };
    Ok(StackFacts {
        mysql: server("mysql", 3306),
        redis: server("redis", 6379),
        ports: stack
            .services
            .values()
            .flat_map(|s| s.port_maps())
            .map(|p| p.host_port)
            .collect(),
    })
}
