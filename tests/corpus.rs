//! Replays every input kept in `tests/corpus/TARGET/` (inputs that once
//! failed, found by hand or by `cargo run --release --example fuzz`)
//! through its fuzz target: each must return, an error being fine,
//! without panicking and within a loose time bound.

use std::path::Path;
use std::time::{Duration, Instant};

#[test]
fn every_corpus_input_is_handled_quickly_without_a_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut replayed = 0;
    for target in schedlab::fuzz::TARGETS {
        let dir = root.join(target);
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .flatten()
            .map(|e| e.path())
            .collect();
        paths.sort();
        for path in paths {
            let data = std::fs::read(&path).unwrap();
            let started = Instant::now();
            let result = std::panic::catch_unwind(|| schedlab::fuzz::run(target, &data));
            assert!(result.is_ok(), "{}: panicked", path.display());
            let took = started.elapsed();
            assert!(
                took < Duration::from_secs(10),
                "{}: took {took:?}",
                path.display()
            );
            replayed += 1;
        }
    }
    assert!(replayed >= 20, "only {replayed} corpus inputs");
}
