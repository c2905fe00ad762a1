//! The performance panel's charts: line charts over the last five minutes,
//! drawn with plotters onto a `<canvas>` (plotters-canvas).
//!
//! Drawing happens on the page thread (plotters measures text through
//! `window`), only while the panel is open and at most twice a second, on
//! small canvases, so a redraw stays far under a long task's 50 ms.

use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

use crate::core::metrics::SECONDS_KEPT;

/// One line of a chart: its legend label, colour and points (seconds ago, value).
pub struct Series {
    pub label: &'static str,
    pub color: RGBColor,
    pub points: Vec<(f64, f64)>,
}

/// A horizontal line across a chart (a threshold), with its label.
pub struct Rule {
    pub label: String,
    pub color: RGBColor,
    pub y: f64,
}

/// Colours that read on the white chart background.
pub const BLUE: RGBColor = RGBColor(47, 95, 208);
pub const GREEN: RGBColor = RGBColor(30, 140, 80);
pub const PURPLE: RGBColor = RGBColor(130, 70, 180);
pub const ORANGE: RGBColor = RGBColor(200, 110, 0);
pub const RED: RGBColor = RGBColor(179, 38, 30);

/// Draws `series` (and `rules`) onto `canvas`: x from five minutes ago to
/// now, y from 0 to at least `y_min_top` and above every value drawn.
pub fn draw(
    canvas: &HtmlCanvasElement,
    y_desc: &str,
    y_min_top: f64,
    series: &[Series],
    rules: &[Rule],
) -> Result<(), String> {
    let backend = CanvasBackend::with_canvas_object(canvas.clone())
        .ok_or_else(|| "the chart's canvas has no 2D drawing context".to_string())?;
    let root = backend.into_drawing_area();
    let failed = |e: &dyn std::fmt::Display| format!("a chart could not be drawn ({e})");
    root.fill(&WHITE).map_err(|e| failed(&e))?;
    let top = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .chain(rules.iter().map(|r| r.y))
        .filter(|v| v.is_finite())
        .fold(y_min_top, f64::max)
        * 1.1;
    let mut chart = ChartBuilder::on(&root)
        .margin(6)
        .x_label_area_size(20)
        .y_label_area_size(46)
        .build_cartesian_2d(-(SECONDS_KEPT as f64)..0.0, 0.0..top.max(f64::MIN_POSITIVE))
        .map_err(|e| failed(&e))?;
    chart
        .configure_mesh()
        .x_labels(6)
        .y_labels(5)
        .x_label_formatter(&|x| {
            if *x == 0.0 {
                "now".into()
            } else {
                format!("{:.0} s", x)
            }
        })
        .y_label_formatter(&|y| short(*y))
        .y_desc(y_desc)
        .label_style(("sans-serif", 10))
        .axis_desc_style(("sans-serif", 10))
        .max_light_lines(0)
        .bold_line_style(RGBColor(220, 220, 226))
        .draw()
        .map_err(|e| failed(&e))?;
    for rule in rules {
        let color = rule.color;
        chart
            .draw_series(LineSeries::new(
                [(-(SECONDS_KEPT as f64), rule.y), (0.0, rule.y)],
                color.stroke_width(1),
            ))
            .map_err(|e| failed(&e))?
            .label(rule.label.clone())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 14, y)], color.stroke_width(1)));
    }
    for s in series {
        let color = s.color;
        chart
            .draw_series(LineSeries::new(
                s.points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(|e| failed(&e))?
            .label(s.label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 14, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 10))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(210, 210, 216))
        .draw()
        .map_err(|e| failed(&e))?;
    root.present().map_err(|e| failed(&e))
}

/// 1234 → "1.2k", 0.5 → "0.5": axis labels that fit.
fn short(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.1}k", v / 1000.0)
    } else if v >= 10.0 || v == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}
