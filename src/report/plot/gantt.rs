//! The teaching mode's Gantt chart.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{PALETTE, Picture, draw_err};
use crate::report::write_atomic;
use crate::teaching::{Schedule, SegmentKind};

/// Draws a teaching schedule as a Gantt chart: one lane per CPU, one
/// coloured block per run, grey for context switches, a time axis.
fn draw_gantt<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, s: &Schedule) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(draw_err)?;
    let end = s.makespan().max(1e-9);
    let cpus = f64::from(s.cpus);
    let mut chart = ChartBuilder::on(root)
        .caption(format!("Gantt chart: {}", s.policy), ("sans-serif", 30))
        .margin(20)
        .x_label_area_size(55)
        .y_label_area_size(90)
        .build_cartesian_2d(0f64..end, 0f64..cpus)
        .map_err(draw_err)?;
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
        .map_err(draw_err)?;
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
            .map_err(draw_err)?;
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(g.start, y0), (g.end, y1)],
                BLACK.stroke_width(1),
            )))
            .map_err(draw_err)?;
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
            .map_err(draw_err)?;
    }
    Ok(())
}

/// A teaching schedule as a picture.
pub struct GanttPicture<'a>(pub &'a Schedule);

impl Picture for GanttPicture<'_> {
    /// Readable on a slide: one lane per CPU.
    fn size(&self) -> (u32, u32) {
        (1280, 220 + 110 * self.0.cpus.min(16))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        draw_gantt(root, self.0)
    }
}

/// The Gantt chart as SVG text.
pub fn gantt_svg(s: &Schedule) -> anyhow::Result<String> {
    super::svg(&GanttPicture(s))
}

/// Writes the Gantt chart as SVG or PNG (by the file's extension), through
/// a temporary file and a rename.
pub fn write_gantt(s: &Schedule, path: &Path) -> anyhow::Result<()> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let bytes = match ext.as_str() {
        "svg" => gantt_svg(s)?.into_bytes(),
        "png" => super::png(&GanttPicture(s))?,
        _ => anyhow::bail!(
            "{}: the picture's name must end in .svg or .png",
            path.display()
        ),
    };
    write_atomic(path, &bytes)
}
