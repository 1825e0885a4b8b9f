//! A results tree: `results.csv` or `sweep.csv`, the distribution and
//! sample-path files, `manifest.json`, and `plots/*.png|svg`, written so
//! that an interrupted run leaves no half-written file.
//!
//! Every file is rendered in memory first. Then each is written to a
//! temporary file beside its target and renamed over it (atomic on POSIX
//! file systems). Ctrl-C before the writing starts ends the process at
//! once (nothing was written); during the writing it lets the current
//! rename finish, then stops with exit code 130.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use super::plot::Rendered;
use super::write_atomic;

/// Where pictures go inside a tree.
pub const PLOTS: &str = "plots";
/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";

/// Exit code after Ctrl-C, as shells report SIGINT.
pub const EXIT_INTERRUPTED: i32 = 130;

static WRITING: AtomicBool = AtomicBool::new(false);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs the Ctrl-C handler described in the module documentation.
/// Call once, early in `main`.
pub fn handle_interrupts() {
    let _ = ctrlc::set_handler(|| {
        if WRITING.load(Ordering::SeqCst) {
            INTERRUPTED.store(true, Ordering::SeqCst);
        } else {
            eprintln!("interrupted: nothing written");
            std::process::exit(EXIT_INTERRUPTED);
        }
    });
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

    /// Writes every file under `dir`, creating directories as needed.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        WRITING.store(true, Ordering::SeqCst);
        let result = self.write_all(dir);
        WRITING.store(false, Ordering::SeqCst);
        if INTERRUPTED.load(Ordering::SeqCst) {
            eprintln!("interrupted: {} holds only complete files", dir.display());
            std::process::exit(EXIT_INTERRUPTED);
        }
        result
    }

    fn write_all(&self, dir: &Path) -> anyhow::Result<()> {
        for (name, contents) in &self.files {
            if INTERRUPTED.load(Ordering::SeqCst) {
                break;
            }
            let path = dir.join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| {
                    anyhow::anyhow!("{}: cannot create directory: {e}", parent.display())
                })?;
            }
            write_atomic(&path, contents)
                .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", path.display()))?;
        }
        Ok(())
    }
}
