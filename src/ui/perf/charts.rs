//! The performance panel's four charts (memory, throughput, cache, workers):
//! line charts over the last five minutes, drawn with plotters onto a
//! `<canvas>` (plotters-canvas), each downloadable as PNG.
//!
//! Drawing happens on the page thread (plotters measures text through
//! `window`), only while the panel is open and at most twice a second, one
//! chart per task, on small canvases, so a redraw stays far under a long
//! task's 50 ms. What each redraw cost is published for `make bench`.

use leptos::prelude::*;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

use crate::core::metrics::{MetricsRow, SECONDS_KEPT};
use crate::core::recorder::Recorder;
use crate::ui::state::AppState;
use crate::web::save::save_url;

/// At most two redraws a second.
const MIN_REDRAW_MS: f64 = 500.0;
const MIB: f64 = 1024.0 * 1024.0;
/// Chart canvases, in CSS pixels (small: a redraw must stay cheap).
const CHART_W: u32 = 340;
const CHART_H: u32 = 160;

/// The four charts, redrawn once a second while shown.
#[component]
pub fn ChartGrid() -> impl IntoView {
    let state = expect_context::<AppState>();
    let memory = NodeRef::<leptos::html::Canvas>::new();
    let throughput = NodeRef::<leptos::html::Canvas>::new();
    let cache = NodeRef::<leptos::html::Canvas>::new();
    let workers = NodeRef::<leptos::html::Canvas>::new();
    let last_draw = StoredValue::new(f64::NEG_INFINITY);
    // What each chart's last redraw took, ms.
    let redraw_ms = StoredValue::new([0.0f64; 4]);
    Effect::new(move |_| {
        state.second.track();
        let (warning, critical) = state
            .settings
            .with(|s| (s.warning_mb as f64, s.critical_mb as f64));
        let now = crate::web::now_ms();
        if now - last_draw.get_value() < MIN_REDRAW_MS {
            return;
        }
        last_draw.set_value(now);
        // One chart per task, so a redraw never adds up to a long task.
        for (index, node) in [memory, throughput, cache, workers].into_iter().enumerate() {
            set_timeout(
                move || {
                    let Some(canvas) = node.try_get_untracked().flatten() else {
                        return;
                    };
                    let started = crate::web::now_ms();
                    let recorder = state.recorder();
                    let drawn = draw_chart(index, &canvas, &recorder.borrow(), warning, critical);
                    if let Err(e) = drawn {
                        web_sys::console::warn_1(&e.into());
                    }
                    let ms = crate::web::now_ms() - started;
                    redraw_ms.update_value(|r| r[index] = ms);
                    let all = redraw_ms.get_value();
                    let sampler = state.session();
                    sampler
                        .sampler()
                        .publish("panel_redraw_ms", all.iter().sum());
                    sampler.sampler().publish(
                        "panel_chart_max_ms",
                        all.iter().copied().fold(0.0, f64::max),
                    );
                },
                std::time::Duration::ZERO,
            );
        }
    });
    let chart = move |id: &'static str,
                      title: &'static str,
                      note: &'static str,
                      node: NodeRef<leptos::html::Canvas>| {
        view! {
            <figure class="chart">
                <figcaption>{title} <small>{note}</small></figcaption>
                <canvas data-testid=id node_ref=node width=CHART_W.to_string() height=CHART_H.to_string() role="img"
                    aria-label=format!("{title} over the last 5 minutes")></canvas>
                <button type="button" class="small" data-testid=format!("{id}-png")
                    aria-label=format!("Download the {title} chart as PNG")
                    on:click=move |_| if let Some(c) = node.get_untracked() { save_png(&c, id) }>"PNG"</button>
            </figure>
        }
    };
    view! {
        <div class="charts">
            {chart("chart-memory", "Memory", "MB; the warning and critical lines", memory)}
            {chart("chart-throughput", "Throughput", "images/s and MB/s collected", throughput)}
            {chart("chart-cache", "Cache hit ratio", "% of lookups", cache)}
            {chart("chart-workers", "Workers",
                "busy %: share of each second a worker had work in hand, the honest CPU figure a page can have; long tasks: ms/s",
                workers)}
        </div>
    }
}

fn save_png(canvas: &HtmlCanvasElement, id: &str) {
    if let Ok(url) = canvas.to_data_url_with_type("image/png") {
        let _ = save_url(&url, &format!("{id}.png"));
    }
}

/// Draws chart `index` (memory, throughput, cache, workers) from the rows.
fn draw_chart(
    index: usize,
    canvas: &HtmlCanvasElement,
    r: &Recorder,
    warning_mb: f64,
    critical_mb: f64,
) -> Result<(), String> {
    let rows = r.rows();
    let now = rows.last().map(|x| x.time_ms).unwrap_or(0.0);
    let points = |f: fn(&MetricsRow) -> f64| -> Vec<(f64, f64)> {
        rows.iter()
            .map(|x| ((x.time_ms - now) / 1000.0, f(x)))
            .filter(|(t, _)| *t >= -(SECONDS_KEPT as f64))
            .collect()
    };
    match index {
        0 => draw(
            canvas,
            "MB",
            1.0,
            &[
                Series {
                    label: "JS heap",
                    color: BLUE,
                    points: points(|x| x.js_heap_bytes as f64 / MIB),
                },
                Series {
                    label: "wasm (page + workers)",
                    color: PURPLE,
                    points: points(|x| (x.page_wasm_bytes + x.workers_wasm_bytes) as f64 / MIB),
                },
                Series {
                    label: "cache",
                    color: GREEN,
                    points: points(|x| x.cache_bytes as f64 / MIB),
                },
            ],
            &[
                Rule {
                    label: format!("warning {warning_mb:.0} MB"),
                    color: ORANGE,
                    y: warning_mb,
                },
                Rule {
                    label: format!("critical {critical_mb:.0} MB"),
                    color: RED,
                    y: critical_mb,
                },
            ],
        ),
        1 => draw(
            canvas,
            "per second",
            1.0,
            &[
                Series {
                    label: "images/s",
                    color: BLUE,
                    points: points(|x| x.images_per_s),
                },
                Series {
                    label: "MB/s",
                    color: GREEN,
                    points: points(|x| x.mb_per_s),
                },
            ],
            &[],
        ),
        2 => draw(
            canvas,
            "%",
            100.0,
            &[Series {
                label: "hit ratio",
                color: GREEN,
                points: points(|x| x.cache_hit_ratio * 100.0),
            }],
            &[],
        ),
        _ => draw(
            canvas,
            "% · ms",
            100.0,
            &[
                Series {
                    label: "worker busy %",
                    color: BLUE,
                    points: points(|x| x.worker_busy_percent),
                },
                Series {
                    label: "long tasks ms/s",
                    color: RED,
                    points: points(|x| x.long_task_ms),
                },
            ],
            &[],
        ),
    }
}

/// One line of a chart: its legend label, colour and points (seconds ago, value).
struct Series {
    label: &'static str,
    color: RGBColor,
    points: Vec<(f64, f64)>,
}

/// A horizontal line across a chart (a threshold), with its label.
struct Rule {
    label: String,
    color: RGBColor,
    y: f64,
}

/// Colours that read on the white chart background.
const BLUE: RGBColor = RGBColor(47, 95, 208);
const GREEN: RGBColor = RGBColor(30, 140, 80);
const PURPLE: RGBColor = RGBColor(130, 70, 180);
const ORANGE: RGBColor = RGBColor(200, 110, 0);
const RED: RGBColor = RGBColor(179, 38, 30);

/// Draws `series` (and `rules`) onto `canvas`: x from five minutes ago to
/// now, y from 0 to at least `y_min_top` and above every value drawn.
fn draw(
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
