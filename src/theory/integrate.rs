//! Numerical integration for the formulas that need it (SRPT, FB):
//! adaptive Simpson (Lyness, "Notes on the adaptive Simpson quadrature
//! routine", J. ACM 16 (1969)).

/// `∫_a^b f` to within about `tol` (absolute), by adaptive Simpson.
pub fn simpson(f: &dyn Fn(f64) -> f64, a: f64, b: f64, tol: f64) -> f64 {
    if b <= a {
        return 0.0;
    }
    let (fa, fm, fb) = (f(a), f(0.5 * (a + b)), f(b));
    let whole = (b - a) / 6.0 * (fa + 4.0 * fm + fb);
    step(f, a, b, fa, fm, fb, whole, tol, 48)
}

#[allow(clippy::too_many_arguments)]
fn step(
    f: &dyn Fn(f64) -> f64,
    a: f64,
    b: f64,
    fa: f64,
    fm: f64,
    fb: f64,
    whole: f64,
    tol: f64,
    depth: u32,
) -> f64 {
    let m = 0.5 * (a + b);
    let (lm, rm) = (0.5 * (a + m), 0.5 * (m + b));
    let (flm, frm) = (f(lm), f(rm));
    let left = (m - a) / 6.0 * (fa + 4.0 * flm + fm);
    let right = (b - m) / 6.0 * (fm + 4.0 * frm + fb);
    let delta = left + right - whole;
    if depth == 0 || delta.abs() <= 15.0 * tol {
        left + right + delta / 15.0
    } else {
        step(f, a, m, fa, flm, fm, left, 0.5 * tol, depth - 1)
            + step(f, m, b, fm, frm, fb, right, 0.5 * tol, depth - 1)
    }
}

/// `∫_a^b f` over a range spanning decades: split geometrically (a few
/// pieces per decade) and integrate each piece adaptively.
pub fn over_decades(f: &dyn Fn(f64) -> f64, a: f64, b: f64, rel_tol: f64, scale: f64) -> f64 {
    if b <= a {
        return 0.0;
    }
    let start = a.max(scale * 1e-9);
    let mut edges = vec![a];
    let mut x = start;
    while x < b {
        if x > a {
            edges.push(x);
        }
        x *= 10f64.powf(0.25);
    }
    edges.push(b);
    let tol = rel_tol * scale.max(1e-300) / edges.len() as f64;
    edges.windows(2).map(|w| simpson(f, w[0], w[1], tol)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrates_known_functions() {
        let r = simpson(&|x: f64| x.sin(), 0.0, std::f64::consts::PI, 1e-12);
        assert!((r - 2.0).abs() < 1e-10);
        let r = over_decades(&|x: f64| (-x).exp(), 0.0, 60.0, 1e-12, 1.0);
        assert!((r - 1.0).abs() < 1e-10, "{r}");
    }
}
