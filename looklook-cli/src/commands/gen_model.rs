//! `looklook gen model FILE.sql -o DIR [--cache]`.

use looklook_gen::generate::{GenModelOptions, gen_model};

use crate::cli::GenModelArgs;

pub fn run(args: GenModelArgs) -> miette::Result<String> {
    let opts = GenModelOptions {
        sql_file: args.file,
        out_dir: args.out,
        cache: args.cache,
        crate_name: args.crate_name,
        database: args.database,
        runtime_path: args.runtime_path,
    };
    let report = gen_model(&opts).map_err(crate::error)?;
    Ok(report.to_string())
}
