//! The charts of a results tree: line charts (sweeps, distributions,
//! sample paths) and grouped bar charts (percentiles, utilisation), each
//! built from the records of the tree's CSV files.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Axis, Picture, Rendered, Scaled, colour, draw_err, render, text_width, tick};
use crate::report::files::{AttemptsRecord, HistogramRecord, IntervalRecord, RunData, SweepRecord};
use crate::report::{SizeBinRecord, TimelineRecord};
use crate::stats::alarms::MAX_INTERVALS;
use crate::stats::lifecycle::ATTEMPT_BUCKETS;

const CAPTION: u32 = 34;
const LABEL: u32 = 22;
const AXIS_TITLE: u32 = 24;
const LEGEND: u32 = 22;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stroke {
    /// A solid line through the points, a marker at each.
    Marked,
    /// A solid line, no markers (dense data).
    Solid,
    /// A dashed line (closed forms).
    Dashed,
    /// A step function: each value holds until the next point.
    Step,
}

/// One line of a chart.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub colour: usize,
    pub stroke: Stroke,
    pub points: Vec<(f64, f64)>,
    /// Vertical error bars.
    pub errors: Whiskers,
}

/// Where a chart's legend goes.
#[derive(Debug, Clone, Copy)]
pub enum Corner {
    UpperLeft,
    UpperRight,
    LowerRight,
}

/// A chart of lines over two (linear or logarithmic) axes.
#[derive(Debug, Clone)]
pub struct LineChart {
    pub title: String,
    pub x: Axis,
    pub y: Axis,
    pub series: Vec<Series>,
    pub legend: Corner,
}

/// Pixels around a chart and taken by its caption and axis labels, as
/// the charts here are built: what is left is the plotting area.
fn plot_area(w: u32, h: u32, y_label_area: u32) -> (f64, f64) {
    let caption = f64::from(CAPTION) * 1.4;
    (
        (f64::from(w) - 40.0 - f64::from(y_label_area)).max(50.0),
        (f64::from(h) - 40.0 - caption - 60.0).max(50.0),
    )
}

impl LineChart {
    /// The points each series draws (a step spelled out), off-axis ones left out.
    fn drawn_points(&self, s: &Series) -> Vec<(f64, f64)> {
        let (xr, yr) = (&self.x, &self.y);
        let fits = |&(px, py): &(f64, f64)| {
            px.is_finite() && py.is_finite() && (!xr.log || px > 0.0) && (!yr.log || py > 0.0)
        };
        match s.stroke {
            Stroke::Step => s
                .points
                .windows(2)
                .flat_map(|w| [w[0], (w[1].0, w[0].1)])
                .chain(s.points.last().copied())
                .filter(fits)
                .collect(),
            _ => s.points.iter().copied().filter(fits).collect(),
        }
    }

    /// Where the legend goes so that it covers no line, marker or bar:
    /// the preferred corner, or another free one, or failing those the
    /// upper right with the y axis raised to leave room above the data.
    fn legend_place(&self, w: f64, h: f64) -> (SeriesLabelPosition, Axis) {
        let named: Vec<&Series> = self.series.iter().collect();
        let text = named
            .iter()
            .map(|s| text_width(&s.name, LEGEND))
            .fold(0.0, f64::max);
        // The legend's box as plotters lays it out, with room to spare.
        let (bw, bh) = (
            (text + 60.0) / w,
            (named.len() as f64 * (f64::from(LEGEND) + 10.0) + 20.0) / h,
        );
        let frac = |v: f64, a: &Axis| {
            let (lo, hi) = (a.range.start, a.range.end);
            if a.log {
                (v.ln() - lo.ln()) / (hi.ln() - lo.ln())
            } else {
                (v - lo) / (hi - lo)
            }
        };
        // Every point, and along every line segment, in fractions of the area.
        let mut marks: Vec<(f64, f64)> = Vec::new();
        for s in &self.series {
            let pts: Vec<(f64, f64)> = self
                .drawn_points(s)
                .iter()
                .map(|&(x, y)| (frac(x, &self.x), frac(y, &self.y)))
                .collect();
            marks.extend(pts.iter().copied());
            for p in pts.windows(2) {
                for k in 1..16 {
                    let t = f64::from(k) / 16.0;
                    marks.push((
                        p[0].0 + t * (p[1].0 - p[0].0),
                        p[0].1 + t * (p[1].1 - p[0].1),
                    ));
                }
            }
            for &(x, lo, hi) in &s.errors {
                let (lo, hi) = (lo.max(self.y.range.start), hi);
                if x.is_finite() && lo.is_finite() && hi.is_finite() && (!self.y.log || lo > 0.0) {
                    for k in 0..=8 {
                        let v = lo + f64::from(k) / 8.0 * (hi - lo);
                        marks.push((frac(x, &self.x), frac(v, &self.y)));
                    }
                }
            }
        }
        let free = |left: bool, top: bool| {
            let (x0, x1) = if left { (0.0, bw) } else { (1.0 - bw, 1.0) };
            let (y0, y1) = if top { (1.0 - bh, 1.0) } else { (0.0, bh) };
            !marks
                .iter()
                .any(|&(x, y)| (x0..=x1).contains(&x) && (y0..=y1).contains(&y))
        };
        let preferred = match self.legend {
            Corner::UpperLeft => (true, true),
            Corner::UpperRight => (false, true),
            Corner::LowerRight => (false, false),
        };
        let order = [
            preferred,
            (false, true),
            (true, true),
            (false, false),
            (true, false),
        ];
        let position = |(left, top): (bool, bool)| match (left, top) {
            (true, true) => SeriesLabelPosition::UpperLeft,
            (false, true) => SeriesLabelPosition::UpperRight,
            (true, false) => SeriesLabelPosition::LowerLeft,
            (false, false) => SeriesLabelPosition::LowerRight,
        };
        if let Some(&c) = order.iter().find(|&&(l, t)| free(l, t)) {
            return (position(c), self.y.clone());
        }
        // Room above the data: the highest mark at 1 - bh of the new axis.
        let top = marks.iter().map(|m| m.1).fold(0.0, f64::max).max(0.0);
        let stretch = top / (1.0 - bh).max(0.2);
        let mut y = self.y.clone();
        let (lo, hi) = (y.range.start, y.range.end);
        if stretch > 0.0 {
            y.range.end = if y.log {
                (lo.ln() + (hi.ln() - lo.ln()) * stretch.max(1.0)).exp()
            } else {
                lo + (hi - lo) * stretch.max(1.0)
            };
        }
        (SeriesLabelPosition::UpperRight, y)
    }

    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        let (w, h) = root.dim_in_pixel();
        let (pw, ph) = plot_area(w, h, 95);
        let (legend, y) = self.legend_place(pw, ph);
        let x = Scaled::new(&self.x, pw, LABEL, true);
        let y_coord = Scaled::new(&y, ph, LABEL, false);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", CAPTION))
            .margin(20)
            .x_label_area_size(60)
            .y_label_area_size(95)
            .build_cartesian_2d(x, y_coord)
            .map_err(draw_err)?;
        self.draw_series(&mut chart, &y, legend)
    }

    fn draw_series<'a, DB>(
        &self,
        chart: &mut ChartContext<'a, DB, Cartesian2d<Scaled, Scaled>>,
        y: &Axis,
        legend: SeriesLabelPosition,
    ) -> anyhow::Result<()>
    where
        DB: DrawingBackend + 'a,
        DB::ErrorType: 'static,
    {
        chart
            .configure_mesh()
            .x_desc(self.x.label())
            .y_desc(y.label())
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
            .label_style(("sans-serif", LABEL))
            .axis_desc_style(("sans-serif", AXIS_TITLE))
            .bold_line_style(RGBColor(225, 225, 225))
            .draw()
            .map_err(draw_err)?;
        let yr = &self.y;
        let fits = move |&(px, py): &(f64, f64)| {
            px.is_finite() && py.is_finite() && (!self.x.log || px > 0.0) && (!yr.log || py > 0.0)
        };
        // Simulated series first, closed forms (dashed) over them, so a
        // closed form that the simulation matches still shows.
        let order = self
            .series
            .iter()
            .filter(|s| s.stroke != Stroke::Dashed)
            .chain(self.series.iter().filter(|s| s.stroke == Stroke::Dashed));
        for s in order {
            let c = colour(s.colour);
            let width = match s.stroke {
                Stroke::Step | Stroke::Marked => 2,
                Stroke::Solid | Stroke::Dashed => 3,
            };
            let points = self.drawn_points(s);
            let drawn = if s.stroke == Stroke::Dashed {
                // A darker shade with a white rim: the dashes stand out on
                // a line of the same colour under them.
                let dark = RGBColor(
                    (f64::from(c.0) * 0.7) as u8,
                    (f64::from(c.1) * 0.7) as u8,
                    (f64::from(c.2) * 0.7) as u8,
                );
                chart
                    .draw_series(DashedLineSeries::new(
                        points.clone(),
                        12,
                        8,
                        WHITE.stroke_width(7),
                    ))
                    .map_err(draw_err)?;
                let style = ShapeStyle::from(dark).stroke_width(width);
                chart
                    .draw_series(DashedLineSeries::new(points.clone(), 12, 8, style))
                    .map_err(draw_err)?
                    .label(&s.name)
                    .legend(move |(lx, ly)| PathElement::new(vec![(lx, ly), (lx + 8, ly)], style));
                continue;
            } else {
                let style = ShapeStyle::from(c).stroke_width(width);
                chart
                    .draw_series(LineSeries::new(points.clone(), style))
                    .map_err(draw_err)?
            };
            let style = ShapeStyle::from(c).stroke_width(width);
            drawn
                .label(&s.name)
                .legend(move |(lx, ly)| PathElement::new(vec![(lx, ly), (lx + 24, ly)], style));
            if s.stroke == Stroke::Marked {
                chart
                    .draw_series(
                        points
                            .iter()
                            .map(|&p| Circle::new(p, 5, ShapeStyle::from(c).filled())),
                    )
                    .map_err(draw_err)?;
            }
            // On a log axis a bar reaching zero or below is cut at the
            // axis floor rather than dropped.
            let floor = yr.range.start;
            let bars = s
                .errors
                .iter()
                .map(move |&(ex, lo, hi)| (ex, if yr.log { lo.max(floor) } else { lo }, hi))
                .filter(|&(ex, lo, hi)| fits(&(ex, lo)) && fits(&(ex, hi)));
            for (ex, lo, hi) in bars {
                whisker(chart, ex, lo, hi, ShapeStyle::from(c).stroke_width(2))?;
            }
        }
        chart
            .configure_series_labels()
            .position(legend)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", LEGEND))
            .draw()
            .map_err(draw_err)?;
        Ok(())
    }
}

/// Draws a thin error bar: a vertical line from `lo` to `hi` with short
/// caps, no marker at the middle (which made narrow intervals blobs).
fn whisker<'a, DB>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<Scaled, Scaled>>,
    x: f64,
    lo: f64,
    hi: f64,
    style: ShapeStyle,
) -> anyhow::Result<()>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
{
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(x, lo), (x, hi)],
            style,
        )))
        .map_err(draw_err)?;
    chart
        .draw_series(
            [lo, hi]
                .map(|y| EmptyElement::at((x, y)) + PathElement::new(vec![(-6, 0), (6, 0)], style)),
        )
        .map_err(draw_err)?;
    Ok(())
}

impl Picture for LineChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE).map_err(draw_err)?;
        self.draw_on(root)
    }
}

/// Line charts stacked one above the other (one per policy).
#[derive(Debug, Clone)]
pub struct Panels(pub Vec<LineChart>);

impl Picture for Panels {
    fn size(&self) -> (u32, u32) {
        (1280, 120 + 300 * self.0.len().clamp(1, 8) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE).map_err(draw_err)?;
        for (area, chart) in root
            .split_evenly((self.0.len().max(1), 1))
            .iter()
            .zip(&self.0)
        {
            chart.draw_on(area)?;
        }
        Ok(())
    }
}

/// Bars in groups: one group per category, one bar per member, each with
/// an optional 95% confidence half-width.
#[derive(Debug, Clone)]
pub struct BarChart {
    pub title: String,
    pub groups: Vec<String>,
    pub members: Vec<String>,
    /// `values[group][member]`: the height and its half-width.
    pub values: Vec<Vec<(f64, Option<f64>)>>,
    pub group_title: String,
    pub y: Axis,
}

impl Picture for BarChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE).map_err(draw_err)?;
        let n = self.groups.len().max(1);
        let (w, h) = root.dim_in_pixel();
        let (_, ph) = plot_area(w, h, 95);
        // Group i is centred on x = i; the formatter names the whole numbers.
        let x = Axis {
            range: -0.5..n as f64 - 0.5,
            log: false,
            title: self.group_title.clone(),
            integer: true,
        };
        let x = Scaled::with_ticks(&x, (0..self.groups.len()).map(|i| i as f64).collect());
        let y = Scaled::new(&self.y, ph, LABEL, false);
        let groups = &self.groups;
        let name = |v: &f64| {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < groups.len() {
                groups[i as usize].clone()
            } else {
                String::new()
            }
        };
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", CAPTION))
            .margin(20)
            .x_label_area_size(60)
            .y_label_area_size(95)
            .build_cartesian_2d(x, y)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_label_formatter(&name)
            .y_label_formatter(&|v| tick(*v))
            .x_desc(self.group_title.as_str())
            .y_desc(self.y.label())
            .label_style(("sans-serif", LABEL))
            .axis_desc_style(("sans-serif", AXIS_TITLE))
            .bold_line_style(RGBColor(225, 225, 225))
            .draw()
            .map_err(draw_err)?;
        let m = self.members.len().max(1) as f64;
        let width = 0.8 / m;
        let floor = self.y.range.start;
        for (j, member) in self.members.iter().enumerate() {
            let c = colour(j);
            let left = |i: usize| i as f64 - 0.4 + j as f64 * width;
            let heights: Vec<(usize, f64, Option<f64>)> = self
                .values
                .iter()
                .enumerate()
                .filter_map(|(i, row)| {
                    row.get(j)
                        .filter(|(v, _)| v.is_finite() && *v > floor)
                        .map(|&(v, h)| (i, v, h))
                })
                .collect();
            chart
                .draw_series(heights.iter().map(|&(i, v, _)| {
                    Rectangle::new([(left(i), floor), (left(i) + width * 0.92, v)], c.filled())
                }))
                .map_err(draw_err)?
                .label(member)
                .legend(move |(lx, ly)| {
                    Rectangle::new([(lx, ly - 8), (lx + 20, ly + 8)], c.filled())
                });
            for &(i, v, h) in &heights {
                if let Some(h) = h {
                    let mid = left(i) + width * 0.46;
                    whisker(
                        &mut chart,
                        mid,
                        (v - h).max(floor),
                        v + h,
                        BLACK.stroke_width(1),
                    )?;
                }
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", LEGEND))
            .draw()
            .map_err(draw_err)?;
        Ok(())
    }
}

/// Intervals on lanes against time: one lane per alarm, a bar for each
/// interval it was raised, in the lane's colour.
#[derive(Debug, Clone)]
pub struct Timeline {
    pub title: String,
    pub lanes: Vec<String>,
    /// `(lane, from, to)`.
    pub bars: Vec<(usize, f64, f64)>,
    pub x: Axis,
}

impl Picture for Timeline {
    fn size(&self) -> (u32, u32) {
        (1280, (300 + 90 * self.lanes.len().min(12) as u32).max(600))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE).map_err(draw_err)?;
        let lanes = self.lanes.len().max(1) as f64;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", CAPTION))
            .margin(20)
            .x_label_area_size(60)
            .y_label_area_size(220)
            .build_cartesian_2d(self.x.range.clone(), 0f64..lanes)
            .map_err(draw_err)?;
        // Lane names sit at the lanes' middles; other tick positions stay blank.
        // The first lane on top, as the alarms are listed.
        let row = |lane: usize| (self.lanes.len() - 1 - lane) as f64;
        let name = |y: &f64| {
            let k = y.floor();
            if (y - k - 0.5).abs() < 1e-6 && k >= 0.0 && (k as usize) < self.lanes.len() {
                self.lanes[self.lanes.len() - 1 - k as usize].clone()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc(self.x.label())
            .x_label_formatter(&|v| tick(*v))
            .y_labels(2 * self.lanes.len() + 1)
            .y_label_formatter(&name)
            .label_style(("sans-serif", LABEL))
            .axis_desc_style(("sans-serif", AXIS_TITLE))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(draw_err)?;
        let thin = (self.x.range.end - self.x.range.start) / 1000.0;
        for (lane, _) in self.lanes.iter().enumerate() {
            let c = colour(lane);
            let (y0, y1) = (row(lane) + 0.2, row(lane) + 0.8);
            // Bars less than a pixel apart merge: the same picture, and an
            // SVG of thousands of raises a fraction of the size.
            let mut merged: Vec<(usize, f64, f64)> = Vec::new();
            for &(l, a, b) in self.bars.iter().filter(|b| b.0 == lane) {
                match merged.last_mut() {
                    Some(last) if a - last.2 < thin => last.2 = last.2.max(b),
                    _ => merged.push((l, a, b)),
                }
            }
            let mine = || merged.iter();
            chart
                .draw_series(
                    mine().map(|&(_, a, b)| Rectangle::new([(a, y0), (b, y1)], c.filled())),
                )
                .map_err(draw_err)?;
            // An outline keeps a raise far shorter than a pixel visible;
            // only those get one, as thousands of raises would double the SVG.
            chart
                .draw_series(
                    mine()
                        .filter(|&&(_, a, b)| b - a < thin)
                        .map(|&(_, a, b)| Rectangle::new([(a, y0), (b, y1)], c.stroke_width(1))),
                )
                .map_err(draw_err)?;
        }
        Ok(())
    }
}

/// Tasks ended by attempts started, as a share of each class's tasks:
/// one group of bars per number of attempts, one bar (colour) per class,
/// or per (class, policy) when several policies ran.
fn attempts_chart(name: &str, records: &[AttemptsRecord]) -> BarChart {
    let several = policies(records.iter().map(|r| r.policy.as_str())).len() > 1;
    let key = |r: &AttemptsRecord| {
        if several {
            format!("{}, {}", r.class, r.policy)
        } else {
            r.class.clone()
        }
    };
    let mut members: Vec<String> = Vec::new();
    for r in records {
        let k = key(r);
        if !members.contains(&k) {
            members.push(k);
        }
    }
    let totals: Vec<u64> = members
        .iter()
        .map(|m| {
            records
                .iter()
                .filter(|r| &key(r) == m)
                .map(|r| r.tasks)
                .sum()
        })
        .collect();
    let top = records.iter().map(|r| r.attempts).max().unwrap_or(0);
    let last = ATTEMPT_BUCKETS as u32 - 1;
    let groups: Vec<String> = (0..=top)
        .map(|k| {
            if k >= last {
                format!("{k}+")
            } else {
                k.to_string()
            }
        })
        .collect();
    let values: Vec<Vec<(f64, Option<f64>)>> = (0..=top)
        .map(|k| {
            members
                .iter()
                .zip(&totals)
                .map(|(m, &total)| {
                    let n: u64 = records
                        .iter()
                        .filter(|r| r.attempts == k && &key(r) == m)
                        .map(|r| r.tasks)
                        .sum();
                    let share = if total > 0 {
                        n as f64 / total as f64
                    } else {
                        f64::NAN
                    };
                    (share, None)
                })
                .collect()
        })
        .collect();
    let fitted = Axis::fit(
        values.iter().flatten().map(|v| v.0).chain([0.0]),
        "share of tasks ended, per class",
        false,
    );
    // Headroom above the tallest bar for the legend in the upper left.
    let y = Axis {
        range: 0.0..fitted.range.end * 1.3,
        ..fitted
    };
    BarChart {
        title: format!("{name}: attempts started per task"),
        groups,
        members,
        values,
        group_title: "attempts started (0: given up before any attempt)".into(),
        y,
    }
}

/// The alarms' raised intervals in replication 0's measured window.
fn alarm_timeline(name: &str, records: &[IntervalRecord]) -> Timeline {
    let several = policies(records.iter().map(|r| r.policy.as_str())).len() > 1;
    let mut lanes: Vec<String> = Vec::new();
    let mut bars = Vec::new();
    let mut dropped = 0u64;
    for r in records {
        let lane_name = if several {
            format!("{}, {}", r.alarm, r.policy)
        } else {
            r.alarm.clone()
        };
        let lane = lanes
            .iter()
            .position(|l| *l == lane_name)
            .unwrap_or_else(|| {
                lanes.push(lane_name);
                lanes.len() - 1
            });
        if let (Some(a), Some(b)) = (r.from, r.to) {
            bars.push((lane, a, b));
        }
        dropped += r.dropped;
    }
    let (lo, hi) = bars
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), b| {
            (lo.min(b.1), hi.max(b.2))
        });
    let range = if lo < hi {
        let pad = 0.02 * (hi - lo);
        (lo - pad).max(0.0)..hi + pad
    } else if lo.is_finite() {
        (lo - 0.5).max(0.0)..lo + 0.5
    } else {
        0.0..1.0
    };
    // The note goes under the axis, where a long line has room.
    let x_title = if dropped > 0 {
        format!(
            "time (time units); first {MAX_INTERVALS} intervals of an alarm drawn, {dropped} more left out"
        )
    } else {
        "time (time units)".to_string()
    };
    Timeline {
        title: format!("{name}: alarms raised in replication 0"),
        lanes,
        bars,
        x: Axis {
            range,
            log: false,
            integer: false,
            title: x_title,
        },
    }
}

/// Policies in order of first appearance.
fn policies<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        if !out.iter().any(|o| o == n) {
            out.push(n.to_string());
        }
    }
    out
}

/// The pictures of a run: response-time CDF and histogram, percentiles,
/// sample paths and utilisation per node, and with the task lifecycle,
/// attempts per task and the alarms' raised intervals.
pub fn run_pictures(data: &RunData) -> anyhow::Result<Vec<Rendered>> {
    let mut out = Vec::new();
    let name = &data.scenario;
    let all: Vec<_> = data
        .results
        .iter()
        .filter(|r| r.class == "all" && r.node == "all")
        .collect();
    let order = policies(all.iter().map(|r| r.policy.as_str()));

    if !data.cdf.is_empty() {
        let series: Vec<Series> = policies(data.cdf.iter().map(|r| r.policy.as_str()))
            .into_iter()
            .enumerate()
            .map(|(i, p)| Series {
                points: data
                    .cdf
                    .iter()
                    .filter(|r| r.policy == p)
                    .map(|r| (r.response, r.probability))
                    .collect(),
                name: p,
                colour: i,
                stroke: Stroke::Solid,
                errors: Vec::new(),
            })
            .collect();
        let x = Axis::fit(
            data.cdf.iter().map(|r| r.response),
            "response time (time units)",
            true,
        );
        let chart = LineChart {
            title: format!("{name}: distribution of response time"),
            x,
            y: Axis {
                range: 0.0..1.0,
                log: false,
                integer: false,
                title: "fraction of jobs with response <= t".into(),
            },
            series,
            legend: Corner::LowerRight,
        };
        out.push(render("response-cdf", &chart)?);
    }

    if !data.histogram.is_empty() {
        // Log-spaced bins (they start above 0) go on a log time axis, as
        // the share of jobs per decade of response time.
        let log = data.histogram.iter().filter(|r| r.bin_start == 0.0).count()
            < policies(data.histogram.iter().map(|r| r.policy.as_str())).len();
        let height = |b: &HistogramRecord| {
            if log {
                b.density * (b.bin_end - b.bin_start) / (b.bin_end / b.bin_start).log10()
            } else {
                b.density
            }
        };
        let series: Vec<Series> = policies(data.histogram.iter().map(|r| r.policy.as_str()))
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let bins: Vec<_> = data
                    .histogram
                    .iter()
                    .filter(|r| r.policy == p && (!log || r.bin_start > 0.0))
                    .collect();
                let mut points: Vec<(f64, f64)> =
                    bins.iter().map(|b| (b.bin_start, height(b))).collect();
                if let Some(last) = bins.last() {
                    points.push((last.bin_end, height(last)));
                }
                Series {
                    name: p,
                    colour: i,
                    stroke: Stroke::Step,
                    points,
                    errors: Vec::new(),
                }
            })
            .collect();
        let ends = series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
        let (title, x, y_title) = if log {
            (
                format!(
                    "{name}: histogram of response time (log-spaced bins, up to each policy's p99)"
                ),
                {
                    let (lo, hi) = ends.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
                        (lo.min(v), hi.max(v))
                    });
                    Axis {
                        range: lo / 1.1..hi * 1.1,
                        log: true,
                        title: "response time (time units)".into(),
                        integer: false,
                    }
                },
                "share of jobs per decade of response time",
            )
        } else {
            (
                format!("{name}: histogram of response time (up to each policy's p99)"),
                Axis::fit(ends, "response time (time units)", false),
                "density (fraction of jobs per time unit)",
            )
        };
        let chart = LineChart {
            title,
            x,
            y: Axis::fit(
                series.iter().flat_map(|s| s.points.iter().map(|p| p.1)),
                y_title,
                false,
            ),
            series,
            legend: Corner::UpperRight,
        };
        out.push(render("response-histogram", &chart)?);
    }

    if !all.is_empty() {
        let values: Vec<Vec<(f64, Option<f64>)>> = all
            .iter()
            .map(|r| {
                [r.p50_response, r.p95_response, r.p99_response]
                    .map(|v| (v.unwrap_or(f64::NAN), None))
                    .to_vec()
            })
            .collect();
        let y = Axis::fit(
            values.iter().flatten().map(|v| v.0).chain([0.0]),
            "response time (time units)",
            false,
        );
        let chart = BarChart {
            title: format!("{name}: response-time percentiles"),
            groups: order.clone(),
            members: vec!["p50".into(), "p95".into(), "p99".into()],
            values,
            group_title: "policy".into(),
            y,
        };
        out.push(render("percentiles", &chart)?);
    }

    let nodes: Vec<String> = policies(
        data.results
            .iter()
            .filter(|r| r.class == "all" && r.node != "all")
            .map(|r| r.node.as_str()),
    );
    if !nodes.is_empty() {
        let values: Vec<Vec<(f64, Option<f64>)>> = nodes
            .iter()
            .map(|node| {
                order
                    .iter()
                    .map(|p| {
                        data.results
                            .iter()
                            .find(|r| r.class == "all" && &r.node == node && &r.policy == p)
                            .map_or((f64::NAN, None), |r| {
                                (r.utilization.unwrap_or(f64::NAN), r.utilization_ci95)
                            })
                    })
                    .collect()
            })
            .collect();
        let top = values
            .iter()
            .flatten()
            .map(|(v, h)| v + h.unwrap_or(0.0))
            .fold(1.0, f64::max);
        let chart = BarChart {
            title: format!("{name}: utilisation per node"),
            groups: nodes,
            members: order.clone(),
            values,
            group_title: "node".into(),
            y: Axis {
                range: 0.0..top * 1.15,
                log: false,
                integer: false,
                title: "utilisation (busy share of the servers)".into(),
            },
        };
        out.push(render("utilization", &chart)?);
    }

    let bins: Vec<_> = data.size_bins.iter().filter(|b| b.class == "all").collect();
    if bins.iter().any(|b| b.mean_slowdown.is_some()) {
        out.push(render("size-slowdown", &size_slowdown_chart(name, &bins))?);
    }

    if !data.sample_path.is_empty() {
        let names = policies(data.sample_path.iter().map(|r| r.policy.as_str()));
        // From the end of the warm-up, where the path starts.
        let x = Axis::span(
            data.sample_path.iter().map(|r| r.time),
            "time (time units)",
            false,
        );
        let y = Axis::fit(
            data.sample_path.iter().map(|r| f64::from(r.in_system)),
            "jobs in system",
            false,
        );
        let panels = names
            .into_iter()
            .enumerate()
            .map(|(i, p)| LineChart {
                title: format!("{name}: jobs in system after the warm-up, replication 0, {p}"),
                x: x.clone(),
                y: y.clone(),
                series: vec![Series {
                    points: data
                        .sample_path
                        .iter()
                        .filter(|r| r.policy == p)
                        .map(|r| (r.time, f64::from(r.in_system)))
                        .collect(),
                    name: p,
                    colour: i,
                    stroke: Stroke::Step,
                    errors: Vec::new(),
                }],
                legend: Corner::UpperRight,
            })
            .collect();
        out.push(render("sample-path", &Panels(panels))?);
    }

    if !data.attempts.is_empty() {
        out.push(render("attempts", &attempts_chart(name, &data.attempts))?);
    }
    // Their own timeline: the sample path covers the first jobs after the
    // warm-up, these the measured window of the full run, so one time axis
    // would squeeze one or the other out of sight.
    if !data.alarm_intervals.is_empty() {
        out.push(render(
            "alarm-intervals",
            &alarm_timeline(name, &data.alarm_intervals),
        )?);
    }
    if !data.timeline.is_empty() {
        out.push(render("timeline", &timeline_panels(name, &data.timeline))?);
    }
    Ok(out)
}

/// Error bars of a series: (x, low, high).
type Whiskers = Vec<(f64, f64, f64)>;

/// The whole-system timeline, one panel per figure over absolute time:
/// arrivals per time unit beside the offered rate `E[X] λ(t)` (dashed),
/// then per policy the mean number in system and the utilisation, with
/// 95% whiskers at each bin's middle; the servers on shift and the
/// abandonments get a panel where they vary or occur.
fn timeline_panels(name: &str, records: &[TimelineRecord]) -> Panels {
    let system: Vec<&TimelineRecord> = records.iter().filter(|r| r.node == "all").collect();
    let names = policies(system.iter().map(|r| r.policy.as_str()));
    let x = Axis {
        range: 0.0..system
            .iter()
            .map(|r| r.end)
            .fold(f64::MIN_POSITIVE, f64::max),
        log: false,
        integer: false,
        title: "time (time units, from the start of each replication)".into(),
    };
    // A step through each bin's value per time unit (or as it is), and
    // whiskers at the bins' middles.
    let steps = |rows: &[&TimelineRecord],
                 value: fn(&TimelineRecord) -> (Option<f64>, Option<f64>),
                 per_time: bool|
     -> (Vec<(f64, f64)>, Whiskers) {
        let (mut points, mut errors) = (Vec::new(), Vec::new());
        for r in rows {
            let scale = if per_time {
                1.0 / (r.end - r.start)
            } else {
                1.0
            };
            let (v, h) = value(r);
            let v = v.map_or(f64::NAN, |v| v * scale);
            points.push((r.start, v));
            if let Some(h) = h {
                let mid = 0.5 * (r.start + r.end);
                errors.push((mid, v - h * scale, v + h * scale));
            }
        }
        if let Some(last) = rows.last() {
            points.push((last.end, points.last().map_or(f64::NAN, |p| p.1)));
        }
        (points, errors)
    };
    let of = |p: &str| -> Vec<&TimelineRecord> {
        system.iter().copied().filter(|r| r.policy == p).collect()
    };
    let chart = |title: &str, y_title: &str, series: Vec<Series>| {
        let y = Axis::fit_with_bars(
            series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.1))
                .chain([0.0]),
            series
                .iter()
                .flat_map(|s| s.errors.iter().flat_map(|e| [e.1, e.2])),
            y_title,
        );
        LineChart {
            title: format!("{name}: {title}"),
            x: x.clone(),
            y: Axis { log: false, ..y },
            series,
            legend: Corner::UpperRight,
        }
    };
    let per_policy = |value: fn(&TimelineRecord) -> (Option<f64>, Option<f64>), per_time: bool| {
        names
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let (points, errors) = steps(&of(p), value, per_time);
                Series {
                    name: p.clone(),
                    colour: i,
                    stroke: Stroke::Step,
                    points,
                    errors,
                }
            })
            .collect::<Vec<Series>>()
    };
    let mut panels = Vec::new();
    // Every policy sees the same arrivals (common random numbers): one line.
    if let Some(first) = names.first() {
        let rows = of(first);
        let (points, errors) = steps(&rows, |r| (r.arrivals, r.arrivals_ci95), true);
        // Drawn dashed, so its steps are spelled out point by point.
        let offered: Vec<(f64, f64)> = rows
            .iter()
            .flat_map(|r| {
                let v = r.offered.map_or(f64::NAN, |o| o / (r.end - r.start));
                [(r.start, v), (r.end, v)]
            })
            .collect();
        let mut series = vec![Series {
            name: "simulated".into(),
            colour: 0,
            stroke: Stroke::Step,
            points,
            errors,
        }];
        // Closed classes offer nothing from outside: no line to draw.
        if rows.iter().any(|r| r.offered.is_some()) {
            series.push(Series {
                name: "offered rate".into(),
                colour: 1,
                stroke: Stroke::Dashed,
                points: offered,
                errors: Vec::new(),
            });
        }
        panels.push(chart(
            "arrivals per time unit",
            "arrivals per time unit",
            series,
        ));
    }
    panels.push(chart(
        "mean number in system",
        "jobs in system",
        per_policy(|r| (r.mean_in_system, r.mean_in_system_ci95), false),
    ));
    panels.push(chart(
        "utilisation",
        "busy servers / servers on shift",
        per_policy(|r| (r.utilization, r.utilization_ci95), false),
    ));
    let servers: Vec<f64> = system.iter().filter_map(|r| r.servers).collect();
    if servers
        .windows(2)
        .any(|w| (w[0] - w[1]).abs() > 1e-9 * w[0].abs().max(1.0))
    {
        panels.push(chart(
            "servers on shift",
            "servers",
            per_policy(|r| (r.servers, None), false),
        ));
    }
    if system.iter().any(|r| r.abandoned.is_some_and(|a| a > 0.0)) {
        panels.push(chart(
            "abandonments per time unit",
            "reneged and baulked per time unit",
            per_policy(|r| (r.abandoned, r.abandoned_ci95), true),
        ));
    }
    Panels(panels)
}

/// Mean slowdown against job size, one line per policy at each bin's
/// mean size, with 95% whiskers, and processor sharing's `1/(1 − ρ)`
/// dashed as the reference of fairness where it applies.
fn size_slowdown_chart(name: &str, bins: &[&SizeBinRecord]) -> LineChart {
    let names = policies(bins.iter().map(|b| b.policy.as_str()));
    let mut series: Vec<Series> = names
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mine = bins.iter().filter(|b| &b.policy == p);
            let known = mine.filter_map(|b| Some((b.mean_size?, b.mean_slowdown?, b)));
            let (mut points, mut errors) = (Vec::new(), Vec::new());
            for (x, y, b) in known {
                points.push((x, y));
                if let Some(h) = b.mean_slowdown_ci95 {
                    errors.push((x, y - h, y + h));
                }
            }
            Series {
                name: p.clone(),
                colour: i,
                stroke: Stroke::Marked,
                points,
                errors,
            }
        })
        .collect();
    let x = Axis::fit(
        series.iter().flat_map(|s| s.points.iter().map(|p| p.0)),
        "job size (time in service alone)",
        true,
    );
    if let Some(ps) = bins.iter().find_map(|b| b.ps_slowdown) {
        series.push(Series {
            name: "PS reference 1/(1-rho)".into(),
            colour: names.len(),
            stroke: Stroke::Dashed,
            points: vec![(x.range.start, ps), (x.range.end, ps)],
            errors: Vec::new(),
        });
    }
    let y = Axis::fit_with_bars(
        series.iter().flat_map(|s| s.points.iter().map(|p| p.1)),
        series
            .iter()
            .flat_map(|s| s.errors.iter().flat_map(|e| [e.1, e.2])),
        "mean slowdown (response / time in service)",
    );
    LineChart {
        title: format!("{name}: mean slowdown by job size"),
        x,
        y,
        series,
        legend: Corner::UpperRight,
    }
}

/// What a sweep chart plots.
struct Metric {
    file: &'static str,
    what: &'static str,
    value: fn(&SweepRecord) -> (Option<f64>, Option<f64>),
    theory: fn(&SweepRecord) -> Option<f64>,
}

/// The sweep-slowdown chart where no mean slowdown exists (sizes near 0).
const BOUNDED_SLOWDOWN: Metric = Metric {
    file: "sweep-slowdown",
    // Defined in the README; the full formula does not fit beside the axis.
    what: "mean bounded slowdown, max(1, T / max(tau, S))",
    value: |r| (r.mean_bounded_slowdown, r.mean_bounded_slowdown_ci95),
    theory: |_| None,
};

const METRICS: [Metric; 3] = [
    Metric {
        file: "sweep-response",
        what: "mean response time (time units)",
        value: |r| (r.mean_response, r.mean_response_ci95),
        theory: |r| r.theory_mean_response,
    },
    Metric {
        file: "sweep-wait",
        what: "mean waiting time (time units)",
        value: |r| (r.mean_wait, r.mean_wait_ci95),
        theory: |r| r.theory_mean_wait,
    },
    Metric {
        file: "sweep-slowdown",
        what: "mean slowdown (response / time in service)",
        value: |r| (r.mean_slowdown, r.mean_slowdown_ci95),
        theory: |_| None,
    },
];

/// A legend name for each policy of a sweep: its label, or when the
/// label changes from point to point (a swept quantum), the discipline's.
fn series_names(all: &[&SweepRecord], per_point: usize) -> Vec<String> {
    (0..per_point)
        .map(|k| {
            let labels = policies(
                all.iter()
                    .skip(k)
                    .step_by(per_point)
                    .map(|r| r.policy.as_str()),
            );
            match labels.as_slice() {
                [one] => one.clone(),
                many => many
                    .first()
                    .map(|l| l.split('(').next().unwrap_or(l).to_string())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// The pictures of a sweep: mean response, wait and slowdown against the
/// swept parameter, one line per policy with 95% error bars, and the
/// closed form dashed where there is one.
pub fn sweep_pictures(records: &[SweepRecord], scenario: &str) -> anyhow::Result<Vec<Rendered>> {
    // With several classes, one line per (policy, class): an overall
    // line hides the class that pays for another's gain.
    let classes = policies(
        records
            .iter()
            .filter(|r| r.class != "all")
            .map(|r| r.class.as_str()),
    );
    let several = classes.len() > 1;
    let all: Vec<&SweepRecord> = records
        .iter()
        .filter(|r| (r.class == "all") != several)
        .collect();
    let Some(first) = all.first() else {
        return Ok(Vec::new());
    };
    let param = first.param.clone();
    let per_point = all.iter().filter(|r| r.point == first.point).count();
    let names: Vec<String> = series_names(&all, per_point)
        .into_iter()
        .zip(all.iter())
        .map(|(name, r)| {
            if several {
                format!("{name}, {}", r.class)
            } else {
                name
            }
        })
        .collect();
    let x_title = if param == "load" {
        "offered load".to_string()
    } else {
        param.clone()
    };
    let mut out = Vec::new();
    let no_mean_slowdown = all.iter().all(|r| r.mean_slowdown.is_none());
    let metrics = METRICS.iter().map(|m| {
        if m.file == BOUNDED_SLOWDOWN.file && no_mean_slowdown {
            &BOUNDED_SLOWDOWN
        } else {
            m
        }
    });
    for metric in metrics {
        let mut series = Vec::new();
        let mut theory_series = Vec::new();
        for (k, name) in names.iter().enumerate() {
            let rows: Vec<&SweepRecord> = all.iter().skip(k).step_by(per_point).copied().collect();
            let mut points = Vec::new();
            let mut errors = Vec::new();
            for r in &rows {
                let (mean, half) = (metric.value)(r);
                if let Some(m) = mean {
                    points.push((r.value, m));
                    if let Some(h) = half {
                        errors.push((r.value, m - h, m + h));
                    }
                }
            }
            let theory: Vec<(f64, f64)> = rows
                .iter()
                .filter_map(|r| (metric.theory)(r).map(|t| (r.value, t)))
                .collect();
            if !theory.is_empty() {
                theory_series.push(Series {
                    name: format!("{name}: theory"),
                    colour: k,
                    stroke: Stroke::Dashed,
                    points: theory,
                    errors: Vec::new(),
                });
            }
            series.push(Series {
                name: name.clone(),
                colour: k,
                stroke: Stroke::Marked,
                points,
                errors,
            });
        }
        series.extend(theory_series);
        let y = Axis::fit_with_bars(
            series.iter().flat_map(|s| s.points.iter().map(|p| p.1)),
            series
                .iter()
                .flat_map(|s| s.errors.iter().flat_map(|e| [e.1, e.2])),
            metric.what,
        );
        // The swept values, not from 0; servers ticked in whole numbers.
        let mut x = Axis::span(all.iter().map(|r| r.value), &x_title, true);
        if crate::sweep::whole_numbered(&param) {
            x = x.whole();
        }
        let chart = LineChart {
            title: format!(
                "{scenario}: {} against {x_title}",
                metric.what.split(" (").next().unwrap_or(metric.what)
            ),
            x,
            y,
            series,
            legend: Corner::UpperLeft,
        };
        out.push(render(metric.file, &chart)?);
    }
    Ok(out)
}
