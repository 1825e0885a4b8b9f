//! Helpers of the tests that drive the real thread-pool backend
//! (`validate*.rs`): one real-time test at a time, scenarios and policies
//! from text, the backend's configuration and the checks every real run
//! shares.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use assert_cmd::Command;
use schedlab::backend::{self, BackendConfig, RealRun, TaskRecord};
use schedlab::model::Scenario;
use schedlab::policy::{AnyPolicy, parse_policy_arg};

static REAL_TIME: Mutex<()> = Mutex::new(());

/// Real-time tests run one at a time: they measure the machine's clocks.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    REAL_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn scenario(text: &str) -> Scenario {
    Scenario::from_toml(text, Path::new("test.toml")).unwrap()
}

pub fn file(path: &str) -> Scenario {
    Scenario::from_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

pub fn policy(text: &str) -> AnyPolicy {
    let config = parse_policy_arg(text, "test").unwrap();
    AnyPolicy::from_config(&config, &Default::default()).unwrap()
}

/// `scale_us` µs of real time per model time unit, slices of 0.5.
pub fn config(scale_us: u64) -> BackendConfig {
    BackendConfig {
        time_scale: Duration::from_micros(scale_us),
        slice: 0.5,
    }
}

pub fn count(tasks: &[TaskRecord], f: impl Fn(&TaskRecord) -> bool) -> usize {
    tasks.iter().filter(|t| f(t)).count()
}

/// The accounting identity on both sides, every task final, `n` arrived.
pub fn balanced(real: &RealRun, sim: &backend::SimRun, n: u64) {
    for (side, ledgers) in [("real", &real.ledgers), ("sim", &sim.ledgers)] {
        for l in ledgers.iter() {
            assert!(l.balanced(), "{side}: {l}");
            assert_eq!(l.present, 0, "{side}: {l}");
        }
        assert_eq!(ledgers.iter().map(|l| l.arrived).sum::<u64>(), n, "{side}");
    }
}

/// Mean release lateness (time units) above which the machine is too
/// busy for the real run's timing to say anything about the backend.
pub const OVERLOADED: f64 = 0.05;

/// Whether the machine was too busy in this run to judge its timing.
pub fn busy(real: &RealRun) -> bool {
    let scale = real.time_scale.as_secs_f64();
    let late = backend::summary::mean(&real.release_lateness) / scale;
    if late > OVERLOADED {
        eprintln!("machine too busy (release lateness {late:.3} time units): timing not judged");
    }
    late > OVERLOADED
}

pub fn schedlab() -> Command {
    Command::cargo_bin("schedlab").expect("binary is built")
}
