//! A results tree: `results.csv` or `sweep.csv`, the distribution and
//! sample-path files, `manifest.json`, and `plots/*.png|svg`, written all
//! or nothing.
//!
//! Every file is rendered in memory first. Writing then has two phases:
//! every file is staged in a temporary file beside its target (the slow
//! part: data reaches the disk), then all are renamed over their targets
//! (atomic on POSIX file systems, and quick). SIGINT or SIGTERM before the
//! writing ends the process at once with 130 or 143 (nothing was written);
//! during staging it removes the staged files (and the directories it
//! created) and exits with 130 or 143, so nothing is written; during the
//! renames it lets them finish (the whole tree is there) and then exits.
//!
//! For tests, `SCHEDLAB_TEST_WRITE_DELAY_MS` makes staging sleep that long
//! after each file, to widen the window a signal can fall in.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use serde::{Deserialize, Serialize};

use super::plot::Rendered;

/// Where pictures go inside a tree.
pub const PLOTS: &str = "plots";
/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";

/// Exit code after Ctrl-C (SIGINT), as shells report it.
pub const EXIT_INTERRUPTED: i32 = 130;
/// Exit code after SIGTERM.
pub const EXIT_TERMINATED: i32 = 143;

static WRITING: AtomicBool = AtomicBool::new(false);
/// The signal that arrived while writing, 0 if none.
static INTERRUPTED: AtomicI32 = AtomicI32::new(0);

#[cfg(unix)]
extern "C" fn on_signal(signal: libc::c_int) {
    if WRITING.load(Ordering::SeqCst) {
        INTERRUPTED.store(signal, Ordering::SeqCst);
    } else {
        let message = b"interrupted: nothing written\n";
        // Only async-signal-safe calls here: write(2) and _exit(2).
        unsafe {
            libc::write(2, message.as_ptr().cast(), message.len());
            libc::_exit(128 + signal);
        }
    }
}

/// Installs the SIGINT and SIGTERM handlers described in the module
/// documentation. Call once, early in `main`.
pub fn handle_interrupts() {
    #[cfg(unix)]
    unsafe {
        let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
}

/// Exits with 128 + the signal if one arrived while writing.
fn exit_if_interrupted(message: &str) {
    let signal = INTERRUPTED.load(Ordering::SeqCst);
    if signal != 0 {
        eprintln!("interrupted: {message}");
        std::process::exit(128 + signal);
    }
}

/// How a tree came to be: enough to run it again.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub schedlab: String,
    /// `run` or `sweep`.
    pub kind: String,
    pub scenario_name: String,
    pub scenario_file: String,
    /// The scenario file's text, as read.
    pub scenario: String,
    pub seed: u64,
    pub replications: u32,
    /// The swept parameter and its values (sweeps only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<f64>,
    pub command: Vec<String>,
    pub wall_seconds: f64,
    /// Worker threads used (results do not depend on it).
    pub threads: usize,
    /// Cores of the host.
    pub host_threads: usize,
    pub events: u64,
    /// Merged from shards (`schedlab merge`): true, and the shard files.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub merged: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shards: Vec<String>,
}

/// The files of a tree, by path relative to its directory.
#[derive(Debug, Default)]
pub struct Tree {
    pub files: Vec<(PathBuf, Vec<u8>)>,
}

impl Tree {
    pub fn add(&mut self, name: &str, contents: impl Into<Vec<u8>>) {
        self.files.push((PathBuf::from(name), contents.into()));
    }

    /// Adds `plots/NAME.svg` and `plots/NAME.png` for each picture.
    pub fn add_pictures(&mut self, pictures: Vec<Rendered>) {
        for p in pictures {
            let dir = Path::new(PLOTS);
            self.files
                .push((dir.join(format!("{}.svg", p.name)), p.svg.into_bytes()));
            self.files
                .push((dir.join(format!("{}.png", p.name)), p.png));
        }
    }

    /// Writes the tree of `kind` into `dir` as [`Tree::write`] does, after
    /// [`check_out`], so that `dir` then holds this tree alone: the files
    /// of an earlier tree of the same kind that this one does not write
    /// are removed once it is written, and with `force` whatever else
    /// `dir` held is removed first (the directories a sweep's shards and
    /// cluster logs live in excepted).
    pub fn write_out(&self, dir: &Path, kind: TreeKind, force: bool) -> anyhow::Result<()> {
        check_out(dir, kind, force)?;
        let before = if dir.is_dir() {
            kind.entries(dir).map_err(|e| {
                anyhow::anyhow!(
                    "{}: cannot read the directory: {}",
                    dir.display(),
                    super::os_message(&e)
                )
            })?
        } else {
            Vec::new()
        };
        for (path, owner) in &before {
            if *owner == Owner::Foreign {
                remove(path)?;
            }
        }
        let written: Vec<PathBuf> = self.files.iter().map(|(p, _)| dir.join(p)).collect();
        self.write_then(dir, || {
            for (path, owner) in &before {
                if *owner == Owner::Output && !written.contains(path) {
                    remove(path)?;
                }
            }
            Ok(())
        })
    }

    /// Writes every file under `dir`, creating directories as needed: all
    /// of them, or (on an error or a signal) none.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        self.write_then(dir, || Ok(()))
    }

    /// [`Tree::write`], calling `after` once every file is in place (before
    /// a signal that came while renaming ends the process).
    fn write_then(
        &self,
        dir: &Path,
        after: impl FnOnce() -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        WRITING.store(true, Ordering::SeqCst);
        let mut created: Vec<PathBuf> = Vec::new();
        let staged = match self.stage(dir, &mut created) {
            Ok(staged) if INTERRUPTED.load(Ordering::SeqCst) == 0 => staged,
            other => {
                // Dropping the staged files removes them; then the
                // directories this call created go, deepest first.
                let error = other.err();
                for d in created.iter().rev() {
                    let _ = std::fs::remove_dir(d);
                }
                WRITING.store(false, Ordering::SeqCst);
                exit_if_interrupted("nothing written");
                return Err(error.expect("not interrupted, so staging failed"));
            }
        };
        let mut result = Ok(());
        for (tmp, path) in staged {
            if let Err(e) = tmp.persist(&path) {
                result = Err(anyhow::anyhow!(
                    "{}: cannot write: {}",
                    path.display(),
                    super::os_message(&e.error)
                ));
                break;
            }
        }
        if result.is_ok() {
            result = after();
        }
        WRITING.store(false, Ordering::SeqCst);
        exit_if_interrupted(&format!("{} was written whole", dir.display()));
        result
    }

    /// Writes every file to a temporary file beside its target.
    fn stage(
        &self,
        dir: &Path,
        created: &mut Vec<PathBuf>,
    ) -> anyhow::Result<Vec<(tempfile::NamedTempFile, PathBuf)>> {
        let delay = std::env::var("SCHEDLAB_TEST_WRITE_DELAY_MS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok());
        let mut staged = Vec::new();
        for (name, contents) in &self.files {
            if INTERRUPTED.load(Ordering::SeqCst) != 0 {
                break;
            }
            let path = dir.join(name);
            if let Some(parent) = path.parent() {
                create_dirs(parent, created)?;
            }
            let tmp = super::stage_file(&path, contents)?;
            staged.push((tmp, path));
            if let Some(ms) = delay {
                std::thread::sleep(std::time::Duration::from_millis(ms));
            }
        }
        Ok(staged)
    }
}

/// The kind of tree a command writes into its `--out` directory, which
/// decides what that directory may already hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeKind {
    /// `schedlab run --out`.
    Run,
    /// `schedlab sweep --out` and `schedlab merge --out`.
    Sweep,
    /// `schedlab sweep --shard K/N --out`.
    Shard,
}

/// What an entry of an `--out` directory is to the tree written there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    /// A file a tree of this kind writes: replaced, or removed when the
    /// new tree has no such file (no stale file survives).
    Output,
    /// Part of a sweep tree that is not its output (the shard directories
    /// and the cluster scripts' `logs/`): left alone.
    Kept,
    /// Anything else: another tree's, or the user's.
    Foreign,
}

impl TreeKind {
    fn name(self) -> &'static str {
        match self {
            TreeKind::Run => "run",
            TreeKind::Sweep => "sweep",
            TreeKind::Shard => "shard",
        }
    }

    /// The top-level files a tree of this kind may write.
    fn files(self) -> &'static [&'static str] {
        use super::files::*;
        match self {
            TreeKind::Run => &[
                "results.json",
                RESULTS,
                CDF,
                HISTOGRAM,
                SAMPLE_PATH,
                SIZE_BINS,
                ALARMS,
                ATTEMPTS,
                ALARM_INTERVALS,
                TIMELINE,
                MANIFEST,
            ],
            TreeKind::Sweep => &[SWEEP, "sweep.json", MANIFEST],
            TreeKind::Shard => &[crate::shard::FILE],
        }
    }

    /// Whether `manifest.json` in `dir` says it is of this kind.
    fn manifest_matches(self, path: &Path) -> bool {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .is_some_and(|v| v["kind"] == self.name())
    }

    /// Every entry of `dir` (files, and directories not looked into), by
    /// path, with what it is to a tree of this kind.
    fn entries(self, dir: &Path) -> std::io::Result<Vec<(PathBuf, Owner)>> {
        let mut found = Vec::new();
        let staged = |name: &str| name.starts_with(".schedlab-") && name.ends_with(".tmp");
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_dir = entry.file_type()?.is_dir();
            let owner = if is_dir && name == PLOTS && self != TreeKind::Shard {
                for e in std::fs::read_dir(&path)? {
                    let e = e?;
                    let n = e.file_name().to_string_lossy().into_owned();
                    let picture = n.ends_with(".svg") || n.ends_with(".png") || staged(&n);
                    let owner = if e.file_type()?.is_file() && picture {
                        Owner::Output
                    } else {
                        Owner::Foreign
                    };
                    found.push((e.path(), owner));
                }
                continue;
            } else if is_dir {
                let shard_dir = name.starts_with("shard-") || name == "logs";
                if self == TreeKind::Sweep && shard_dir {
                    Owner::Kept
                } else {
                    Owner::Foreign
                }
            } else if staged(&name)
                || (self.files().contains(&name.as_str())
                    && (name != MANIFEST || self.manifest_matches(&path)))
            {
                Owner::Output
            } else {
                Owner::Foreign
            };
            found.push((path, owner));
        }
        Ok(found)
    }
}

/// Checks that `dir` may receive a tree of `kind`: it does not exist yet,
/// or holds nothing but a tree of the same kind (replaced whole when the
/// new one is written). A directory that holds anything else is refused
/// (one line, exit code 2) unless `force`, which replaces it whole.
pub fn check_out(dir: &Path, kind: TreeKind, force: bool) -> anyhow::Result<()> {
    if !dir.is_dir() || force {
        return Ok(());
    }
    let entries = kind.entries(dir).map_err(|e| {
        anyhow::anyhow!(
            "{}: cannot read the directory: {}",
            dir.display(),
            super::os_message(&e)
        )
    })?;
    if let Some((path, _)) = entries.iter().find(|(_, o)| *o == Owner::Foreign) {
        let what = path.strip_prefix(dir).unwrap_or(path).display().to_string();
        return Err(
            crate::error::InputError::Flag(crate::error::FieldError::new(
                "--out",
                dir.display().to_string(),
                format!(
                    "holds {what}, which no `schedlab {}` tree has: give a new or empty directory, \
                 or add --force to replace it whole",
                    if kind == TreeKind::Shard {
                        "sweep --shard"
                    } else {
                        kind.name()
                    }
                ),
            ))
            .into(),
        );
    }
    Ok(())
}

/// Removes `path`, a file or a directory with all it holds.
fn remove(path: &Path) -> anyhow::Result<()> {
    let result = if path.is_dir() && !path.is_symlink() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    };
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(anyhow::anyhow!(
            "{}: cannot remove: {}",
            path.display(),
            super::os_message(&e)
        )),
    }
}

/// Creates `dir` and its missing parents, recording those it created.
fn create_dirs(dir: &Path, created: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dirs(parent, created)?;
    }
    match std::fs::create_dir(dir) {
        Ok(()) => {
            created.push(dir.to_path_buf());
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(anyhow::anyhow!(
            "{}: cannot create directory: {}",
            dir.display(),
            super::os_message(&e)
        )),
    }
}
