//! Pictures, drawn with plotters and an embedded DejaVu font, so no system
//! font or library is needed. Colours are the Okabe-Ito palette, which
//! readers with colour-vision deficiencies can tell apart; series also
//! differ by marker or dash so a grey-scale print still reads.
//!
//! Every picture is rendered in memory, as SVG text or PNG bytes, before
//! anything is written, and the same data gives the same bytes.

mod charts;
mod gantt;

use std::ops::Range;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

pub use charts::{run_pictures, sweep_pictures};
pub use gantt::{
    Block, GanttPicture, LaneChart, LanePicture, Link, gantt_svg, write_gantt, write_lanes,
};

/// Okabe & Ito, "Color universal design" (2008).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
];

/// The colour of series `i`; yellow is skipped, too pale for thin lines.
pub fn colour(i: usize) -> RGBColor {
    const ORDER: [usize; 7] = [0, 1, 2, 5, 3, 4, 7];
    PALETTE[ORDER[i % ORDER.len()]]
}

/// Registers the embedded font once; plotters has no other font here.
pub fn fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for style in [FontStyle::Normal, FontStyle::Bold] {
            // The bytes are a valid TTF shipped by the dejavu crate.
            let _ = register_font("sans-serif", style, dejavu::sans::regular());
        }
    });
}

/// Turns a drawing error into an error of ours.
pub(crate) fn draw_err<E: std::error::Error + Send + Sync + 'static>(
    e: DrawingAreaErrorKind<E>,
) -> anyhow::Error {
    anyhow::anyhow!("drawing failed: {e}")
}

/// Something that can be drawn on any plotters backend.
pub trait Picture {
    /// Width and height in pixels: readable on a slide.
    fn size(&self) -> (u32, u32) {
        (1280, 800)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static;
}

/// The picture as SVG text.
pub fn svg(p: &impl Picture) -> anyhow::Result<String> {
    fonts();
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, p.size()).into_drawing_area();
        p.draw(&root)?;
        root.present().map_err(draw_err)?;
    }
    Ok(text)
}

/// The picture as PNG bytes.
pub fn png(p: &impl Picture) -> anyhow::Result<Vec<u8>> {
    fonts();
    let (w, h) = p.size();
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        p.draw(&root)?;
        root.present().map_err(draw_err)?;
    }
    let mut bytes = Vec::new();
    {
        let mut encoder = ::png::Encoder::new(&mut bytes, w, h);
        encoder.set_color(::png::ColorType::Rgb);
        encoder.set_depth(::png::BitDepth::Eight);
        // Charts are mostly flat colour: the best compression makes them
        // several times smaller for a few milliseconds more.
        encoder.set_compression(::png::Compression::Best);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&rgb)?;
    }
    Ok(bytes)
}

/// A named picture ready to be written: `NAME.svg` and `NAME.png`.
pub struct Rendered {
    pub name: String,
    pub svg: String,
    pub png: Vec<u8>,
}

/// Renders a picture in both formats.
pub fn render(name: &str, p: &impl Picture) -> anyhow::Result<Rendered> {
    Ok(Rendered {
        name: name.to_string(),
        svg: svg(p)?,
        png: png(p)?,
    })
}

/// A tick label: at most four significant digits, no trailing zeros.
pub fn tick(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-3..1e6).contains(&a) {
        return format!("{v:.1e}");
    }
    let decimals = (3 - a.log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// An axis: its range, whether it is logarithmic, and whether its values
/// are whole numbers (servers), which then get whole ticks only.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub range: Range<f64>,
    pub log: bool,
    pub title: String,
    pub integer: bool,
}

/// Values spanning more than this ratio get a logarithmic axis.
const DECADES_FOR_LOG: f64 = 30.0;

impl Axis {
    /// An axis covering `values` with a margin; logarithmic when they are
    /// all positive and span decades (and `allow_log`), else from 0 when
    /// they are all non-negative.
    pub fn fit(values: impl IntoIterator<Item = f64>, title: &str, allow_log: bool) -> Axis {
        Axis::fitted(values, title, allow_log, true)
    }

    /// An axis spanning `values` with a small margin, not stretched to 0:
    /// for what was chosen (the swept values) or for an interval of time.
    pub fn span(values: impl IntoIterator<Item = f64>, title: &str, allow_log: bool) -> Axis {
        Axis::fitted(values, title, allow_log, false)
    }

    fn fitted(
        values: impl IntoIterator<Item = f64>,
        title: &str,
        allow_log: bool,
        from_zero: bool,
    ) -> Axis {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values.into_iter().filter(|v| v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if !lo.is_finite() {
            (lo, hi) = (0.0, 1.0);
        }
        let log = allow_log && lo > 0.0 && hi / lo > DECADES_FOR_LOG;
        let range = if log {
            lo / 1.25..hi * 1.25
        } else {
            let pad = if hi > lo {
                0.05 * (hi - lo)
            } else {
                0.5 * hi.abs().max(1.0)
            };
            let start = if from_zero && lo >= 0.0 {
                0.0
            } else if lo >= 0.0 && lo - pad < 0.0 {
                // A margin never reaches below zero for non-negative data.
                0.0
            } else {
                lo - pad
            };
            start..hi + pad
        };
        Axis {
            range,
            log,
            title: title.to_string(),
            integer: false,
        }
    }

    /// The same axis with whole-number ticks only.
    pub fn whole(self) -> Axis {
        Axis {
            integer: true,
            ..self
        }
    }

    /// An axis for points with error bars: whether it is logarithmic is
    /// decided by the points alone (a wide interval reaching below zero
    /// must not flatten a curve that spans decades); the range also covers
    /// the bars, or on a log axis their positive ends.
    pub fn fit_with_bars(
        points: impl IntoIterator<Item = f64>,
        bars: impl IntoIterator<Item = f64>,
        title: &str,
    ) -> Axis {
        let points: Vec<f64> = points.into_iter().collect();
        let log = Axis::fit(points.iter().copied(), title, true).log;
        let all = points
            .into_iter()
            .chain(bars.into_iter().filter(|b| !log || *b > 0.0));
        let mut axis = Axis::fit(all, title, log);
        axis.log = log;
        axis
    }

    /// The axis title, saying when the scale is logarithmic, inside the
    /// title's own parenthesis when it ends with one (never "(a) (b)").
    pub fn label(&self) -> String {
        if !self.log {
            return self.title.clone();
        }
        match self.title.strip_suffix(')') {
            Some(head) if head.contains('(') => format!("{head}, log scale)"),
            _ => format!("{} (log scale)", self.title),
        }
    }

    /// Where the ticks go on `pixels` of axis: the densest set of round
    /// values whose labels (as wide as `extent` says) keep `gap` pixels
    /// apart; whole numbers only on an integer axis.
    pub fn ticks(&self, pixels: f64, extent: impl Fn(&str) -> f64, gap: f64) -> Vec<f64> {
        let (a, b) = (self.range.start, self.range.end);
        if !(a.is_finite() && b.is_finite() && b > a) {
            return Vec::new();
        }
        let pos = |v: f64| {
            if self.log {
                (v.ln() - a.ln()) / (b.ln() - a.ln()) * pixels
            } else {
                (v - a) / (b - a) * pixels
            }
        };
        let apart = |ticks: &[f64]| {
            ticks.windows(2).all(|w| {
                let room = pos(w[1]) - pos(w[0]);
                room >= 0.5 * (extent(&tick(w[0])) + extent(&tick(w[1]))) + gap
            })
        };
        let whole = |ticks: Vec<f64>| -> Vec<f64> {
            if self.integer {
                ticks.into_iter().filter(|t| t.fract() == 0.0).collect()
            } else {
                ticks
            }
        };
        if self.log && a > 0.0 {
            let (k0, k1) = (a.log10().floor() as i32, b.log10().ceil() as i32);
            let decade = |mantissas: &[f64], every: i32| -> Vec<f64> {
                let mut out = Vec::new();
                for k in k0..=k1 {
                    if k.rem_euclid(every) != 0 {
                        continue;
                    }
                    for m in mantissas {
                        let v = m * 10f64.powi(k);
                        if (a..=b).contains(&v) {
                            out.push(v);
                        }
                    }
                }
                whole(out)
            };
            let candidates = [
                decade(&[1.0, 2.0, 5.0], 1),
                decade(&[1.0, 3.0], 1),
                decade(&[1.0], 1),
                decade(&[1.0], 2),
                decade(&[1.0], 3),
                decade(&[1.0], 5),
            ];
            if candidates[2].len() >= 2 || candidates[0].len() >= 2 {
                if let Some(t) = candidates.iter().find(|t| t.len() >= 2 && apart(t)) {
                    return t.clone();
                }
                if let Some(t) = candidates.iter().rev().find(|t| !t.is_empty()) {
                    return t[..1].to_vec();
                }
            }
            // Less than a decade without round values: linear ticks.
        }
        let mut last = Vec::new();
        for e in -15..=15 {
            for m in [1.0, 2.0, 5.0] {
                let step = m * 10f64.powi(e);
                if self.integer && step < 1.0 {
                    continue;
                }
                let (i0, i1) = ((a / step).ceil(), (b / step).floor());
                if i1 - i0 > 400.0 {
                    continue;
                }
                let ticks: Vec<f64> = (i0 as i64..=i1 as i64)
                    .map(|i| {
                        // Round away the binary noise of i * step (0.30000000000000004).
                        let v = i as f64 * step;
                        if e < 0 {
                            let scale = 10f64.powi(-e);
                            (v * scale).round() / scale
                        } else {
                            v
                        }
                    })
                    .collect();
                if ticks.len() < 2 || apart(&ticks) {
                    return ticks;
                }
                last = ticks;
            }
        }
        last.truncate(1);
        last
    }
}

/// The width of a label in pixels, in the embedded font at `size`.
pub fn text_width(text: &str, size: u32) -> f64 {
    fonts();
    ("sans-serif", size).into_font().box_size(text).map_or(
        0.6 * f64::from(size) * text.chars().count() as f64,
        |(w, _)| f64::from(w),
    )
}

/// A linear or logarithmic coordinate with the ticks of [`Axis::ticks`].
pub struct Scaled {
    linear: Option<plotters::coord::types::RangedCoordf64>,
    log: Option<plotters::coord::combinators::LogCoord<f64>>,
    ticks: Vec<f64>,
}

impl Scaled {
    /// The coordinate of `axis` on `pixels` of screen, its labels at
    /// `size`; `across` when they stand side by side (a horizontal axis),
    /// else they stack (a vertical one).
    pub fn new(axis: &Axis, pixels: f64, size: u32, across: bool) -> Scaled {
        let ticks = if across {
            axis.ticks(pixels, |s| text_width(s, size), 0.8 * f64::from(size))
        } else {
            axis.ticks(pixels, |_| f64::from(size), 0.8 * f64::from(size))
        };
        let r = axis.range.clone();
        if axis.log {
            Scaled {
                linear: None,
                log: Some(r.log_scale().into()),
                ticks,
            }
        } else {
            Scaled {
                linear: Some(r.into()),
                log: None,
                ticks,
            }
        }
    }
}

impl Scaled {
    /// The coordinate of `axis` with the ticks given.
    pub fn with_ticks(axis: &Axis, ticks: Vec<f64>) -> Scaled {
        let mut s = Scaled::new(axis, 1.0, 1, true);
        s.ticks = ticks;
        s
    }
}

impl plotters::coord::ranged1d::Ranged for Scaled {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        match (&self.linear, &self.log) {
            (Some(l), _) => l.map(value, limit),
            (None, Some(l)) => l.map(value, limit),
            (None, None) => limit.0,
        }
    }

    fn key_points<H: plotters::coord::ranged1d::KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        match (&self.linear, &self.log) {
            (Some(l), _) => l.range(),
            (None, Some(l)) => l.range(),
            (None, None) => 0.0..1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_axis_title_has_one_parenthesis() {
        let mut a = Axis::fit([1.0, 1000.0], "mean response time (time units)", true);
        assert!(a.log);
        assert_eq!(a.label(), "mean response time (time units, log scale)");
        a.title = "jobs".into();
        assert_eq!(a.label(), "jobs (log scale)");
    }

    #[test]
    fn ticks_of_a_whole_numbered_span_are_whole_and_keep_apart() {
        let a = Axis::span([2.0, 3.0, 6.0], "servers", false).whole();
        assert!(a.range.start > 1.0, "{:?}", a.range);
        let t = a.ticks(1100.0, |s| 12.0 * s.len() as f64, 16.0);
        assert_eq!(t, vec![2.0, 3.0, 4.0, 5.0, 6.0]);
        // Two values close together: no tick between whole numbers.
        let a = Axis::span([2.0, 3.0], "servers", false).whole();
        let t = a.ticks(1100.0, |s| 12.0 * s.len() as f64, 16.0);
        assert!(t.iter().all(|v| v.fract() == 0.0), "{t:?}");
        // Wide labels on a narrow axis: fewer ticks, never touching.
        let a = Axis::span([0.000_123_4, 0.987_6], "x", false);
        let t = a.ticks(300.0, |s| 12.0 * s.len() as f64, 16.0);
        assert!(t.len() >= 2);
        for w in t.windows(2) {
            let room = (w[1] - w[0]) / (a.range.end - a.range.start) * 300.0;
            let need = 6.0 * (tick(w[0]).len() + tick(w[1]).len()) as f64 + 16.0;
            assert!(room >= need, "{t:?}");
        }
    }
}
