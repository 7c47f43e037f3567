//! Broken definition files: each states the errors it must produce, with
//! their positions, in `// expect: LINE:COL message` comments. Files whose
//! name starts with `_` are only imported by others.

use std::fs;
use std::path::Path;

use looklook::apidsl;

use crate::support::brief;

#[test]
fn every_broken_file_reports_its_errors_where_they_are() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/broken");
    let mut cases = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with('_') || path.extension().is_none_or(|e| e != "api") {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        let expected: Vec<String> = text
            .lines()
            .filter_map(|l| l.strip_prefix("// expect: "))
            // An error in another file names it: `_other.api:1:8 ...`.
            .map(|e| {
                if e.split(' ').next().is_some_and(|w| w.contains(".api:")) {
                    e.to_string()
                } else {
                    format!("{name}:{e}")
                }
            })
            .collect();
        assert!(!expected.is_empty(), "{name} states no expected error");
        let err = apidsl::load_spec(&path).expect_err(&name);
        assert_eq!(brief(&err), expected, "{name}");
        for d in err.iter() {
            assert!(
                !d.line_text.trim().is_empty(),
                "{name}: the offending line is shown"
            );
        }
        cases += 1;
    }
    assert!(cases >= 15, "the corpus has {cases} cases");
}

#[test]
fn rendered_errors_show_the_file_position_line_and_caret() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/broken/unresolved_type.api");
    let err = apidsl::load_spec(&path).unwrap_err();
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .render_report(&mut out, &err)
        .unwrap();
    assert!(
        out.contains("unresolved_type.api:4:7: unresolved type `Usr`"),
        "{out}"
    );
    assert!(out.contains("User Usr `json:\"user\"`"), "{out}");
    assert!(out.contains("did you mean `User`?"), "{out}");
}
