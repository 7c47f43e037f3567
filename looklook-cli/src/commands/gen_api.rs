//! `looklook gen api FILE -o DIR [--plugin CMD…]`.

use looklook_gen::generate::{GenApiOptions, gen_api};

use crate::cli::GenApiArgs;

pub fn run(args: GenApiArgs) -> miette::Result<String> {
    let opts = GenApiOptions {
        api_file: args.file,
        out_dir: args.out,
        runtime_path: args.runtime_path,
        plugins: args.plugins,
    };
    let report = gen_api(&opts).map_err(crate::error)?;
    Ok(report.to_string())
}
