//! `looklook gen rpc FILE -o DIR [-I DIR]...`.

use looklook_gen::generate::{GenRpcOptions, gen_rpc};

use crate::cli::GenRpcArgs;

pub fn run(args: GenRpcArgs) -> miette::Result<String> {
    let opts = GenRpcOptions {
        proto_file: args.file,
        includes: args.includes,
        out_dir: args.out,
        runtime_path: args.runtime_path,
    };
    let report = gen_rpc(&opts).map_err(crate::error)?;
    Ok(report.to_string())
}
