//! `schedlab theory` as a user calls it.

use assert_cmd::Command;
use serde_json::Value;

fn theory(args: &[&str]) -> (Option<i32>, Value, String) {
    let out = Command::cargo_bin("schedlab")
        .unwrap()
        .arg("theory")
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let doc = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (
        out.status.code(),
        doc,
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn close(v: &Value, expected: f64, digits: i32) -> bool {
    v.as_f64()
        .is_some_and(|x| (x - expected).abs() < 0.5 * 10f64.powi(-digits))
}

#[test]
fn mmc_prints_the_documented_figures() {
    let (code, d, _) = theory(&[
        "mmc",
        "--lambda",
        "1.8",
        "--mu",
        "1",
        "--servers",
        "2",
        "--json",
        "--percentiles",
        "50,95,99",
    ]);
    assert_eq!(code, Some(0));
    assert_eq!(d["model"], "M/M/c");
    assert!(close(&d["rho"], 0.9, 6));
    assert!(close(&d["p_wait"], 0.8526, 4));
    assert!(close(&d["mean_wait"], 4.263, 3));
    assert!(close(&d["mean_response"], 5.263, 3));
    assert!(close(&d["mean_in_queue"], 7.674, 3));
    assert!(close(&d["mean_in_system"], 9.474, 3));
    // P(Wq > t) = C e^{-0.2 t}: the 95th percentile is ln(C/0.05)/0.2.
    assert!(close(
        &d["wait_percentiles"]["p95"],
        (0.852_631_578_9f64 / 0.05).ln() / 0.2,
        6
    ));
}

#[test]
fn unstable_is_an_answer_not_a_number() {
    let (code, d, _) = theory(&["mm1", "--lambda", "1.2", "--mu", "1", "--json"]);
    assert_eq!(code, Some(0));
    assert_eq!(d["stable"], false);
    assert!(d.get("mean_response").is_none());
    let out = Command::cargo_bin("schedlab")
        .unwrap()
        .args([
            "theory",
            "mmc",
            "--lambda",
            "3",
            "--mu",
            "1",
            "--servers",
            "2",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("unstable") && !text.contains("inf") && !text.contains("NaN"),
        "{text}"
    );
}

#[test]
fn bad_parameters_exit_2_with_the_flag_named() {
    for (args, flag) in [
        (vec!["mm1", "--lambda", "-1", "--mu", "1"], "--lambda"),
        (vec!["mmc", "--lambda", "1", "--mu", "1"], "--servers"),
        (
            vec![
                "mmck",
                "--lambda",
                "1",
                "--mu",
                "1",
                "--servers",
                "3",
                "--capacity",
                "2",
            ],
            "--capacity",
        ),
        (
            vec!["srpt", "--lambda", "0.5", "--service", "poisson:mean=1"],
            "--service",
        ),
        (vec!["priority", "--class", "0.3:1"], "--class"),
        (vec!["nonsense"], "MODEL"),
    ] {
        let (code, _, stderr) = theory(&args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
    }
}

#[test]
fn every_model_answers() {
    let cases: Vec<Vec<&str>> = vec![
        vec!["mm1", "--lambda", "0.8", "--mu", "1"],
        vec![
            "mmck",
            "--lambda",
            "2",
            "--mu",
            "1",
            "--servers",
            "2",
            "--capacity",
            "5",
        ],
        vec!["erlang-b", "--lambda", "10", "--mu", "1", "--servers", "10"],
        vec!["md1", "--lambda", "0.8", "--es", "1"],
        vec!["mg1", "--lambda", "0.7", "--es", "1", "--scv", "4"],
        vec!["priority", "--class", "0.3:1:1.5", "--class", "0.25:2:16"],
        vec!["ps", "--lambda", "0.7", "--es", "1"],
        vec!["srpt", "--lambda", "0.8", "--service", "exponential:mean=1"],
        vec![
            "fb",
            "--lambda",
            "0.7",
            "--service",
            "hyperexponential:mean=1,scv=4",
        ],
        vec![
            "kingman", "--lambda", "0.8", "--es", "1", "--ca2", "1", "--cs2", "0",
        ],
        vec![
            "allen-cunneen",
            "--lambda",
            "1.8",
            "--es",
            "1",
            "--servers",
            "2",
            "--ca2",
            "1",
            "--cs2",
            "0.5",
        ],
    ];
    for mut args in cases {
        args.push("--json");
        let (code, d, stderr) = theory(&args);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert!(d["model"].is_string(), "{args:?}");
    }
    // M/M/c/K by hand: p_n ∝ 1, 2, 2, 2, 2, 2, so p_block = 2/11.
    let (_, d, _) = theory(&[
        "mmck",
        "--lambda",
        "2",
        "--mu",
        "1",
        "--servers",
        "2",
        "--capacity",
        "5",
        "--json",
    ]);
    assert!(close(&d["p_block"], 2.0 / 11.0, 12));
    // Erlang B table value B(10, 10) = 0.2146.
    let (_, d, _) = theory(&[
        "erlang-b",
        "--lambda",
        "10",
        "--mu",
        "1",
        "--servers",
        "10",
        "--json",
    ]);
    assert!(close(&d["p_block"], 0.2146, 4));
    let (_, d, _) = theory(&[
        "kingman", "--lambda", "0.8", "--es", "1", "--ca2", "1", "--cs2", "1", "--json",
    ]);
    assert_eq!(d["kind"], "approximation");
}

#[test]
fn a_scenario_gets_its_formulas() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/mm2.toml");
    let (code, d, _) = theory(&[path, "--json"]);
    assert_eq!(code, Some(0));
    let rows = d["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["formula"], "erlang-c");
    assert!(close(&rows[0]["mean_response"], 5.263, 3));
}

#[test]
fn a_flag_the_formula_does_not_use_is_refused() {
    for (args, name) in [
        (
            vec!["mm1", "--lambda", "0.5", "--mu", "1", "--servers", "3"],
            "--servers",
        ),
        (
            vec![
                "mmck",
                "--lambda",
                "1",
                "--mu",
                "1",
                "--servers",
                "2",
                "--capacity",
                "4",
                "--es",
                "1",
            ],
            "--es",
        ),
        (
            vec!["md1", "--lambda", "0.5", "--es", "1", "--scv", "2"],
            "--scv",
        ),
        (
            vec!["ps", "--lambda", "0.5", "--es", "1", "--preemptive"],
            "--preemptive",
        ),
        (
            vec!["priority", "--class", "0.3:1:1.5", "--lambda", "1"],
            "--lambda",
        ),
        (
            vec![
                "mm1",
                "--lambda",
                "0.5",
                "--mu",
                "1",
                "--response-percentiles",
                "0.5",
            ],
            "--response-percentiles",
        ),
        (vec!["scenarios/mm2.toml", "--servers", "4"], "--servers"),
    ] {
        let (code, _, err) = theory(&args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.contains(name) && err.contains("does not use"),
            "{args:?}: {err}"
        );
    }
    // The flags a formula does use are all accepted.
    let (code, _, err) = theory(&[
        "mg1", "--lambda", "0.5", "--es", "1", "--scv", "2", "--json",
    ]);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn priority_shows_each_class_load_beside_the_cumulative_one() {
    let (code, d, err) = theory(&[
        "priority",
        "--class",
        "0.3:1:1.5",
        "--class",
        "0.25:2:16",
        "--json",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let classes = d["classes"].as_array().unwrap();
    assert!(close(&classes[0]["load"], 0.3, 9));
    assert!(close(&classes[0]["cumulative_load"], 0.3, 9));
    assert!(close(&classes[1]["load"], 0.5, 9));
    assert!(close(&classes[1]["cumulative_load"], 0.8, 9));
    // In the table too.
    let out = Command::cargo_bin("schedlab")
        .unwrap()
        .args([
            "theory",
            "priority",
            "--class",
            "0.3:1:1.5",
            "--class",
            "0.25:2:16",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("load=0.500000") && text.contains("cumulative_load=0.800000"),
        "{text}"
    );
}

/// P(T <= t) of M/M/c FCFS computed here independently: the Erlang C
/// probability from its defining sums, and the convolution of the
/// exponential wait with the service integrated numerically (Simpson).
fn mmc_response_cdf(lambda: f64, mu: f64, c: u32, t: f64) -> f64 {
    let a = lambda / mu;
    let rho = a / f64::from(c);
    let mut term = 1.0;
    let mut sum = 0.0;
    for k in 0..c {
        if k > 0 {
            term *= a / f64::from(k);
        }
        sum += term;
    }
    let last = term * a / f64::from(c) / (1.0 - rho);
    let erlang_c = last / (sum + last);
    let theta = f64::from(c) * mu - lambda;
    // ∫_0^t θ e^{-θx} (1 - e^{-μ(t-x)}) dx.
    let n = 20_000;
    let h = t / f64::from(n);
    let f = |x: f64| theta * (-theta * x).exp() * (1.0 - (-mu * (t - x)).exp());
    let mut integral = f(0.0) + f(t);
    for i in 1..n {
        let w = if i % 2 == 1 { 4.0 } else { 2.0 };
        integral += w * f(f64::from(i) * h);
    }
    integral *= h / 3.0;
    (1.0 - erlang_c) * (1.0 - (-mu * t).exp()) + erlang_c * integral
}

#[test]
fn mmc_response_percentiles_invert_the_response_time_distribution() {
    for (lambda, mu, c) in [
        (1.8, 1.0, 2u32),
        (8.5, 2.0, 5),
        (1.0, 1.0, 2),
        (0.5, 1.0, 1),
    ] {
        let (code, d, err) = theory(&[
            "mmc",
            "--lambda",
            &lambda.to_string(),
            "--mu",
            &mu.to_string(),
            "--servers",
            &c.to_string(),
            "--response-percentiles",
            "0.5,0.9,0.99",
            "--json",
        ]);
        assert_eq!(code, Some(0), "{err}");
        for (key, p) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)] {
            let t = d["response_percentiles"][key].as_f64().unwrap();
            let cdf = mmc_response_cdf(lambda, mu, c, t);
            assert!(
                (cdf - p).abs() < 1e-7,
                "M/M/{c} λ={lambda} μ={mu}: P(T <= {t}) = {cdf}, not {p}"
            );
        }
    }
    // M/M/1: exponential with rate μ − λ.
    let (_, d, _) = theory(&[
        "mmc",
        "--lambda",
        "0.5",
        "--mu",
        "1",
        "--servers",
        "1",
        "--response-percentiles",
        "0.9",
        "--json",
    ]);
    assert!(close(
        &d["response_percentiles"]["p90"],
        10f64.ln() / 0.5,
        9
    ));
    // Levels outside (0, 1) are refused.
    let (code, _, err) = theory(&[
        "mmc",
        "--lambda",
        "1",
        "--mu",
        "1",
        "--servers",
        "2",
        "--response-percentiles",
        "50",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--response-percentiles"), "{err}");
}
