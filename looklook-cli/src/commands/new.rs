//! `looklook new DIR [--name NAME]`.

use looklook_gen::generate::{NewOptions, new_project};

use crate::cli::NewArgs;

pub fn run(args: NewArgs) -> miette::Result<String> {
    let opts = NewOptions {
        dir: args.dir.clone(),
        name: args.name,
        runtime_path: args.runtime_path,
    };
    let report = new_project(&opts).map_err(crate::error)?;
    Ok(format!(
        "{report}Next: cd {} && looklook dev\n",
        args.dir.display()
    ))
}
