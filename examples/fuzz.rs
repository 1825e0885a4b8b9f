//! A small mutation fuzzer on the stable toolchain: it mutates the bundled
//! inputs (scenarios, job lists, optimize CSVs, results trees) and the
//! kept corpus (`tests/corpus/TARGET/`) and feeds them to the targets of
//! `schedlab::fuzz`, each for its share of the time budget.
//!
//! ```sh
//! cargo run --release --example fuzz -- --seconds 60            # all targets, 15 s each
//! cargo run --release --example fuzz -- --seconds 30 --target scenario --seed 7
//! ```
//!
//! A failure (a panic, or an input that takes longer than `--slow` seconds)
//! is saved to `target/fuzz/failures/TARGET-HASH.txt`; keep it as a
//! regression by copying it to `tests/corpus/TARGET/` (replayed by
//! `cargo test`). A hang past the watchdog (4 × `--slow`) aborts the
//! process after saving the input to `target/fuzz/current-TARGET.txt`.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng, RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;

const INTERESTING: &[&str] = &[
    "0",
    "-1",
    "1",
    "0.5",
    "1e308",
    "-1e308",
    "1e-320",
    "5e-324",
    "1e-300",
    "nan",
    "inf",
    "-inf",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "9223372036854775807",
    "1e16",
    "1e300",
    "\"x\\ny\"",
    "\"\"",
    "[]",
    "[1e308, 1e308]",
    "{ time = 1e300 }",
    "{ jobs = 1000000000000000000 }",
    "\"/dev/stdin\"",
    "100000000",
];

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dirs: &[&str] = match target {
        "scenario" => &["scenarios", "scenarios/networks"],
        "jobs" => &["scenarios/jobs"],
        "optimize" => &["scenarios/optimize"],
        "workflow" => &["scenarios/workflows"],
        _ => &["results"],
    };
    let mut out = Vec::new();
    let add_dir = |dir: &Path, out: &mut Vec<Vec<u8>>| {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            let wanted = match target {
                "scenario" => p.extension().is_some_and(|e| e == "toml"),
                "results" => p.extension().is_some_and(|e| e == "csv"),
                "workflow" => p.extension().is_some_and(|e| e == "json" || e == "stg"),
                _ => p.is_file(),
            };
            if wanted
                && let Ok(bytes) = std::fs::read(&p)
                && bytes.len() < 1 << 20
            {
                out.push(bytes);
            }
        }
    };
    for d in dirs {
        add_dir(Path::new(d), &mut out);
    }
    if target == "results"
        && let Ok(entries) = std::fs::read_dir("results")
    {
        for e in entries.flatten() {
            add_dir(&e.path(), &mut out);
        }
    }
    add_dir(&Path::new("tests/corpus").join(target), &mut out);
    if out.is_empty() {
        out.push(b"id,size\na,1\n".to_vec());
    }
    out
}

fn mutate(rng: &mut Pcg64Mcg, input: &[u8], pool: &[Vec<u8>]) -> Vec<u8> {
    let mut data = input.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        match rng.random_range(0..7) {
            // Replace a number with an interesting value.
            0 | 1 => {
                let text = String::from_utf8_lossy(&data).into_owned();
                let numbers: Vec<(usize, usize)> = number_spans(&text);
                if let Some(&(a, b)) = numbers.get(rng.random_range(0..numbers.len().max(1))) {
                    let v = INTERESTING[rng.random_range(0..INTERESTING.len())];
                    data = format!("{}{}{}", &text[..a], v, &text[b..]).into_bytes();
                }
            }
            // Flip a byte.
            2 if !data.is_empty() => {
                let i = rng.random_range(0..data.len());
                data[i] ^= 1 << rng.random_range(0..8);
            }
            // Delete a range.
            3 if !data.is_empty() => {
                let a = rng.random_range(0..data.len());
                let b = (a + rng.random_range(1..32)).min(data.len());
                data.drain(a..b);
            }
            // Duplicate a line.
            4 => {
                let text = String::from_utf8_lossy(&data).into_owned();
                let lines: Vec<&str> = text.lines().collect();
                if !lines.is_empty() {
                    let i = rng.random_range(0..lines.len());
                    let mut out: Vec<&str> = lines.clone();
                    for _ in 0..rng.random_range(1..4) {
                        out.insert(i, lines[i]);
                    }
                    data = (out.join("\n") + "\n").into_bytes();
                }
            }
            // Splice a line of another input.
            5 => {
                let other = &pool[rng.random_range(0..pool.len())];
                let text = String::from_utf8_lossy(other).into_owned();
                let lines: Vec<&str> = text.lines().collect();
                if !lines.is_empty() {
                    let line = lines[rng.random_range(0..lines.len())];
                    let at = rng.random_range(0..=data.len());
                    let mut spliced = data[..at].to_vec();
                    spliced.extend_from_slice(line.as_bytes());
                    spliced.push(b'\n');
                    spliced.extend_from_slice(&data[at..]);
                    data = spliced;
                }
            }
            // Insert an interesting token anywhere.
            _ => {
                let at = rng.random_range(0..=data.len());
                let v = INTERESTING[rng.random_range(0..INTERESTING.len())];
                let mut out = data[..at].to_vec();
                out.extend_from_slice(v.as_bytes());
                out.extend_from_slice(&data[at..]);
                data = out;
            }
        }
    }
    data.truncate(1 << 16);
    data
}

/// Byte spans of the numbers in a text.
fn number_spans(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let a = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || b".+-".contains(&bytes[i]))
            {
                i += 1;
            }
            spans.push((a, i));
        } else {
            i += 1;
        }
    }
    spans
}

fn save(dir: &Path, target: &str, data: &[u8]) -> PathBuf {
    let mut h = DefaultHasher::new();
    data.hash(&mut h);
    let _ = std::fs::create_dir_all(dir);
    let path = dir.join(format!("{target}-{:016x}.txt", h.finish()));
    let _ = std::fs::write(&path, data);
    path
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let seconds: f64 = get("--seconds").map_or(60.0, |s| s.parse().expect("--seconds N"));
    let slow: f64 = get("--slow").map_or(2.0, |s| s.parse().expect("--slow SECONDS"));
    let seed: u64 = get("--seed").map_or(1, |s| s.parse().expect("--seed N"));
    let targets: Vec<String> = match get("--target") {
        Some(t) => vec![t],
        None => schedlab::fuzz::TARGETS
            .iter()
            .map(|s| s.to_string())
            .collect(),
    };
    // Panics are failures we report ourselves; keep the default message off.
    std::panic::set_hook(Box::new(|_| {}));
    let out = Path::new("target/fuzz");
    let failures_dir = out.join("failures");
    let _ = std::fs::create_dir_all(out);
    // Watchdog: an input running past 4 × --slow is a hang.
    let started_at = Arc::new(AtomicU64::new(u64::MAX));
    let current: Arc<Mutex<(String, Vec<u8>)>> = Arc::new(Mutex::new((String::new(), Vec::new())));
    let epoch = Instant::now();
    {
        let started_at = started_at.clone();
        let current = current.clone();
        let out = out.to_path_buf();
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(Duration::from_millis(100));
                let s = started_at.load(Ordering::SeqCst);
                if s != u64::MAX && epoch.elapsed().as_millis() as u64 - s > (4000.0 * slow) as u64
                {
                    let (target, data) = current.lock().unwrap().clone();
                    let path = out.join(format!("current-{target}.txt"));
                    let _ = std::fs::write(&path, &data);
                    eprintln!("HANG: {target} input saved to {}", path.display());
                    std::process::abort();
                }
            }
        });
    }
    let mut total_failures = 0;
    let share = seconds / targets.len() as f64;
    for target in &targets {
        let pool = seeds(target);
        let mut rng = Pcg64Mcg::seed_from_u64(seed ^ (target.len() as u64) << 32);
        let _ = rng.next_u64();
        let deadline = Instant::now() + Duration::from_secs_f64(share);
        let (mut runs, mut refused, mut failures) = (0u64, 0u64, 0u64);
        while Instant::now() < deadline {
            let base = &pool[rng.random_range(0..pool.len())];
            let data = if runs < pool.len() as u64 {
                pool[runs as usize].clone()
            } else {
                mutate(&mut rng, base, &pool)
            };
            *current.lock().unwrap() = (target.clone(), data.clone());
            started_at.store(epoch.elapsed().as_millis() as u64, Ordering::SeqCst);
            let t0 = Instant::now();
            let result = std::panic::catch_unwind(|| schedlab::fuzz::run(target, &data));
            let took = t0.elapsed().as_secs_f64();
            started_at.store(u64::MAX, Ordering::SeqCst);
            runs += 1;
            match result {
                Ok(Ok(())) => {}
                Ok(Err(_)) => refused += 1,
                Err(_) => {
                    failures += 1;
                    let p = save(&failures_dir, target, &data);
                    eprintln!("PANIC: {target}: saved {}", p.display());
                }
            }
            if took > slow {
                failures += 1;
                let p = save(&failures_dir, target, &data);
                eprintln!("SLOW ({took:.1} s): {target}: saved {}", p.display());
            }
        }
        println!(
            "{target:<9} {runs:>7} inputs, {refused:>7} refused with an error, {failures} failures ({} seeds)",
            pool.len()
        );
        total_failures += failures;
    }
    if total_failures > 0 {
        eprintln!(
            "{total_failures} failures, saved in {}",
            failures_dir.display()
        );
        std::process::exit(1);
    }
}
