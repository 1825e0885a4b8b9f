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

/// An axis: its range and whether it is logarithmic.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub range: Range<f64>,
    pub log: bool,
    pub title: String,
}

/// Values spanning more than this ratio get a logarithmic axis.
const DECADES_FOR_LOG: f64 = 30.0;

impl Axis {
    /// An axis covering `values` with a margin; logarithmic when they are
    /// all positive and span decades (and `allow_log`), else from 0 when
    /// they are all non-negative.
    pub fn fit(values: impl IntoIterator<Item = f64>, title: &str, allow_log: bool) -> Axis {
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
            let start = if lo >= 0.0 { 0.0 } else { lo - pad };
            start..hi + pad
        };
        Axis {
            range,
            log,
            title: title.to_string(),
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

    /// The axis title, saying when the scale is logarithmic.
    pub fn label(&self) -> String {
        if self.log {
            format!("{} (log scale)", self.title)
        } else {
            self.title.clone()
        }
    }
}
