//! Property tests: no input makes the lexer, parser, checker or formatter
//! panic, and formatting is idempotent; no DDL makes the table reader or the
//! model generator panic. Inputs are random text and random
//! edits of the sample and corpus files. Failing cases are kept by proptest
//! in `proptest-regressions/`.

use std::path::Path;

use looklook::apidsl::{SourceFile, check, format, parser};
use proptest::prelude::*;

fn seeds() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in [
        root.join("tests/corpus/broken"),
        root.join("../examples/sample"),
        root.join("../examples/sample/types"),
    ] {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "api") {
                out.push(std::fs::read_to_string(p).unwrap());
            }
        }
    }
    out
}

fn run_all(text: &str) {
    let file = SourceFile::new("fuzz.api", text);
    let (_, errors) = parser::parse(&file);
    let read = |_: &Path| Err(std::io::Error::other("no imports while fuzzing"));
    if let Ok(files) = check::load(Path::new("fuzz.api"), &|p| {
        if p == Path::new("fuzz.api") {
            Ok(text.to_string())
        } else {
            read(p)
        }
    }) {
        let _ = check::check(&files);
    }
    if errors.is_empty() {
        let once = format::format(&file).expect("a file without syntax errors formats");
        let twice = format::format(&SourceFile::new("fuzz.api", once.as_str()))
            .expect("formatted output parses");
        assert_eq!(once, twice, "formatting is idempotent");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_text_never_panics(text in "\\PC{0,200}") {
        run_all(&text);
    }

    #[test]
    fn api_like_tokens_never_panic(parts in proptest::collection::vec(
        prop::sample::select(vec![
            "type", "service", "@server", "@handler", "@doc", "(", ")", "{", "}", "[", "]", "*",
            "map", "get", "/a/:id", "returns", "Req", "int", "string", "`json:\"a,optional\"`",
            "\"s\"", "\n", ":", ",", "-api", "import", "info", "syntax", "=", "//c\n", "/*x*/", "...", "3s",
        ]), 0..60)) {
        run_all(&parts.join(" "));
    }

    #[test]
    fn edited_ddl_never_panics(cut in 0usize..3000, len in 0usize..30, insert in "\\PC{0,8}") {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(root.join("../examples/sample/sql/shop.sql")).unwrap();
        let mut chars: Vec<char> = text.chars().collect();
        let at = cut.min(chars.len());
        let end = (at + len).min(chars.len());
        chars.splice(at..end, insert.chars());
        let text: String = chars.into_iter().collect();
        if let Ok(tables) = looklook::ddl::parse(&SourceFile::new("fuzz.sql", text)) {
            let opts = looklook::codegen::model::ModelOptions {
                crate_name: "fuzz-model".into(),
                database: "fuzz".into(),
                cache: true,
                krate: looklook::codegen::CrateOptions {
                    runtime: looklook::codegen::RuntimeDep::Version("0.1".into()),
                },
            };
            looklook::codegen::model::generate(&tables, &opts);
        }
    }

    #[test]
    fn edited_samples_never_panic(seed in 0usize..64, cut in 0usize..4000, len in 0usize..40, insert in "\\PC{0,8}") {
        let seeds = seeds();
        let text = &seeds[seed % seeds.len()];
        let mut chars: Vec<char> = text.chars().collect();
        let at = cut.min(chars.len());
        let end = (at + len).min(chars.len());
        chars.splice(at..end, insert.chars());
        run_all(&chars.into_iter().collect::<String>());
    }
}

#[test]
fn every_seed_formats_idempotently() {
    for text in seeds() {
        run_all(&text);
    }
}
