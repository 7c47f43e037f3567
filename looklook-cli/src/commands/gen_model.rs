//! `looklook gen model FILE.sql -o DIR [--cache] [--dialect D] [--type K=T…]`,
//! or `--datasource URL [--table GLOB…]` instead of the file.

use looklook_gen::ddl::{Dialect, TypeMap};
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
    // A live database's tables, named like the file they could have come
    // from: `<url>.sql`, so the crate is `<database>-model`.
    let from_url = args.datasource.as_deref().and_then(Dialect::of_url);
    let dialect = match (args.dialect, from_url) {
        (Some(chosen), Some(url)) if chosen != url => {
            return Err(miette::miette!(
                "--dialect {chosen:?} does not match the datasource's scheme"
            ));
        }
        (chosen, url) => chosen.or(url).unwrap_or_default(),
    };
    let (sql_file, sql_text) = match (&args.datasource, args.file) {
        (Some(url), _) => {
            let schema = looklook_gen::datasource::read(url, &args.tables)
                .map_err(|e| miette::miette!("{e}"))?;
            (format!("{}.sql", schema.source).into(), Some(schema.ddl))
        }
        (None, Some(file)) => (file, None),
        (None, None) => return Err(miette::miette!("name a .sql file or --datasource")),
    };
    let opts = GenModelOptions {
        sql_file,
        sql_text,
        out_dir: args.out,
        cache: args.cache,
        crate_name: args.crate_name,
        database: args.database,
        runtime_path: args.runtime_path,
        types,
        dialect,
    };
    let report = gen_model(&opts).map_err(crate::error)?;
    crate::warn(&report.warnings);
    Ok(report.to_string())
}
