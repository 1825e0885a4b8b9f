//! The teaching mode's Gantt chart, also drawn for workflow schedules
//! (lanes named after processors, transfers, the critical path marked).

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{PALETTE, Picture, draw_err};
use crate::report::write_atomic;
use crate::teaching::{Schedule, SegmentKind};

/// A Gantt chart in general terms: one lane per CPU or processor, blocks
/// on them, and links between lanes (the data transfers of a workflow).
#[derive(Debug, Clone, PartialEq)]
pub struct LaneChart {
    pub title: String,
    pub lanes: Vec<String>,
    pub blocks: Vec<Block>,
    pub links: Vec<Link>,
    /// The end of the time axis.
    pub end: f64,
}

/// A block of a lane: a run (coloured by its label) or a context switch
/// (grey); `marked` outlines it (a workflow's critical path).
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub lane: u32,
    pub start: f64,
    pub end: f64,
    pub label: String,
    pub switch: bool,
    pub marked: bool,
}

/// A line from `(time, lane)` to `(time, lane)`: a transfer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Link {
    pub from: (f64, u32),
    pub to: (f64, u32),
}

impl LaneChart {
    /// The teaching schedule's chart: lanes `CPU k`, runs and switches.
    pub fn teaching(s: &Schedule) -> LaneChart {
        let blocks = s
            .timeline
            .iter()
            .filter_map(|g| match (&g.kind, &g.job) {
                (SegmentKind::Run, Some(job)) => Some(Block {
                    lane: g.cpu,
                    start: g.start,
                    end: g.end,
                    label: job.clone(),
                    switch: false,
                    marked: false,
                }),
                (SegmentKind::Switch, _) => Some(Block {
                    lane: g.cpu,
                    start: g.start,
                    end: g.end,
                    label: "cs".into(),
                    switch: true,
                    marked: false,
                }),
                _ => None,
            })
            .collect();
        LaneChart {
            title: format!("Gantt chart: {}", s.policy),
            lanes: (0..s.cpus).map(|k| format!("CPU {k}")).collect(),
            blocks,
            links: Vec::new(),
            end: s.makespan(),
        }
    }
}

/// Draws a lane chart: one lane per CPU, one coloured block per run, grey
/// for context switches, marked blocks outlined in vermillion, links as
/// thin grey lines, a time axis.
fn draw_lanes<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &LaneChart,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(draw_err)?;
    let end = c.end.max(1e-9);
    let cpus = c.lanes.len() as f64;
    let mut chart = ChartBuilder::on(root)
        .caption(&c.title, ("sans-serif", 30))
        .margin(20)
        .x_label_area_size(55)
        .y_label_area_size(90)
        .build_cartesian_2d(0f64..end, 0f64..cpus)
        .map_err(draw_err)?;
    let lane = |y: &f64| {
        let k = y.floor();
        if (y - k - 0.5).abs() < 1e-6 && k >= 0.0 {
            c.lanes.get(k as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_desc("time")
        .y_labels(2 * c.lanes.len() + 1)
        .y_label_formatter(&lane)
        .label_style(("sans-serif", 20))
        .axis_desc_style(("sans-serif", 22))
        .draw()
        .map_err(draw_err)?;
    let mut colour_of: Vec<&str> = Vec::new();
    for g in &c.blocks {
        let (y0, y1) = (f64::from(g.lane) + 0.15, f64::from(g.lane) + 0.85);
        let colour = if g.switch {
            RGBColor(120, 120, 120)
        } else {
            let i = colour_of
                .iter()
                .position(|j| *j == g.label.as_str())
                .unwrap_or_else(|| {
                    colour_of.push(&g.label);
                    colour_of.len() - 1
                });
            PALETTE[i % PALETTE.len()]
        };
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(g.start, y0), (g.end, y1)],
                colour.filled(),
            )))
            .map_err(draw_err)?;
        let border = if g.marked {
            PALETTE[5].stroke_width(4)
        } else {
            BLACK.stroke_width(1)
        };
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(g.start, y0), (g.end, y1)],
                border,
            )))
            .map_err(draw_err)?;
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
                g.label.clone(),
                ((g.start + g.end) / 2.0, f64::from(g.lane) + 0.5),
                style,
            )))
            .map_err(draw_err)?;
    }
    for l in &c.links {
        let y = |lane: u32, up: bool| f64::from(lane) + if up { 0.85 } else { 0.15 };
        // From the edge of the sending block that faces the receiving lane.
        let down = l.to.1 < l.from.1;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(l.from.0, y(l.from.1, !down)), (l.to.0, y(l.to.1, down))],
                RGBColor(90, 90, 90).stroke_width(2),
            )))
            .map_err(draw_err)?;
    }
    Ok(())
}

/// A lane chart as a picture.
pub struct LanePicture<'a>(pub &'a LaneChart);

impl Picture for LanePicture<'_> {
    /// Readable on a slide: one lane per CPU (squeezed beyond 16).
    fn size(&self) -> (u32, u32) {
        (1280, 220 + 110 * (self.0.lanes.len() as u32).min(16))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        draw_lanes(root, self.0)
    }
}

/// Writes a lane chart as SVG or PNG (by the file's extension), through a
/// temporary file and a rename.
pub fn write_lanes(c: &LaneChart, path: &Path) -> anyhow::Result<()> {
    let bytes = match extension(path).as_str() {
        "svg" => super::svg(&LanePicture(c))?.into_bytes(),
        "png" => super::png(&LanePicture(c))?,
        _ => anyhow::bail!(
            "{}: the picture's name must end in .svg or .png",
            path.display()
        ),
    };
    write_atomic(path, &bytes)
}

fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
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
        draw_lanes(root, &LaneChart::teaching(self.0))
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
