//! `looklook gen model FILE.sql -o DIR [--cache] [--type K=T…]`.

use looklook_gen::ddl::TypeMap;
use looklook_gen::generate::{GenModelOptions, gen_model};

use crate::cli::GenModelArgs;

pub fn run(args: GenModelArgs) -> miette::Result<String> {
    let mut types = TypeMap::default();
    for choice in &args.types {
        let (key, ty) = choice.split_once('=').ok_or_else(|| {
            miette::miette!("--type {choice}: write it as SQL_TYPE=TYPE or table.column=TYPE")
        })?;
        types
            .insert(key.trim(), ty)
            .map_err(|msg| miette::miette!("--type {choice}: {msg}"))?;
    }
    let opts = GenModelOptions {
        sql_file: args.file,
        out_dir: args.out,
        cache: args.cache,
        crate_name: args.crate_name,
        database: args.database,
        runtime_path: args.runtime_path,
        types,
    };
    let report = gen_model(&opts).map_err(crate::error)?;
    crate::warn(&report.warnings);
    Ok(report.to_string())
}
