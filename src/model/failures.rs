//! A node's server failures: `failures = { up = .., down = .., running = .. }`.
//!
//! Each server alternates up and down periods drawn from `up` (time to
//! failure) and `down` (time to repair). The job a failing server runs
//! either waits on it and continues after the repair (`"resume"`), starts
//! its attempt over on the node's next free server (`"restart"`), or has
//! its attempt count as failed and follows its class's retry rules
//! (`"retry"`). `clock = "busy"` (an extension of the contract)
//! makes a server's up time run only while it serves, the model of
//! Avi-Itzhak and Naor ("Some queuing problems with the service station
//! subject to breakdown", Operations Research 11(3), 1963) in which a job
//! of work x under "resume" takes x plus the repairs of the Poisson(g x)
//! failures met, and the node is an M/G/1 with that completion time.

use std::path::Path;

use serde::Deserialize;

use super::Dist;
use super::dist::DistSpec;
use crate::error::FieldError;

/// What becomes of the job a failing server runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFailure {
    /// It waits on the server and continues after the repair.
    Resume,
    /// Its attempt starts over on the node's next free server.
    Restart,
    /// Its attempt counts as failed and follows the class's retry rules
    /// (without `[classes.attempts]`: another attempt at once, as `restart`
    /// but from the tail of the queue).
    Retry,
}

impl OnFailure {
    pub fn name(self) -> &'static str {
        match self {
            OnFailure::Resume => "resume",
            OnFailure::Restart => "restart",
            OnFailure::Retry => "retry",
        }
    }
}

/// When a server's time to failure runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClock {
    /// Always: an idle server fails too.
    Always,
    /// Only while the server serves a job.
    Busy,
}

/// A node's failure process, the same for each of its servers.
#[derive(Debug, Clone)]
pub struct NodeFailures {
    pub up: Dist,
    pub down: Dist,
    pub running: OnFailure,
    pub clock: FailureClock,
}

impl NodeFailures {
    /// Long-run fraction of time a server is up: MTTF / (MTTF + MTTR)
    /// (the alternating renewal theorem; e.g. Ross, "Stochastic
    /// Processes", 2nd ed., Thm 3.4.4), under the always-running clock.
    pub fn availability(&self) -> f64 {
        let (up, down) = (self.up.mean(), self.down.mean());
        up / (up + down)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFailures {
    up: DistSpec,
    down: DistSpec,
    running: Option<String>,
    clock: Option<String>,
}

impl RawFailures {
    /// Validates `nodes[j].failures`; `base` resolves relative paths of
    /// empirical distributions.
    pub fn build(&self, j: usize, base: &Path) -> Result<NodeFailures, FieldError> {
        let at = |f: &str| format!("nodes[{j}].failures.{f}");
        let up = Dist::from_spec(&self.up, &at("up"), base)?;
        let down = Dist::from_spec(&self.down, &at("down"), base)?;
        // A server must stay up for some time or nothing could ever run.
        if up.mean() <= 0.0 || !up.mean().is_finite() {
            return Err(FieldError::new(
                at("up"),
                format!("mean {}", up.mean()),
                "the time to failure needs a finite mean greater than 0",
            ));
        }
        if !down.mean().is_finite() {
            return Err(FieldError::new(
                at("down"),
                format!("mean {}", down.mean()),
                "the time to repair needs a finite mean",
            ));
        }
        let running = match self.running.as_deref() {
            None | Some("resume") => OnFailure::Resume,
            Some("restart") => OnFailure::Restart,
            Some("retry") => OnFailure::Retry,
            Some(other) => {
                return Err(FieldError::new(
                    at("running"),
                    format!("{other:?}"),
                    "expected \"resume\", \"restart\" or \"retry\"",
                ));
            }
        };
        let clock = match self.clock.as_deref() {
            None | Some("always") => FailureClock::Always,
            Some("busy") => FailureClock::Busy,
            Some(other) => {
                return Err(FieldError::new(
                    at("clock"),
                    format!("{other:?}"),
                    "expected \"always\" (servers fail idle or busy) or \"busy\" (only while serving)",
                ));
            }
        };
        Ok(NodeFailures {
            up,
            down,
            running,
            clock,
        })
    }
}
