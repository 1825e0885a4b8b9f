//! Subcommands whose work is more than a call into the library.

/// `schedlab optimize`: optimal bounds (kept apart so that other subcommands merge cleanly).
pub mod optimize;

pub mod gantt;
pub mod merge;
pub mod plot;
pub mod run;
pub mod size;
pub mod sweep;
pub mod theory;
pub mod validate;
pub mod workflow;

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar on stderr counting `total` replications. Hidden when
/// stderr is not a terminal; with `after`, hidden until that much time has
/// passed, so that short runs print nothing but their results.
pub struct Progress {
    bar: ProgressBar,
    started: Instant,
    after: Duration,
    terminal: bool,
}

impl Progress {
    pub fn new(total: u64, after: Duration) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden())
            .with_style(
                ProgressStyle::with_template(
                    "{spinner} {elapsed_precise} [{bar:40}] {pos}/{len} replications, eta {eta}",
                )
                .expect("the template is valid")
                .progress_chars("=> "),
            );
        let progress = Progress {
            bar,
            started: Instant::now(),
            after,
            terminal,
        };
        progress.show_when_due();
        progress
    }

    fn show_when_due(&self) {
        if self.terminal && self.bar.is_hidden() && self.started.elapsed() >= self.after {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.bar.enable_steady_tick(Duration::from_millis(250));
        }
    }

    /// One more replication done.
    pub fn inc(&self) {
        self.bar.inc(1);
        self.show_when_due();
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
