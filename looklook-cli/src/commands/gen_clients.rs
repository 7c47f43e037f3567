//! `looklook gen openapi FILE -o FILE` and `looklook gen ts FILE -o DIR`.

use looklook_gen::generate::{GenOpenapiOptions, GenTsOptions, gen_openapi, gen_ts};

use crate::cli::{GenOpenapiArgs, GenTsArgs};

pub fn openapi(args: GenOpenapiArgs) -> miette::Result<String> {
    let opts = GenOpenapiOptions {
        api_file: args.file,
        out_file: args.out,
        server: args.server,
    };
    let report = gen_openapi(&opts).map_err(crate::error)?;
    Ok(report.to_string())
}

pub fn ts(args: GenTsArgs) -> miette::Result<String> {
    let opts = GenTsOptions {
        api_file: args.file,
        out_dir: args.out,
    };
    let report = gen_ts(&opts).map_err(crate::error)?;
    Ok(report.to_string())
}
