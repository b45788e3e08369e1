//! The chart: the equity curve in rupees with the benchmark rebased to the same starting
//! equity beside it, and the drawdown beneath, over IST dates; PNG or SVG by the file's
//! extension. plotters draws both formats with one code path and, with its `ab_glyph`
//! feature, needs no font library at build: the TrueType font is read at run time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::NaiveDate;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::analysis::Analysis;
use crate::report::rupee_text;

/// The picture's size in pixels.
pub const SIZE: (u32, u32) = (1280, 800);

/// Why a chart was not drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// Neither `.png` nor `.svg`.
    #[error("{0}: the chart is drawn as .png or .svg: name the file with one of those extensions")]
    Extension(PathBuf),
    /// The font could not be read.
    #[error(
        "cannot read the chart's font {path}: {why}; install fonts-dejavu-core or set [jobs.performance-analytics] font to a TrueType file"
    )]
    Font {
        /// The file.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// No session to draw.
    #[error("no session to chart between the dates asked for: widen --from and --to")]
    Empty,
    /// plotters or the file system failed.
    #[error("cannot draw {path}: {why}; name a file in a directory this user can write")]
    Draw {
        /// The file.
        path: PathBuf,
        /// Why.
        why: String,
    },
}

/// Registers `font` as plotters' sans-serif, once per process.
fn load_font(font: &Path) -> Result<(), ChartError> {
    static LOADED: OnceLock<Result<(), String>> = OnceLock::new();
    LOADED
        .get_or_init(|| {
            let bytes = std::fs::read(font).map_err(|e| e.to_string())?;
            // plotters keeps fonts for the life of the process; one chart's font, read once.
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            register_font("sans-serif", FontStyle::Normal, bytes)
                .map_err(|_| "not a TrueType or OpenType font".to_string())
        })
        .clone()
        .map_err(|why| ChartError::Font {
            path: font.to_path_buf(),
            why,
        })
}

/// What is drawn: one point per session.
struct Series {
    dates: Vec<NaiveDate>,
    equity: Vec<f64>,
    drawdown: Vec<f64>,
    /// The benchmark rebased to the first session's starting equity.
    benchmark: Vec<Option<f64>>,
    title: String,
}

fn series(a: &Analysis, benchmark: &BTreeMap<NaiveDate, f64>, name: &str) -> Option<Series> {
    let first = a.days.first()?;
    let start = (first.session.equity - first.session.pnl).to_f64()?;
    // Rebased at the close before the first session, else (a benchmark history that starts
    // with the trades) at the first session's own close.
    let base = benchmark
        .range(..first.session.date)
        .next_back()
        .or_else(|| benchmark.range(first.session.date..).next())
        .map(|(_, v)| *v);
    let dates: Vec<NaiveDate> = a.days.iter().map(|d| d.session.date).collect();
    Some(Series {
        equity: a
            .days
            .iter()
            .filter_map(|d| d.session.equity.to_f64())
            .collect(),
        drawdown: a.days.iter().map(|d| d.drawdown * 100.0).collect(),
        benchmark: dates
            .iter()
            .map(|d| Some(benchmark.get(d)? / base? * start))
            .collect(),
        title: format!(
            "{} — equity, drawdown and {name} rebased, {} to {} (IST)",
            a.scope.label(),
            dates[0],
            dates[dates.len() - 1]
        ),
        dates,
    })
}

/// Draws `a` to `path` (.png or .svg), with the benchmark `name`'s closes.
pub fn draw(
    path: &Path,
    a: &Analysis,
    benchmark: &BTreeMap<NaiveDate, f64>,
    name: &str,
    font: &Path,
) -> Result<(), ChartError> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if !matches!(extension.as_deref(), Some("png" | "svg")) {
        return Err(ChartError::Extension(path.to_path_buf()));
    }
    load_font(font)?;
    let s = series(a, benchmark, name).ok_or(ChartError::Empty)?;
    let failed = |why: String| ChartError::Draw {
        path: path.to_path_buf(),
        why,
    };
    if extension.as_deref() == Some("png") {
        let root = BitMapBackend::new(path, SIZE).into_drawing_area();
        plot(&root, &s).map_err(failed)?;
        root.present().map_err(|e| failed(e.to_string()))
    } else {
        let root = SVGBackend::new(path, SIZE).into_drawing_area();
        plot(&root, &s).map_err(failed)?;
        root.present().map_err(|e| failed(e.to_string()))
    }
}

/// Draws `a` as PNG in memory (the emailed chart), with the benchmark `name`'s closes.
pub fn png(
    a: &Analysis,
    benchmark: &BTreeMap<NaiveDate, f64>,
    name: &str,
    font: &Path,
) -> Result<Vec<u8>, ChartError> {
    load_font(font)?;
    let s = series(a, benchmark, name).ok_or(ChartError::Empty)?;
    let failed = |why: String| ChartError::Draw {
        path: PathBuf::from("the emailed chart"),
        why,
    };
    let mut rgb = vec![0u8; SIZE.0 as usize * SIZE.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area();
        plot(&root, &s).map_err(failed)?;
        root.present().map_err(|e| failed(e.to_string()))?;
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, SIZE.0, SIZE.1);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .and_then(|mut w| w.write_image_data(&rgb))
        .map_err(|e| failed(e.to_string()))?;
    Ok(out)
}

/// Short rupees for an axis: ₹12.5L, ₹1.2Cr, else grouped.
fn axis_rupees(x: f64) -> String {
    let a = x.abs();
    if a >= 1e7 {
        format!("₹{:.2}Cr", x / 1e7)
    } else if a >= 1e5 {
        format!("₹{:.2}L", x / 1e5)
    } else {
        let text = rupee_text(Decimal::from_f64_retain(x.round()).unwrap_or_default());
        format!("₹{}", text.trim_end_matches(".00"))
    }
}

fn plot<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, s: &Series) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(e)?;
    let (upper, lower) = root.split_vertically(SIZE.1 * 64 / 100);
    let n = s.dates.len();
    let x_max = (n.max(2) - 1) as f64;
    let values = s
        .equity
        .iter()
        .copied()
        .chain(s.benchmark.iter().flatten().copied());
    let (lo, hi) = values.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let pad = ((hi - lo) * 0.08).max(hi.abs() * 0.002).max(1.0);
    let date_label = |x: &f64| {
        let i = x.round().clamp(0.0, (n - 1) as f64) as usize;
        s.dates[i].format("%d %b %y").to_string()
    };
    let labels = n.clamp(2, 8);
    let mut top = ChartBuilder::on(&upper)
        .caption(&s.title, ("sans-serif", 22))
        .margin(12)
        .margin_right(48)
        .x_label_area_size(30)
        .y_label_area_size(100)
        .build_cartesian_2d(0.0..x_max, (lo - pad)..(hi + pad))
        .map_err(e)?;
    top.configure_mesh()
        .x_labels(labels)
        .x_label_formatter(&date_label)
        .y_labels(8)
        .y_label_formatter(&|y| axis_rupees(*y))
        .y_desc("equity (₹)")
        .label_style(("sans-serif", 15))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(e)?;
    let blue = RGBColor(31, 90, 180);
    let orange = RGBColor(230, 120, 20);
    top.draw_series(LineSeries::new(
        s.equity.iter().enumerate().map(|(i, v)| (i as f64, *v)),
        blue.stroke_width(3),
    ))
    .map_err(e)?
    .label("equity")
    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], blue.stroke_width(3)));
    let bench: Vec<(f64, f64)> = s
        .benchmark
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (i as f64, v)))
        .collect();
    if !bench.is_empty() {
        top.draw_series(LineSeries::new(bench, orange.stroke_width(2)))
            .map_err(e)?
            .label("NIFTY 50 rebased")
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], orange.stroke_width(2))
            });
    }
    top.configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 16))
        .draw()
        .map_err(e)?;
    let worst = s.drawdown.iter().copied().fold(0.0_f64, f64::min);
    let floor = (worst * 1.15).min(-1.0);
    let mut bottom = ChartBuilder::on(&lower)
        .margin(12)
        .margin_right(48)
        .x_label_area_size(40)
        .y_label_area_size(100)
        .build_cartesian_2d(0.0..x_max, floor..0.0)
        .map_err(e)?;
    bottom
        .configure_mesh()
        .x_labels(labels)
        .x_label_formatter(&date_label)
        .x_desc("date (IST)")
        .y_labels(5)
        .y_label_formatter(&|y| format!("{y:.1}%"))
        .y_desc("drawdown")
        .label_style(("sans-serif", 15))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(e)?;
    let red = RGBColor(200, 40, 40);
    bottom
        .draw_series(
            AreaSeries::new(
                s.drawdown.iter().enumerate().map(|(i, v)| (i as f64, *v)),
                0.0,
                red.mix(0.35),
            )
            .border_style(red.stroke_width(2)),
        )
        .map_err(e)?;
    Ok(())
}
