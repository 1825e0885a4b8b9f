//! Pictures, drawn with plotters and an embedded DejaVu font, so no system
//! font or library is needed. Colours are the Okabe-Ito palette, which
//! readers with colour-vision deficiencies can tell apart.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use crate::teaching::{Schedule, SegmentKind};

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

/// Draws a teaching schedule as a Gantt chart: one lane per CPU, one
/// coloured block per run, grey for context switches, a time axis.
pub fn draw_gantt<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: &Schedule,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    fonts();
    root.fill(&WHITE).map_err(|e| anyhow::anyhow!("{e}"))?;
    let end = s.makespan().max(1e-9);
    let cpus = f64::from(s.cpus);
    let mut chart = ChartBuilder::on(root)
        .caption(format!("Gantt chart: {}", s.policy), ("sans-serif", 30))
        .margin(20)
        .x_label_area_size(55)
        .y_label_area_size(90)
        .build_cartesian_2d(0f64..end, 0f64..cpus)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let lane = |y: &f64| {
        let k = y.floor();
        if (y - k - 0.5).abs() < 1e-6 {
            format!("CPU {}", k as u32)
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_desc("time")
        .y_labels(2 * s.cpus as usize + 1)
        .y_label_formatter(&lane)
        .label_style(("sans-serif", 20))
        .axis_desc_style(("sans-serif", 22))
        .draw()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut colour_of: Vec<&str> = Vec::new();
    for g in &s.timeline {
        let (y0, y1) = (f64::from(g.cpu) + 0.15, f64::from(g.cpu) + 0.85);
        let colour = match (&g.kind, &g.job) {
            (SegmentKind::Run, Some(job)) => {
                let i = colour_of
                    .iter()
                    .position(|j| *j == job.as_str())
                    .unwrap_or_else(|| {
                        colour_of.push(job);
                        colour_of.len() - 1
                    });
                PALETTE[i % PALETTE.len()]
            }
            (SegmentKind::Switch, _) => RGBColor(120, 120, 120),
            _ => continue,
        };
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(g.start, y0), (g.end, y1)],
                colour.filled(),
            )))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(g.start, y0), (g.end, y1)],
                BLACK.stroke_width(1),
            )))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let label = match g.kind {
            SegmentKind::Run => g.job.clone().unwrap_or_default(),
            _ => "cs".into(),
        };
        let text_colour = if colour == PALETTE[7] || colour == PALETTE[0] {
            WHITE
        } else {
            BLACK
        };
        let style = TextStyle::from(("sans-serif", 20).into_font())
            .color(&text_colour)
            .pos(plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Center,
                plotters::style::text_anchor::VPos::Center,
            ));
        chart
            .draw_series(std::iter::once(Text::new(
                label,
                ((g.start + g.end) / 2.0, f64::from(g.cpu) + 0.5),
                style,
            )))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    root.present().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

/// Size of a Gantt picture: readable on a slide.
fn gantt_size(s: &Schedule) -> (u32, u32) {
    (1280, 220 + 110 * s.cpus.min(16))
}

/// The Gantt chart as SVG text.
pub fn gantt_svg(s: &Schedule) -> anyhow::Result<String> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, gantt_size(s)).into_drawing_area();
        draw_gantt(&root, s)?;
    }
    Ok(text)
}

/// Writes the Gantt chart as SVG or PNG (by the file's extension), through
/// a temporary file and a rename.
pub fn write_gantt(s: &Schedule, path: &Path) -> anyhow::Result<()> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "svg" => super::write_atomic(path, gantt_svg(s)?.as_bytes()),
        "png" => {
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let tmp = tempfile::Builder::new()
                .prefix(".schedlab-")
                .suffix(".png")
                .tempfile_in(dir)?;
            {
                let root = BitMapBackend::new(tmp.path(), gantt_size(s)).into_drawing_area();
                draw_gantt(&root, s)?;
            }
            tmp.persist(path)?;
            Ok(())
        }
        _ => anyhow::bail!(
            "{}: the picture's name must end in .svg or .png",
            path.display()
        ),
    }
}
