//! Shards of a sweep: its units (point x policy x replication) cut into N
//! shares that run anywhere (a Slurm job array, GNU parallel, by hand),
//! each writing a shard file, and merged into the very results a single
//! run of the sweep gives.
//!
//! A shard file holds the per-replication totals of its units (not the
//! jobs), the scenario text and the sweep's definition (the overrides of
//! the command line), and a fingerprint of both. The merge rebuilds the
//! scenario and the sweep from the definition, checks that every shard
//! belongs to the same sweep, that none is missing or given twice, and that
//! each holds exactly its share, then aggregates with the same function as
//! the unsharded sweep ([`sweep::aggregate`]), in the same order: the
//! numbers are equal bit for bit.
//!
//! Shares are balanced by expected work, the jobs a unit simulates
//! (warm-up and horizon; a time limit counts as time x arrival rate):
//! units are dealt heaviest first, each to the least loaded shard, the
//! lower index on ties. With equal units that is round robin in the order
//! point, policy, replication, so every shard gets a slice of every point.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{FieldError, InputError};
use crate::model::{Limit, Scenario};
use crate::sweep::{self, Sweep, SweepOutput, Unit, UnitResult};

/// The version of the shard file format.
pub const FORMAT: u32 = 1;
/// The file a shard writes into its directory.
pub const FILE: &str = "shard.json";
/// Most shards of one sweep.
pub const MAX_SHARDS: usize = 1_000_000;

/// What the command line changed in the scenario: with the scenario's
/// text, the whole definition of a sweep.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    pub seed: Option<u64>,
    pub replications: Option<u32>,
    pub jobs: Option<u64>,
    pub compare: Option<String>,
    pub param: Option<String>,
    pub values: Option<String>,
}

/// The contents of a shard file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardFile {
    /// The format version, [`FORMAT`].
    pub schedlab_shard: u32,
    pub schedlab: String,
    /// Of the version, the scenario text and the definition ([`fingerprint`]).
    pub fingerprint: String,
    /// This shard's index K, from 0, and the number of shards N.
    pub shard: usize,
    pub shards: usize,
    /// The scenario file, by absolute path (it anchors files the scenario names).
    pub scenario_file: String,
    pub scenario: String,
    pub sweep: Definition,
    /// For readers: what the sweep resolved to.
    pub param: String,
    pub values: Vec<f64>,
    pub policies: Vec<String>,
    pub replications: u32,
    pub seed: u64,
    /// Units of the whole sweep, and this shard's, in the order point,
    /// policy, replication.
    pub sweep_units: usize,
    pub units: Vec<UnitResult>,
}

/// FNV-1a, 64 bits: a checksum against mixing shards of different
/// sweeps, not a defence against forgery.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // A separator, so that ("ab", "c") and ("a", "bc") differ.
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The fingerprint of a sweep: its schedlab version, scenario text and
/// definition. Shards of one sweep share it; it does not cover files the
/// scenario reads (empirical distributions), which must be the same
/// wherever the shards run.
pub fn fingerprint(version: &str, scenario: &str, definition: &Definition) -> String {
    let def = serde_json::to_string(definition).expect("a definition serialises");
    format!(
        "fnv1a64:{:016x}",
        fnv1a(&[
            b"schedlab sweep",
            version.as_bytes(),
            scenario.as_bytes(),
            def.as_bytes()
        ])
    )
}

/// Parses `K/N` (0 <= K < N).
pub fn parse_shard(text: &str, flag: &str) -> Result<(usize, usize), FieldError> {
    let bad = |msg: &str| FieldError::new(flag, text, msg);
    let (k, n) = text
        .split_once('/')
        .ok_or_else(|| bad("write K/N: shard K (from 0) of N, e.g. 0/4"))?;
    let k: usize = k
        .trim()
        .parse()
        .map_err(|_| bad("K in K/N must be a whole number from 0"))?;
    let n: usize = n
        .trim()
        .parse()
        .map_err(|_| bad("N in K/N must be a whole number from 1"))?;
    if n == 0 {
        return Err(bad("N in K/N must be at least 1"));
    }
    if n > MAX_SHARDS {
        return Err(bad(&format!("N in K/N must be at most {MAX_SHARDS}")));
    }
    if k >= n {
        return Err(bad(&format!(
            "K in K/N counts from 0: shard {k} of {n} does not exist (the last is {})",
            n - 1
        )));
    }
    Ok((k, n))
}

/// Jobs a limit simulates at arrival rate `rate`.
fn jobs(limit: Limit, rate: f64) -> f64 {
    match limit {
        Limit::Jobs(n) => n as f64,
        Limit::Time(t) => t * rate,
    }
}

/// A unit's expected work, in jobs simulated (at least 1).
fn weight(s: &Scenario) -> u64 {
    let rate: f64 = (0..s.classes.len()).map(|k| s.arrival_rate(k)).sum();
    let w = jobs(s.warmup, rate) + jobs(s.horizon, rate);
    if w.is_finite() && w >= 1.0 {
        w.min(1e18) as u64
    } else {
        1
    }
}

/// The shard of every unit of `units` (as [`sweep::units`] lists them),
/// out of `n`, as described in the module documentation.
pub fn assignment(points: &[Scenario], units: &[Unit], n: usize) -> Vec<usize> {
    let weights: Vec<u64> = points.iter().map(weight).collect();
    let mut order: Vec<usize> = (0..units.len()).collect();
    // Stable: equal weights keep the order point, policy, replication.
    order.sort_by_key(|&i| Reverse(weights[units[i].point]));
    let mut heap: BinaryHeap<Reverse<(u64, usize)>> = (0..n).map(|k| Reverse((0, k))).collect();
    let mut shard = vec![0; units.len()];
    for i in order {
        let Reverse((load, k)) = heap.pop().expect("n >= 1 shards");
        shard[i] = k;
        heap.push(Reverse((load.saturating_add(weights[units[i].point]), k)));
    }
    shard
}

/// The units of shard `k` of `n`, in the order point, policy, replication.
pub fn share(points: &[Scenario], k: usize, n: usize) -> Vec<Unit> {
    let units = sweep::units(points);
    let shard = assignment(points, &units, n);
    units
        .into_iter()
        .zip(shard)
        .filter(|&(_, s)| s == k)
        .map(|(u, _)| u)
        .collect()
}

/// Runs the units of shard `k` of `n` (in parallel on the current rayon
/// pool), calling `tick` after each.
pub fn run(points: &[Scenario], k: usize, n: usize, tick: &(dyn Fn() + Sync)) -> Vec<UnitResult> {
    share(points, k, n)
        .into_par_iter()
        .map(|u| {
            let r = sweep::run_unit(points, u);
            tick();
            r
        })
        .collect()
}

/// A shard file as read, with where it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The file itself (`DIR/shard.json` when a directory was given).
    pub path: PathBuf,
    pub file: ShardFile,
}

/// Where the shard file of `path` (a shard's directory or its file) is.
pub fn file_of(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join(FILE)
    } else {
        path.to_path_buf()
    }
}

/// Reads and parses a shard file (or a shard's directory).
pub fn read(path: &Path) -> Result<Loaded, InputError> {
    let path = file_of(path);
    let text = std::fs::read(&path).map_err(|source| InputError::Read {
        path: path.clone(),
        source,
    })?;
    let file = parse(&text, &path)?;
    Ok(Loaded { path, file })
}

/// Parses the text of a shard file; `path` names it in errors, with the
/// line, and the field at fault when the JSON is well formed.
pub fn parse(text: &[u8], path: &Path) -> Result<ShardFile, InputError> {
    // The fast reader first; the one that tracks field paths only to
    // describe an error.
    let e = match serde_json::from_slice::<ShardFile>(text) {
        Ok(file) => return check_header(file, path),
        Err(e) => e,
    };
    if !e.is_data() {
        return Err(InputError::Syntax {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: format!("not a complete shard file (corrupt or truncated): {e}"),
        });
    }
    let mut de = serde_json::Deserializer::from_slice(text);
    let field = match serde_path_to_error::deserialize::<_, ShardFile>(&mut de) {
        Err(e) => e.path().to_string(),
        Ok(_) => ".".into(),
    };
    Err(InputError::Schema {
        path: path.to_path_buf(),
        line: e.line(),
        field,
        message: format!("not a shard file of this schedlab: {e}"),
    })
}

fn check_header(file: ShardFile, path: &Path) -> Result<ShardFile, InputError> {
    let bad = |field: &str, value: String, message: String| InputError::Field {
        path: path.to_path_buf(),
        error: FieldError::new(field, value, message),
    };
    if file.schedlab_shard != FORMAT {
        return Err(bad(
            "schedlab_shard",
            file.schedlab_shard.to_string(),
            format!("this schedlab reads shard format {FORMAT}"),
        ));
    }
    let own = fingerprint(&file.schedlab, &file.scenario, &file.sweep);
    if file.fingerprint != own {
        return Err(bad(
            "fingerprint",
            file.fingerprint.clone(),
            format!(
                "does not match the file's own scenario and sweep ({own}): the file was altered"
            ),
        ));
    }
    if file.shards == 0 || file.shards > MAX_SHARDS || file.shard >= file.shards {
        return Err(bad(
            "shard",
            format!("{}/{}", file.shard, file.shards),
            "no such shard".into(),
        ));
    }
    Ok(file)
}

/// Checks that `shards` are all the shards of one sweep, each once, and
/// returns them in shard order.
pub fn check_set(mut shards: Vec<Loaded>) -> Result<Vec<Loaded>, InputError> {
    let Some(first) = shards.first() else {
        return Err(InputError::Flag(FieldError::new(
            "SHARD",
            "(missing)",
            "give the shards to merge, e.g. DIR/shard-*",
        )));
    };
    let (fp, n, version) = (
        first.file.fingerprint.clone(),
        first.file.shards,
        first.file.schedlab.clone(),
    );
    let first_path = first.path.clone();
    for s in &shards {
        let bad = |field: &str, value: String, message: String| InputError::Field {
            path: s.path.clone(),
            error: FieldError::new(field, value, message),
        };
        if s.file.fingerprint != fp {
            return Err(bad(
                "fingerprint",
                s.file.fingerprint.clone(),
                format!(
                    "a shard of another sweep than {} ({fp}, schedlab {version}): \
                     scenario or sweep definition differ",
                    first_path.display()
                ),
            ));
        }
        if s.file.shards != n {
            return Err(bad(
                "shards",
                s.file.shards.to_string(),
                format!(
                    "the sweep was cut into {n} shards in {}",
                    first_path.display()
                ),
            ));
        }
    }
    shards.sort_by_key(|s| s.file.shard);
    for w in shards.windows(2) {
        if w[0].file.shard == w[1].file.shard {
            return Err(InputError::Field {
                path: w[1].path.clone(),
                error: FieldError::new(
                    "shard",
                    format!("{}/{n}", w[1].file.shard),
                    format!("given twice: also {}", w[0].path.display()),
                ),
            });
        }
    }
    if shards.len() < n {
        let present: std::collections::HashSet<usize> =
            shards.iter().map(|s| s.file.shard).collect();
        let missing: Vec<usize> = (0..n).filter(|k| !present.contains(k)).collect();
        // Shards are DIR/shard-K (holding shard.json) by convention.
        let dir = if first_path.file_name() == Some(FILE.as_ref()) {
            first_path.parent().and_then(Path::parent)
        } else {
            first_path.parent()
        }
        .unwrap_or(Path::new("."));
        let list: Vec<String> = missing.iter().take(10).map(|k| k.to_string()).collect();
        let more = if missing.len() > 10 { ", ..." } else { "" };
        return Err(InputError::Field {
            path: dir.join(format!("shard-{}", missing[0])),
            error: FieldError::new(
                "shard",
                format!("{}/{n}", missing[0]),
                format!(
                    "missing: {} of {n} shard(s) not given (K = {}{more})",
                    missing.len(),
                    list.join(", ")
                ),
            ),
        });
    }
    Ok(shards)
}

/// Merges a checked set of shards (see [`check_set`]) of the sweep
/// `sweep` of `base` (rebuilt from the shards' definition): each shard
/// must hold exactly its share, and every unit's totals must rebuild.
pub fn merge(shards: &[Loaded], base: &Scenario, sweep: &Sweep) -> Result<SweepOutput, InputError> {
    let points = sweep::points(base, sweep).map_err(|error| InputError::Field {
        path: shards[0].path.clone(),
        error,
    })?;
    let units = sweep::units(&points);
    let n = shards.len();
    let shard_of = assignment(&points, &units, n);
    let mut expected: Vec<Vec<Unit>> = vec![Vec::new(); n];
    for (u, &k) in units.iter().zip(&shard_of) {
        expected[k].push(*u);
    }
    // Every unit's result, in the order point, policy, replication, with
    // the file it came from.
    let mut slots: Vec<Option<(&UnitResult, &Path)>> = vec![None; units.len()];
    let index = |u: &Unit| {
        let s = &points[u.point];
        (u.point * s.policies.len() + u.policy) * s.replications as usize + u.replication as usize
    };
    for s in shards {
        let mine = &expected[s.file.shard];
        let got: Vec<Unit> = s.file.units.iter().map(UnitResult::unit).collect();
        if &got != mine || s.file.sweep_units != units.len() {
            return Err(InputError::Field {
                path: s.path.clone(),
                error: FieldError::new(
                    "units",
                    format!("{} unit(s)", got.len()),
                    format!(
                        "not the share of shard {} of {n} ({} of the sweep's {} units): \
                         the file was altered",
                        s.file.shard,
                        mine.len(),
                        units.len()
                    ),
                ),
            });
        }
        for r in &s.file.units {
            slots[index(&r.unit())] = Some((r, s.path.as_path()));
        }
    }
    let per_pair = base.replications as usize;
    let pairs: Vec<(usize, usize)> = (0..points.len())
        .flat_map(|p| (0..base.policies.len()).map(move |k| (p, k)))
        .collect();
    let groups = pairs
        .par_iter()
        .enumerate()
        .map(|(g, &(point, policy))| {
            let mine = &slots[g * per_pair..(g + 1) * per_pair];
            let results: Vec<&UnitResult> = mine
                .iter()
                .map(|s| s.expect("every unit checked present").0)
                .collect();
            sweep::aggregate(&points[point], policy, &results).map_err(|e| {
                // Name the file of the unit that does not rebuild.
                let bad = mine
                    .iter()
                    .flatten()
                    .find(|(r, _)| r.check(&points[point]).is_err())
                    .map_or(shards[0].path.as_path(), |(_, p)| p);
                InputError::Field {
                    path: bad.to_path_buf(),
                    error: FieldError::new(
                        format!("units (point {point}, policy {policy}).{}", e.field),
                        "(stored)",
                        e.message,
                    ),
                }
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(sweep::assemble(sweep, &points, groups))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: &str = r#"
name = "t"
replications = 3
horizon = { jobs = 100 }
[[classes]]
name = "a"
arrival = { dist = "exponential", rate = 0.5 }
service = { dist = "exponential", mean = 1.0 }
[[nodes]]
name = "n"
servers = 1
[policy]
compare = ["fcfs", "ps"]
"#;

    fn points(values: &[f64], horizon: &str) -> Vec<Scenario> {
        let text = SCENARIO.replace("horizon = { jobs = 100 }", horizon);
        let s = Scenario::from_toml(&text, Path::new("t.toml")).unwrap();
        let sweep =
            Sweep::new(&s, "load", &sweep::Values::List(values.to_vec()), "p", "v").unwrap();
        sweep::points(&s, &sweep).unwrap()
    }

    #[test]
    fn shares_cover_every_unit_once_and_balance_the_work() {
        for (horizon, values) in [
            ("horizon = { jobs = 100 }", vec![0.1, 0.5, 0.9]),
            // A time horizon: work grows with the load.
            ("horizon = { time = 1000.0 }", vec![0.1, 0.2, 0.4, 0.8, 0.9]),
        ] {
            let pts = points(&values, horizon);
            let all = sweep::units(&pts);
            for n in [1, 2, 3, 7, 40] {
                let mut seen: Vec<Unit> = (0..n).flat_map(|k| share(&pts, k, n)).collect();
                seen.sort();
                assert_eq!(seen, all, "n = {n}");
                let loads: Vec<u64> = (0..n)
                    .map(|k| {
                        share(&pts, k, n)
                            .iter()
                            .map(|u| weight(&pts[u.point]))
                            .sum()
                    })
                    .collect();
                let heaviest = pts.iter().map(weight).max().unwrap();
                let (lo, hi) = (loads.iter().min().unwrap(), loads.iter().max().unwrap());
                assert!(hi - lo <= heaviest, "n = {n}: {loads:?}");
                assert_eq!(
                    share(&pts, n - 1, n),
                    share(&pts, n - 1, n),
                    "deterministic"
                );
            }
        }
    }

    #[test]
    fn shard_flags_are_checked() {
        assert_eq!(parse_shard("2/3", "--shard").unwrap(), (2, 3));
        for bad in ["0/0", "4/3", "3/3", "x/3", "1", "-1/3", "1/-3", ""] {
            let e = parse_shard(bad, "--shard").unwrap_err();
            assert_eq!(e.field, "--shard", "{bad}");
        }
    }

    #[test]
    fn the_fingerprint_moves_with_the_scenario_and_the_definition() {
        let d = Definition::default();
        let a = fingerprint("0.1.0", "x", &d);
        assert_eq!(a, fingerprint("0.1.0", "x", &d));
        assert_ne!(a, fingerprint("0.1.0", "y", &d));
        assert_ne!(a, fingerprint("0.1.1", "x", &d));
        let seeded = Definition { seed: Some(1), ..d };
        assert_ne!(a, fingerprint("0.1.0", "x", &seeded));
    }
}
