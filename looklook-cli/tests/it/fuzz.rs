//! Property tests: no input makes the lexer, parser, checker or formatter
//! panic, and formatting is idempotent; no DDL makes the table reader or the
//! model generator panic. Inputs are random text and random
//! edits of the sample and corpus files. Failing cases are kept by proptest
//! in `proptest-regressions/`.

use std::path::Path;

use looklook_gen::apidsl::{SourceFile, check, format, parser};
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
        if let Ok(tables) = looklook_gen::ddl::parse(&SourceFile::new("fuzz.sql", text)) {
            let opts = looklook_gen::codegen::model::ModelOptions {
                crate_name: "fuzz-model".into(),
                database: "fuzz".into(),
                cache: true,
                dialect: Default::default(),
                krate: looklook_gen::codegen::CrateOptions {
                    runtime: looklook_gen::codegen::RuntimeDep::Version("0.1".into()),
                },
            };
            looklook_gen::codegen::model::generate(&tables, &opts);
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

/// Types nested past any real API (`type A ****…int`, and the same with
/// slices, maps and inline structs) are one located error, not a stack
/// overflow in the parser or a pass after it.
#[test]
fn deeply_nested_types_are_an_error_not_a_stack_overflow() {
    let depth = 100_000;
    for (name, open, close) in [
        ("pointers", "*", ""),
        ("slices", "[]", ""),
        ("maps", "map[string]", ""),
        ("structs", "struct{ A ", " }"),
    ] {
        let text = format!("type A {}int{}\n", open.repeat(depth), close.repeat(depth));
        let file = SourceFile::new("deep.api", text.as_str());
        let (_, errors) = parser::parse(&file);
        assert!(
            errors
                .iter()
                .any(|e| e.message.contains("nests more than 32 levels")),
            "{name}: {:?}",
            errors.iter().map(|e| &e.message).collect::<Vec<_>>()
        );
        run_all(&text);
    }
    // Thirty levels are still a type.
    let fine = format!("type A {}int\n", "*".repeat(30));
    assert!(
        parser::parse(&SourceFile::new("ok.api", fine.as_str()))
            .1
            .is_empty()
    );
}

/// A third-party `.api` file must not be able to put code into the crate
/// generated from it: a raw `@doc` with line breaks stays comment text.
#[test]
fn a_multi_line_doc_cannot_inject_code() {
    let dir = tempfile::tempdir().unwrap();
    let api = dir.path().join("evil.api");
    let payload = "fine\n}\nfn injected() { std::process::exit(7) }\n//";
    std::fs::write(
        &api,
        format!(
            "syntax = \"v1\"\nservice evil-api {{\n\t@doc (summary: `{payload}`)\n\t@handler ping\n\tget /ping\n\n\t@doc \"a\rfn cr_injected() {{}}\"\n\t@handler pong\n\tget /pong\n}}\n"
        ),
    )
    .unwrap();
    let out = dir.path().join("evil-api");
    looklook_gen::generate::gen_api(&looklook_gen::generate::GenApiOptions {
        api_file: api,
        out_dir: out.clone(),
        runtime_path: Some(crate::support::workspace().join("looklook-runtime")),
        plugins: Vec::new(),
    })
    .unwrap();
    for logic in ["src/logic/ping.rs", "src/logic/pong.rs"] {
        let text = std::fs::read_to_string(out.join(logic)).unwrap();
        let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{logic}: {e}\n{text}"));
        let fns: Vec<String> = file
            .items
            .iter()
            .filter_map(|i| match i {
                syn::Item::Fn(f) => Some(f.sig.ident.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(
            fns.len(),
            1,
            "{logic} holds only its logic function: {fns:?}\n{text}"
        );
        assert!(!fns.iter().any(|f| f.contains("injected")), "{text}");
        // The words are still there, as comment lines.
        assert!(text.contains("//! fn "), "{text}");
    }
}

/// A definition file's name becomes the crate's name in Cargo.toml and
/// main.rs: a name that would break out of a string there is refused, and
/// nothing is written.
#[test]
fn a_hostile_file_name_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let sample = crate::support::examples().join("sample/proto/shop.proto");
    for name in [
        "shop\"x.proto",
        "shop\nx.proto",
        "9shop.proto",
        "sh op.proto",
    ] {
        let proto = dir.path().join(name);
        std::fs::copy(&sample, &proto).unwrap();
        let out = dir.path().join("out");
        let err = looklook_gen::generate::gen_rpc(&looklook_gen::generate::GenRpcOptions {
            proto_file: proto.clone(),
            includes: vec![sample.parent().unwrap().to_path_buf()],
            out_dir: out.clone(),
            runtime_path: Some(crate::support::workspace().join("looklook-runtime")),
        })
        .unwrap_err();
        assert!(
            err.to_string().contains("must be ASCII letters"),
            "{name}: {err}"
        );
        assert!(!out.exists(), "{name}: something was written");
        std::fs::remove_file(proto).unwrap();
    }
}
