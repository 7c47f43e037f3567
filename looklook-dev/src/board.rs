//! What the dashboard shows about the processes: their state, builds,
//! restarts and output, kept from the loop's [`DevEvent`]s.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::DevEvent;

/// Lines kept per process.
pub const LOG_LINES: usize = 2000;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProcessView {
    pub name: String,
    /// `building`, `starting`, `running`, `exited` or `stopped`.
    pub state: &'static str,
    pub pid: Option<u32>,
    pub port: Option<u16>,
    pub metrics_port: Option<u16>,
    /// Starts after the first.
    pub restarts: u32,
    pub build: Option<BuildView>,
    /// How the last run ended, when it ended on its own.
    pub exit: Option<String>,
    /// Whether it has started once: every later start is a restart.
    #[serde(skip)]
    started: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BuildView {
    pub ok: bool,
    pub took_ms: u64,
    /// Unix milliseconds.
    pub at: u64,
    /// The compiler's errors, when it failed.
    pub errors: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogLine {
    /// Counts every line of every process: the order they came in.
    pub seq: u64,
    pub process: String,
    /// Unix milliseconds.
    pub at: u64,
    /// `ERROR`, `WARN`, `INFO`, `DEBUG`, `TRACE`, or empty when the line
    /// does not say.
    pub level: &'static str,
    pub text: String,
    /// The trace and span the line was written in, when it says.
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
    pub stderr: bool,
}

/// A line as it is kept: what it says is read from it only when it is
/// asked for, as a busy system writes tens of thousands a second and the
/// page reads a few hundred.
#[derive(Debug)]
struct Kept {
    seq: u64,
    at: u64,
    text: String,
    stderr: bool,
}

impl Kept {
    fn line(&self, process: &str) -> LogLine {
        LogLine {
            seq: self.seq,
            process: process.to_string(),
            at: self.at,
            level: level(&self.text),
            text: self.text.clone(),
            trace_id: hex_after(&self.text, "trace_id", 32),
            span_id: hex_after(&self.text, "span_id", 16),
            stderr: self.stderr,
        }
    }
}

/// Every process of the loop, and the output of each.
#[derive(Debug, Default)]
pub struct Board {
    processes: BTreeMap<String, ProcessView>,
    logs: BTreeMap<String, VecDeque<Kept>>,
    seq: u64,
    /// The processes of the build under way, and when it began.
    building: Vec<String>,
    since: Option<SystemTime>,
}

fn millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Board {
    /// A board for these processes: `(name, port, metrics port)`.
    pub fn new(processes: impl IntoIterator<Item = (String, Option<u16>, Option<u16>)>) -> Board {
        let processes = processes
            .into_iter()
            .map(|(name, port, metrics_port)| {
                let view = ProcessView {
                    name: name.clone(),
                    state: "building",
                    port,
                    metrics_port,
                    ..ProcessView::default()
                };
                (name, view)
            })
            .collect();
        Board {
            processes,
            ..Board::default()
        }
    }

    pub fn apply(&mut self, event: &DevEvent) {
        let now = SystemTime::now();
        match event {
            DevEvent::Building { processes, .. } => {
                self.building = processes.clone();
                self.since = Some(now);
                for p in processes {
                    if let Some(view) = self.processes.get_mut(p)
                        && view.pid.is_none()
                    {
                        view.state = "building";
                    }
                }
            }
            DevEvent::BuildFailed { errors, took, .. } => {
                let build = BuildView {
                    ok: false,
                    took_ms: ms(*took),
                    at: millis(now),
                    errors: errors.chars().take(20_000).collect(),
                };
                for p in std::mem::take(&mut self.building) {
                    if let Some(view) = self.processes.get_mut(&p) {
                        view.build = Some(build.clone());
                    }
                }
            }
            DevEvent::Reloaded {
                processes, build, ..
            } => {
                for p in processes {
                    if let Some(view) = self.processes.get_mut(p) {
                        view.build = Some(BuildView {
                            ok: true,
                            took_ms: ms(*build),
                            at: millis(now),
                            errors: String::new(),
                        });
                    }
                }
                self.building.clear();
            }
            DevEvent::Started { process, pid } => {
                let since = self.since;
                if let Some(view) = self.processes.get_mut(process) {
                    if view.started {
                        view.restarts += 1;
                    }
                    view.started = true;
                    // A start follows a build that worked: the first one
                    // (or the first since a failure) has no `Reloaded` of
                    // its own.
                    if view.build.as_ref().is_none_or(|b| !b.ok) {
                        view.build = Some(BuildView {
                            ok: true,
                            took_ms: since
                                .map_or(0, |s| ms(now.duration_since(s).unwrap_or_default())),
                            at: millis(now),
                            errors: String::new(),
                        });
                    }
                    view.state = "starting";
                    view.pid = Some(*pid);
                    view.exit = None;
                }
            }
            DevEvent::Answering { process, .. } => {
                if let Some(view) = self.processes.get_mut(process) {
                    view.state = "running";
                }
            }
            DevEvent::Exited {
                process, status, ..
            } => {
                if let Some(view) = self.processes.get_mut(process) {
                    view.state = "exited";
                    view.pid = None;
                    view.exit = Some(status.clone());
                }
            }
            DevEvent::Stopped { process } => {
                if let Some(view) = self.processes.get_mut(process) {
                    view.state = "stopped";
                    view.pid = None;
                }
            }
            DevEvent::Output {
                process,
                line,
                stderr,
            } => {
                self.seq += 1;
                if !self.logs.contains_key(process) {
                    self.logs.insert(process.clone(), VecDeque::new());
                }
                let Some(lines) = self.logs.get_mut(process) else {
                    return;
                };
                // The oldest line's buffer takes the new text: no allocation
                // once a process has written its first LOG_LINES.
                let mut text = match lines.len() {
                    LOG_LINES => lines.pop_front().map(|k| k.text).unwrap_or_default(),
                    _ => String::new(),
                };
                text.clear();
                text.push_str(line);
                lines.push_back(Kept {
                    seq: self.seq,
                    at: millis(now),
                    text,
                    stderr: *stderr,
                });
            }
            _ => {}
        }
    }

    pub fn processes(&self) -> Vec<ProcessView> {
        self.processes.values().cloned().collect()
    }

    /// Whether one of the processes serves on `port`.
    pub fn serves_on(&self, port: u16) -> bool {
        self.processes.values().any(|p| p.port == Some(port))
    }

    /// Lines after `after` (a `seq`), of one process or all, at `level` or
    /// worse, holding `search`: the newest `limit`, oldest first.
    pub fn logs(&self, query: &LogQuery) -> Vec<LogLine> {
        let rank = |l: &str| {
            ["ERROR", "WARN", "INFO", "DEBUG", "TRACE"]
                .iter()
                .position(|x| *x == l)
        };
        let wanted = query.level.as_deref().and_then(rank);
        let search = query.search.as_deref().unwrap_or_default().to_lowercase();
        let mut lines: Vec<LogLine> = self
            .logs
            .iter()
            .filter(|(p, _)| {
                query
                    .process
                    .as_deref()
                    .is_none_or(|q| q.is_empty() || q == *p)
            })
            .flat_map(|(p, lines)| lines.iter().map(move |k| (p, k)))
            .filter(|(_, k)| k.seq > query.after.unwrap_or(0))
            .filter(|(_, k)| search.is_empty() || k.text.to_lowercase().contains(&search))
            // A line can carry the trace only if its id is in it somewhere.
            .filter(|(_, k)| query.trace_id.as_deref().is_none_or(|t| k.text.contains(t)))
            .map(|(p, k)| k.line(p))
            .filter(|l| match (wanted, rank(l.level)) {
                (Some(w), Some(r)) => r <= w,
                (Some(_), None) => false,
                (None, _) => true,
            })
            .filter(|l| {
                query
                    .trace_id
                    .as_deref()
                    .is_none_or(|t| l.trace_id.as_deref() == Some(t))
            })
            .collect();
        lines.sort_by_key(|l| l.seq);
        let limit = query.limit.unwrap_or(500).min(LOG_LINES);
        let skip = lines.len().saturating_sub(limit);
        lines.into_iter().skip(skip).collect()
    }
}

/// What `/api/logs` asks for.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct LogQuery {
    pub process: Option<String>,
    pub level: Option<String>,
    pub search: Option<String>,
    pub trace_id: Option<String>,
    pub after: Option<u64>,
    pub limit: Option<usize>,
}

/// The level a line is written at: the `"level"` of a JSON line, or the
/// first level word of a plain one.
fn level(line: &str) -> &'static str {
    const LEVELS: [&str; 5] = ["ERROR", "WARN", "INFO", "DEBUG", "TRACE"];
    if line.starts_with('{')
        && let Some(v) = serde_json::from_str::<serde_json::Value>(line).ok()
        && let Some(l) = v["level"].as_str()
    {
        return LEVELS
            .into_iter()
            .find(|x| x.eq_ignore_ascii_case(l))
            .unwrap_or("");
    }
    line.split(|c: char| !c.is_ascii_alphabetic())
        .find_map(|word| LEVELS.into_iter().find(|l| *l == word))
        .unwrap_or("")
}

/// The `len` hex digits after `key` in a line, JSON (`"trace_id":"…"`) or
/// plain (`trace_id=…`).
fn hex_after(line: &str, key: &str, len: usize) -> Option<String> {
    line.match_indices(key).find_map(|(at, _)| {
        let rest = line[at + key.len()..].trim_start_matches(['"', ':', '=', ' ']);
        let digits: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
        (digits.len() == len).then_some(digits)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(process: &str, line: &str) -> DevEvent {
        DevEvent::Output {
            process: process.into(),
            line: line.into(),
            stderr: false,
        }
    }

    #[test]
    fn processes_move_through_build_start_crash_and_reload() {
        let mut board = Board::new([("api".to_string(), Some(8001), Some(9001))]);
        board.apply(&DevEvent::Building {
            processes: vec!["api".into()],
            changed: vec![],
        });
        assert_eq!(board.processes()[0].state, "building");
        board.apply(&DevEvent::Started {
            process: "api".into(),
            pid: 7,
        });
        board.apply(&DevEvent::Answering {
            process: "api".into(),
            after: Duration::from_millis(5),
        });
        let p = &board.processes()[0];
        assert_eq!((p.state, p.pid, p.restarts), ("running", Some(7), 0));
        assert!(p.build.as_ref().unwrap().ok);
        board.apply(&DevEvent::Exited {
            process: "api".into(),
            status: "exit status: 1".into(),
            restart_in: Duration::from_millis(500),
        });
        assert_eq!(board.processes()[0].state, "exited");
        board.apply(&DevEvent::Building {
            processes: vec!["api".into()],
            changed: vec![],
        });
        board.apply(&DevEvent::BuildFailed {
            errors: "error[E0308]: mismatched types".into(),
            took: Duration::from_secs(2),
            kept: vec![],
        });
        let b = board.processes()[0].build.clone().unwrap();
        assert!(!b.ok && b.errors.contains("E0308") && b.took_ms == 2000);
        board.apply(&DevEvent::Started {
            process: "api".into(),
            pid: 8,
        });
        board.apply(&DevEvent::Reloaded {
            processes: vec!["api".into()],
            build: Duration::from_secs(3),
            restart: Duration::from_millis(40),
        });
        let p = &board.processes()[0];
        assert_eq!(
            (p.state, p.restarts, p.build.as_ref().unwrap().ok),
            ("starting", 1, true)
        );
    }

    #[test]
    fn a_first_start_after_a_failed_first_build_is_no_restart() {
        let mut board = Board::new([("api".to_string(), None, None)]);
        let building = DevEvent::Building {
            processes: vec!["api".into()],
            changed: vec![],
        };
        board.apply(&building);
        board.apply(&DevEvent::BuildFailed {
            errors: "error".into(),
            took: Duration::from_secs(1),
            kept: vec![],
        });
        board.apply(&building);
        board.apply(&DevEvent::Started {
            process: "api".into(),
            pid: 9,
        });
        let p = &board.processes()[0];
        assert_eq!((p.restarts, p.build.as_ref().unwrap().ok), (0, true));
    }

    #[test]
    fn log_lines_are_filtered_by_level_search_process_and_trace() {
        let mut board = Board::new([]);
        let trace = "0af7651916cd43dd8448eb211c80319c";
        board.apply(&output(
            "api",
            &format!(r#"{{"timestamp":"t","level":"WARN","message":"slow","span":{{"trace_id":"{trace}","span_id":"b7ad6b7169203331"}}}}"#),
        ));
        board.apply(&output("api", "2026-11-30T00:00:00Z  INFO served route=/x"));
        board.apply(&output(
            "rpc",
            &format!("ERROR request{{trace_id={trace}}}: failed"),
        ));
        let all = board.logs(&LogQuery::default());
        assert_eq!(
            all.iter().map(|l| l.level).collect::<Vec<_>>(),
            ["WARN", "INFO", "ERROR"]
        );
        assert_eq!(all[0].span_id.as_deref(), Some("b7ad6b7169203331"));
        let warn = board.logs(&LogQuery {
            level: Some("WARN".into()),
            ..LogQuery::default()
        });
        assert_eq!(warn.len(), 2);
        let api = board.logs(&LogQuery {
            process: Some("api".into()),
            search: Some("SERVED".into()),
            ..LogQuery::default()
        });
        assert_eq!(api.len(), 1);
        let traced = board.logs(&LogQuery {
            trace_id: Some(trace.into()),
            ..LogQuery::default()
        });
        assert_eq!(
            traced
                .iter()
                .map(|l| l.process.as_str())
                .collect::<Vec<_>>(),
            ["api", "rpc"]
        );
        let after = board.logs(&LogQuery {
            after: Some(all[1].seq),
            ..LogQuery::default()
        });
        assert_eq!(after.len(), 1, "follow: only what came since");
    }
}
