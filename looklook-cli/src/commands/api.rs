//! `looklook api check`, `looklook api fmt` and `looklook api json`.

use looklook_gen::apidsl::{self, SourceFile};

use crate::cli::{ApiCheckArgs, ApiFmtArgs};

pub fn check(args: ApiCheckArgs) -> miette::Result<String> {
    let spec = apidsl::load_spec(&args.file)?;
    let routes = spec.groups.iter().map(|g| g.routes.len()).sum::<usize>();
    Ok(format!(
        "{}: ok ({} types, {routes} routes)\n",
        args.file.display(),
        spec.types.len()
    ))
}

pub fn json(args: ApiCheckArgs) -> miette::Result<String> {
    let spec = apidsl::load_spec(&args.file)?;
    Ok(apidsl::json::Document::new(&spec).to_json())
}

pub fn fmt(args: ApiFmtArgs) -> miette::Result<String> {
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| miette::miette!("cannot read {}: {e}", args.file.display()))?;
    let formatted = apidsl::format::format(&SourceFile::new(&args.file, text.as_str()))?;
    if args.check {
        if formatted != text {
            return Err(miette::miette!("{} is not formatted", args.file.display()));
        }
        return Ok(String::new());
    }
    if args.write {
        if formatted != text {
            looklook_gen::writer::replace_file(&args.file, &formatted)
                .map_err(|e| miette::miette!("{e}"))?;
        }
        return Ok(String::new());
    }
    Ok(formatted)
}
