//! Starting and stopping one process. Each runs in a process group of its
//! own, so stopping it also stops whatever it started, and Ctrl-C in the
//! terminal reaches looklook alone, which then stops everything in order.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use file_rotate::compression::Compression;
use file_rotate::suffix::AppendCount;
use file_rotate::{ContentLimit, FileRotate};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;
use tokio::sync::watch;

/// Where, under the project, each process's output is kept as
/// `<process>.log`: the stack's log shipper reads it from there.
pub const LOG_DIR: &str = ".looklook/logs";

/// A process's log grows to this size, then moves to `<process>.log.1`
/// (the older ones to `.2`, `.3`, …) and a new one starts: a service that
/// logs every request must not fill the disk over a long session.
pub const LOG_ROTATE_BYTES: usize = 10 * 1024 * 1024;

/// How many moved logs each process keeps; the oldest is deleted.
pub const LOG_KEEP: usize = 5;

/// A process's output file, appended to line by line and rotated by size
/// (file-rotate). Clones share it.
#[derive(Clone)]
pub struct LogFile(Arc<Mutex<FileRotate<AppendCount>>>);

impl LogFile {
    /// Open (or create) `<dir>/<process>.log` for appending, rotated at
    /// [`LOG_ROTATE_BYTES`] with [`LOG_KEEP`] kept.
    pub fn open(dir: &Path, process: &str) -> std::io::Result<LogFile> {
        LogFile::open_rotated(dir, process, LOG_ROTATE_BYTES, LOG_KEEP)
    }

    /// [`LogFile::open`] with a limit and a count of its own.
    pub fn open_rotated(
        dir: &Path,
        process: &str,
        max_bytes: usize,
        keep: usize,
    ) -> std::io::Result<LogFile> {
        std::fs::create_dir_all(dir)?;
        let file = FileRotate::new(
            dir.join(format!("{process}.log")),
            AppendCount::new(keep),
            ContentLimit::BytesSurpassed(max_bytes),
            Compression::None,
            None,
        );
        Ok(LogFile(Arc::new(Mutex::new(file))))
    }

    /// Best effort: a full disk must not stop the process it records.
    pub fn write(&self, line: &str) {
        if let Ok(mut file) = self.0.lock() {
            let _ = writeln!(file, "{line}");
        }
    }
}

/// How long a process may take to start answering on its port.
pub const READY_WITHIN: Duration = Duration::from_secs(60);

/// Whether something accepts connections on `port` of 127.0.0.1 now.
pub async fn answers(port: u16) -> bool {
    tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_ok()
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Spec {
    pub exe: PathBuf,
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub cwd: PathBuf,
}

/// A started process.
pub struct Child {
    pub pid: u32,
    /// Becomes `Some` when it exits.
    exited: watch::Receiver<Option<ExitStatus>>,
}

/// Start `spec`. Each output line goes to `on_line` (with `true` for
/// stderr); its exit status goes to `on_exit` once it ends.
pub fn spawn(
    spec: &Spec,
    on_line: impl Fn(String, bool) + Send + Sync + Clone + 'static,
    on_exit: impl FnOnce(ExitStatus) + Send + 'static,
) -> std::io::Result<Child> {
    let mut cmd = Command::new(&spec.exe);
    cmd.args(&spec.args)
        .envs(&spec.env)
        .current_dir(&spec.cwd)
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // If looklook itself is killed (SIGKILL leaves it no time to stop
    // anything), the kernel sends the process SIGTERM instead of leaving it
    // running unseen.
    // SAFETY: the closure runs between fork and exec and only makes one
    // system call (prctl), which is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(Signal::SIGTERM).map_err(std::io::Error::from)
        });
    }
    let mut child = cmd.spawn()?;
    let pid = child.id().expect("a running child has a pid");
    forward(child.stdout.take(), on_line.clone(), false);
    forward(child.stderr.take(), on_line, true);
    let (tx, exited) = watch::channel(None);
    tokio::spawn(async move {
        // `wait` only fails when the child was already reaped, which
        // nothing else here does.
        if let Ok(status) = child.wait().await {
            let _ = tx.send(Some(status));
            on_exit(status);
        }
    });
    Ok(Child { pid, exited })
}

fn forward(
    stream: Option<impl AsyncRead + Unpin + Send + 'static>,
    on_line: impl Fn(String, bool) + Send + 'static,
    stderr: bool,
) {
    let Some(stream) = stream else { return };
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            on_line(line, stderr);
        }
    });
}

impl Child {
    pub fn has_exited(&self) -> bool {
        self.exited.borrow().is_some()
    }

    /// SIGTERM to the process group; SIGKILL if it is still there after
    /// `grace`. Whatever is left in the group afterwards is killed too.
    pub async fn stop(mut self, grace: Duration) -> Option<ExitStatus> {
        let group = Pid::from_raw(self.pid as i32);
        if !self.has_exited() {
            let _ = killpg(group, Signal::SIGTERM);
        }
        let in_time = tokio::time::timeout(grace, self.exited.wait_for(Option::is_some))
            .await
            .is_ok();
        if !in_time {
            let _ = killpg(group, Signal::SIGKILL);
            let _ = self.exited.wait_for(Option::is_some).await;
        }
        // The leader is gone; its children may not be.
        let _ = killpg(group, Signal::SIGKILL);
        *self.exited.borrow()
    }
}

/// A process's working directory: the given one (relative to the
/// manifest), else its package's directory.
pub fn working_dir(manifest_dir: &Path, cwd: Option<&str>, package_dir: &Path) -> PathBuf {
    match cwd {
        Some(cwd) => manifest_dir.join(cwd),
        None => package_dir.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_rotates_by_size_keeps_a_few_and_appends_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let log = LogFile::open_rotated(dir.path(), "api", 1000, 2).unwrap();
        log.write("before the restart");
        drop(log);
        // looklook started again: the same file goes on.
        let log = LogFile::open_rotated(dir.path(), "api", 1000, 2).unwrap();
        for i in 0..100 {
            log.write(&format!("{i:>3} {}", "x".repeat(95)));
        }
        let read = |name: &str| std::fs::read_to_string(dir.path().join(name));
        let current = read("api.log").unwrap();
        assert!(
            current.ends_with(&format!(" 99 {}\n", "x".repeat(95))),
            "{current}"
        );
        assert!(current.len() <= 1100, "{}", current.len());
        assert!(read("api.log.1").is_ok() && read("api.log.2").is_ok());
        assert!(read("api.log.3").is_err(), "only two rotated logs are kept");
        // The oldest lines went with the oldest file.
        assert!(!read("api.log.2").unwrap().contains("before the restart"));
    }
}
