//! The guide, `docs/guide` and its Chinese edition `docs/guide-zh`: the two
//! have the same chapters, every link and every repository path they name
//! exists, `mdbook build` builds both, and every command block marked
//! `runnable` runs with the looklook under test, outside this repository,
//! so the guide cannot rot.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};

use crate::support::{run_tool, workspace};

const EDITIONS: [&str; 2] = ["docs/guide", "docs/guide-zh"];

/// Where a repository path starts: a backticked `services/...` in the guide
/// must name a file or directory that exists.
const TOP_LEVEL: [&str; 10] = [
    "services/",
    "examples/",
    "looklook-",
    "scripts/",
    "deploy/",
    "observability/",
    "docs/",
    "templates/",
    "clients/",
    ".ci/",
];

fn src(edition: &str) -> PathBuf {
    workspace().join(edition).join("src")
}

/// The chapters of an edition, in `SUMMARY.md`'s order.
fn chapters(edition: &str) -> Vec<String> {
    let summary = std::fs::read_to_string(src(edition).join("SUMMARY.md")).unwrap();
    Parser::new(&summary)
        .filter_map(|e| match e {
            Event::Start(Tag::Link { dest_url, .. }) => Some(dest_url.to_string()),
            _ => None,
        })
        .collect()
}

/// What a chapter holds that a test can check.
#[derive(Default)]
struct Chapter {
    links: Vec<String>,
    code: Vec<String>,
    /// The command blocks marked `sh,runnable`.
    runnable: Vec<String>,
}

fn read(edition: &str, chapter: &str) -> Chapter {
    let text = std::fs::read_to_string(src(edition).join(chapter)).unwrap();
    let mut found = Chapter::default();
    let mut block: Option<(bool, String)> = None;
    for event in Parser::new(&text) {
        match event {
            Event::Start(Tag::Link { dest_url, .. }) => found.links.push(dest_url.to_string()),
            Event::Code(code) => found.code.push(code.to_string()),
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                let runnable = info.split(',').any(|a| a.trim() == "runnable");
                block = Some((runnable, String::new()));
            }
            Event::Text(t) => {
                if let Some((_, body)) = &mut block {
                    body.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((true, body)) = block.take() {
                    found.runnable.push(body);
                }
            }
            _ => {}
        }
    }
    found
}

#[test]
fn both_editions_have_the_same_chapters() {
    let [en, zh] = EDITIONS.map(chapters);
    assert_eq!(en.len(), 17, "{en:?}");
    assert_eq!(en, zh, "a chapter in one edition and not the other");
    for edition in EDITIONS {
        let on_disk: BTreeSet<String> = std::fs::read_dir(src(edition))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != "SUMMARY.md")
            .collect();
        let listed: BTreeSet<String> = chapters(edition).into_iter().collect();
        assert_eq!(
            on_disk, listed,
            "{edition}: a chapter file not in SUMMARY.md"
        );
    }
    // The same commands in both: a translation never drifts from what runs.
    for chapter in chapters(EDITIONS[0]) {
        let [en, zh] = EDITIONS.map(|e| read(e, &chapter).runnable);
        assert_eq!(en, zh, "{chapter}: the editions run different commands");
    }
}

#[test]
fn every_link_and_path_in_the_guide_exists() {
    let root = workspace();
    for edition in EDITIONS {
        for chapter in chapters(edition) {
            let found = read(edition, &chapter);
            for link in &found.links {
                if link.starts_with("http") || link.starts_with('#') {
                    continue;
                }
                let file = link.split('#').next().unwrap_or_default();
                assert!(
                    src(edition).join(file).is_file(),
                    "{edition}/src/{chapter}: the link {link} goes nowhere"
                );
            }
            for code in &found.code {
                // `services/*/README.md`, `examples/looklook/*/*.sql`: globs
                // are checked up to their first wildcard.
                let path = code.split('*').next().unwrap_or_default();
                let is_path = path.contains('/') && !path.contains(' ');
                if !is_path || !TOP_LEVEL.iter().any(|t| path.starts_with(t)) {
                    continue;
                }
                assert!(
                    root.join(path).exists(),
                    "{edition}/src/{chapter}: `{code}` is not in the repository"
                );
            }
        }
    }
}

#[test]
fn the_guide_builds_with_mdbook() {
    let out = tempfile::tempdir().unwrap();
    for edition in EDITIONS {
        let dest = out.path().join(edition);
        run_tool(
            Command::new("mdbook")
                .arg("build")
                .arg(workspace().join(edition))
                .arg("--dest-dir")
                .arg(&dest),
        );
        // Each diagram is drawn, in a real browser: as many SVGs as
        // diagrams, and no syntax error.
        for (page, diagrams) in [("introduction.html", 2), ("order.html", 1)] {
            let html = std::fs::read_to_string(dest.join(page)).unwrap();
            assert_eq!(
                html.matches("class=\"mermaid\"").count(),
                diagrams,
                "{edition}/{page}"
            );
            let drawn = run_tool(
                Command::new("chromium")
                    .args(["--headless=new", "--no-sandbox", "--disable-gpu"])
                    .args(["--virtual-time-budget=10000", "--dump-dom"])
                    .arg(format!("file://{}", dest.join(page).display())),
            );
            assert_eq!(
                drawn.matches("data-processed=\"true\"><svg").count(),
                diagrams,
                "{edition}/{page}: a diagram was not drawn"
            );
            assert!(!drawn.contains("Syntax error"), "{edition}/{page}");
        }
    }
}

#[test]
fn every_runnable_command_of_the_guide_runs() {
    let looklook = Path::new(env!("CARGO_BIN_EXE_looklook"));
    let path = format!(
        "{}:{}",
        looklook.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut ran = 0;
    for chapter in chapters(EDITIONS[0]) {
        // A chapter's blocks run in order in one scratch directory, outside
        // this repository; each block in a shell of its own, as a reader
        // would paste it.
        let scratch = tempfile::tempdir().unwrap();
        for block in read(EDITIONS[0], &chapter).runnable {
            let out = Command::new("bash")
                .args(["-euo", "pipefail", "-c", &block])
                .current_dir(scratch.path())
                .env("PATH", &path)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{chapter}: the block\n{block}\nfailed:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            ran += 1;
        }
    }
    assert!(ran >= 6, "only {ran} runnable blocks");
}
