//! The teaching mode's Gantt chart, also drawn for workflow schedules
//! (lanes named after processors, transfers, the critical path marked).

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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
    /// Every label a block may carry, in a fixed order (the job file's):
    /// a label's colour and pattern follow its place here, so a job keeps
    /// its colour in every chart of the same jobs.
    pub keys: Vec<String>,
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
            keys: s.outcomes.iter().map(|o| o.id.clone()).collect(),
        }
    }
}

/// Fill colours of the blocks: Okabe & Ito's seven (black left out),
/// then nine more, each at least 22 CIELAB units from every other.
pub const BLOCK_PALETTE: [RGBColor; 16] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
    RGBColor(128, 62, 117),
    RGBColor(147, 170, 0),
    RGBColor(127, 24, 13),
    RGBColor(166, 189, 215),
    RGBColor(246, 118, 142),
    RGBColor(89, 51, 21),
    RGBColor(35, 35, 35),
    RGBColor(206, 162, 98),
    RGBColor(0, 90, 70),
];

/// Hatching over a block's fill, for labels beyond the palette.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hatch {
    None,
    Rising,
    Falling,
    Cross,
}

/// The fill and the hatching of the label at `index` of the keys: the
/// 16 colours plain, then hatched one way, the other, and crossed.
fn look(index: usize) -> (RGBColor, Hatch) {
    let n = BLOCK_PALETTE.len();
    let hatch = match (index / n) % 4 {
        0 => Hatch::None,
        1 => Hatch::Rising,
        2 => Hatch::Falling,
        _ => Hatch::Cross,
    };
    (BLOCK_PALETTE[index % n], hatch)
}

/// Black or white, whichever reads on `fill`.
fn ink(fill: RGBColor) -> RGBColor {
    let lum = 0.299 * f64::from(fill.0) + 0.587 * f64::from(fill.1) + 0.114 * f64::from(fill.2);
    if lum < 140.0 { WHITE } else { BLACK }
}

/// Short names for labels too long for their blocks: the first letter of
/// each run of letters (or of a capitalised part) and every digit
/// ("compile-kernel" is "ck", "job12" "j12", "backup" "bac": never one
/// letter); names of up to 3 characters stay whole; a clash gets "#2",
/// "#3", ...
pub fn abbreviations(keys: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(keys.len());
    for k in keys {
        let mut a = if k.chars().count() <= 3 {
            k.clone()
        } else {
            let mut a = String::new();
            let mut prev: Option<char> = None;
            for ch in k.chars() {
                let starts = match prev {
                    None => true,
                    Some(p) => {
                        (ch.is_alphabetic() && !p.is_alphabetic())
                            || (ch.is_uppercase() && p.is_lowercase())
                    }
                };
                if ch.is_ascii_digit() || (ch.is_alphabetic() && starts) {
                    a.push(ch);
                }
                prev = Some(ch);
            }
            // One letter says too little: a one-word name keeps three.
            if a.chars().count() < 2 {
                k.chars().take(3).collect()
            } else {
                a
            }
        };
        if out.contains(&a) || (keys.contains(&a) && &a != k) {
            let base = a.clone();
            let mut n = 2;
            while out.contains(&a) || (keys.contains(&a) && &a != k) {
                a = format!("{base}#{n}");
                n += 1;
            }
        }
        out.push(a);
    }
    out
}

/// Font size of the blocks' labels and of the key under the chart.
const LABEL_SIZE: u32 = 20;
/// Pixels of a block's width kept clear around its label.
const LABEL_PAD: f64 = 10.0;
/// Width of the time axis in pixels (1280 less margins and lane names).
const PLOT_WIDTH: f64 = 1280.0 - 40.0 - 90.0;

/// What a chart writes in its blocks, and the key under it.
struct Layout {
    /// Per key: its colour index.
    keys: Vec<String>,
    abbr: Vec<String>,
    /// Per block: the text drawn in it (possibly none).
    text: Vec<Option<String>>,
    /// Keys some block could not name in full, in key order.
    legend: Vec<usize>,
    /// The key's columns and rows, and one entry's width.
    columns: usize,
    rows: usize,
    entry_width: f64,
}

impl Layout {
    fn of(c: &LaneChart) -> Layout {
        let mut keys = c.keys.clone();
        for b in c.blocks.iter().filter(|b| !b.switch) {
            if !keys.contains(&b.label) {
                keys.push(b.label.clone());
            }
        }
        let abbr = abbreviations(&keys);
        let end = c.end.max(1e-9);
        let mut short = vec![false; keys.len()];
        let text = c
            .blocks
            .iter()
            .map(|b| {
                let room = (b.end - b.start) / end * PLOT_WIDTH - LABEL_PAD;
                let fits = |t: &str| super::text_width(t, LABEL_SIZE) <= room;
                if b.switch {
                    return fits(&b.label).then(|| b.label.clone());
                }
                let k = keys.iter().position(|k| *k == b.label).unwrap_or(0);
                if fits(&b.label) {
                    return Some(b.label.clone());
                }
                short[k] = true;
                fits(&abbr[k]).then(|| abbr[k].clone())
            })
            .collect();
        let legend: Vec<usize> = (0..keys.len()).filter(|&k| short[k]).collect();
        let entry_width = legend
            .iter()
            .map(|&k| super::text_width(&entry(&abbr[k], &keys[k]), LABEL_SIZE))
            .fold(0.0, f64::max)
            + 24.0
            + 8.0
            + 30.0;
        let columns = ((1280.0 - 40.0) / entry_width).floor().max(1.0) as usize;
        let rows = legend.len().div_ceil(columns);
        Layout {
            keys,
            abbr,
            text,
            legend,
            columns,
            rows,
            entry_width,
        }
    }

    /// Pixels the key takes under the chart.
    fn legend_height(&self) -> u32 {
        if self.rows == 0 {
            0
        } else {
            20 + 30 * self.rows as u32
        }
    }

    fn key(&self, label: &str) -> usize {
        self.keys.iter().position(|k| k == label).unwrap_or(0)
    }
}

/// A line of the key: "abbreviation = name", or the name when it is its
/// own abbreviation.
fn entry(abbr: &str, name: &str) -> String {
    if abbr == name {
        name.to_string()
    } else {
        format!("{abbr} = {name}")
    }
}

/// Hatches the pixel rectangle `(x0, y0)-(x1, y1)` of `area`.
fn hatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x0, y0): (i32, i32),
    (x1, y1): (i32, i32),
    kind: Hatch,
    colour: RGBAColor,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let (x0, x1) = (x0.min(x1), x0.max(x1));
    let (y0, y1) = (y0.min(y1), y0.max(y1));
    let style = colour.stroke_width(2);
    const STEP: i32 = 10;
    let mut lines = Vec::new();
    if matches!(kind, Hatch::Rising | Hatch::Cross) {
        // x + y = c, rising to the right on a screen (y down).
        let mut c = x0 + y0 + STEP;
        while c < x1 + y1 {
            let (a, b) = ((c - y1).max(x0), (c - y0).min(x1));
            if a < b {
                lines.push(vec![(a, c - a), (b, c - b)]);
            }
            c += STEP;
        }
    }
    if matches!(kind, Hatch::Falling | Hatch::Cross) {
        // x - y = c.
        let mut c = x0 - y1 + STEP;
        while c < x1 - y0 {
            let (a, b) = ((c + y0).max(x0), (c + y1).min(x1));
            if a < b {
                lines.push(vec![(a, a - c), (b, b - c)]);
            }
            c += STEP;
        }
    }
    for l in lines {
        area.draw(&PathElement::new(l, style)).map_err(draw_err)?;
    }
    Ok(())
}

/// Draws a lane chart: one lane per CPU (CPU 0 on top, as in the text
/// chart), one block per run in its job's colour (hatched beyond 16 jobs),
/// grey for context switches, marked blocks outlined in vermillion, links
/// as thin grey lines, a time axis, and under it a key to the names that
/// did not fit in their blocks.
fn draw_lanes<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &LaneChart,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(draw_err)?;
    let layout = Layout::of(c);
    let (_, h) = root.dim_in_pixel();
    let (upper, lower) = root.split_vertically(h - layout.legend_height());
    let end = c.end.max(1e-9);
    let n = c.lanes.len();
    let cpus = n as f64;
    let x = super::Axis {
        range: 0.0..end,
        log: false,
        title: "time".into(),
        integer: false,
    };
    let x = super::Scaled::new(&x, PLOT_WIDTH, 20, true);
    let mut chart = ChartBuilder::on(&upper)
        .caption(&c.title, ("sans-serif", 30))
        .margin(20)
        .x_label_area_size(55)
        .y_label_area_size(90)
        .build_cartesian_2d(x, 0f64..cpus)
        .map_err(draw_err)?;
    // Lane k's row from the bottom: the first lane on top.
    let row = |lane: u32| (n as f64 - 1.0 - f64::from(lane)).max(0.0);
    let lane = |y: &f64| {
        let k = y.floor();
        if (y - k - 0.5).abs() < 1e-6 && k >= 0.0 && (k as usize) < n {
            c.lanes[n - 1 - k as usize].clone()
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_desc("time")
        .x_label_formatter(&|v| super::tick(*v))
        .y_labels(2 * n + 1)
        .y_label_formatter(&lane)
        .label_style(("sans-serif", 20))
        .axis_desc_style(("sans-serif", 22))
        .draw()
        .map_err(draw_err)?;
    for (g, text) in c.blocks.iter().zip(&layout.text) {
        let (y0, y1) = (row(g.lane) + 0.15, row(g.lane) + 0.85);
        let (fill, pattern) = if g.switch {
            (RGBColor(120, 120, 120), Hatch::None)
        } else {
            look(layout.key(&g.label))
        };
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(g.start, y0), (g.end, y1)],
                fill.filled(),
            )))
            .map_err(draw_err)?;
        if pattern != Hatch::None {
            let (a, b) = (
                chart.backend_coord(&(g.start, y1)),
                chart.backend_coord(&(g.end, y0)),
            );
            hatch(root, a, b, pattern, ink(fill).mix(0.55))?;
        }
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
        let Some(text) = text else { continue };
        let text_colour = ink(fill);
        let style = TextStyle::from(("sans-serif", LABEL_SIZE).into_font())
            .color(&text_colour)
            .pos(Pos::new(HPos::Center, VPos::Center));
        chart
            .draw_series(std::iter::once(Text::new(
                text.clone(),
                ((g.start + g.end) / 2.0, row(g.lane) + 0.5),
                style,
            )))
            .map_err(draw_err)?;
    }
    for l in &c.links {
        // From the edge of the sending block that faces the receiving lane.
        let (from, to) = (row(l.from.1), row(l.to.1));
        let (y0, y1) = if to < from {
            (from + 0.15, to + 0.85)
        } else {
            (from + 0.85, to + 0.15)
        };
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(l.from.0, y0), (l.to.0, y1)],
                RGBColor(90, 90, 90).stroke_width(2),
            )))
            .map_err(draw_err)?;
    }
    // The key: a swatch and "abbreviation = name" for each shortened name.
    for (i, &k) in layout.legend.iter().enumerate() {
        let (col, line) = (i % layout.columns, i / layout.columns);
        let x = 20 + (col as f64 * layout.entry_width) as i32;
        let y = 10 + 30 * line as i32;
        let (fill, pattern) = look(k);
        lower
            .draw(&Rectangle::new([(x, y), (x + 24, y + 20)], fill.filled()))
            .map_err(draw_err)?;
        if pattern != Hatch::None {
            let (bx, by) = lower.get_base_pixel();
            hatch(
                root,
                (bx + x, by + y),
                (bx + x + 24, by + y + 20),
                pattern,
                ink(fill).mix(0.55),
            )?;
        }
        lower
            .draw(&Rectangle::new(
                [(x, y), (x + 24, y + 20)],
                BLACK.stroke_width(1),
            ))
            .map_err(draw_err)?;
        lower
            .draw(&Text::new(
                entry(&layout.abbr[k], &layout.keys[k]),
                (x + 32, y + 10),
                TextStyle::from(("sans-serif", LABEL_SIZE).into_font())
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(draw_err)?;
    }
    Ok(())
}

/// A lane chart as a picture.
pub struct LanePicture<'a>(pub &'a LaneChart);

impl Picture for LanePicture<'_> {
    /// Readable on a slide: one lane per CPU (squeezed beyond 16).
    fn size(&self) -> (u32, u32) {
        super::fonts();
        let key = Layout::of(self.0).legend_height();
        (1280, 220 + 110 * (self.0.lanes.len() as u32).min(16) + key)
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
        super::fonts();
        let key = Layout::of(&LaneChart::teaching(self.0)).legend_height();
        (1280, 220 + 110 * self.0.cpus.min(16) + key)
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
