//! `upstox-performance-analytics report`: every metric as text, JSON (full precision) and CSV,
//! one strategy alone, and the chart as PNG and SVG of the expected size with real content.

use testkit::performance::{Desk, GENERIC_HEADER, SYMBOLS};

fn desk() -> Desk {
    let desk = Desk::default();
    let days = desk.two_weeks();
    desk.closes(
        SYMBOLS[1].0,
        &days,
        &[
            3400.0, 3380.0, 3390.0, 3350.0, 3360.0, 3370.0, 3300.0, 3320.0, 3330.0,
        ],
    );
    let book = format!(
        "{GENERIC_HEADER}\n\
         1,INFY,BUY,20,1500,2026-11-16 10:00:00,2,momentum\n\
         2,TCS,SELL,10,3400,2026-11-16 10:00:00,2,swing\n\
         3,INFY,SELL,10,1495,2026-11-18 10:00:00,2,momentum\n\
         4,TCS,BUY,10,3350,2026-11-19 10:00:00,2,swing\n\
         5,INFY,SELL,10,1540,2026-11-26 10:00:00,2,momentum\n"
    );
    assert_eq!(desk.import("book.csv", &book, &[]).code, Some(0));
    desk
}

const ALL: [&str; 2] = ["--to", "2026-11-27"];

fn report(desk: &Desk, args: &[&str]) -> testkit::Outcome {
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    all.extend_from_slice(&ALL);
    let out = desk.job().args(all).run().into_outcome();
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    out
}

#[test]
fn the_text_report_shows_every_metric_of_the_portfolio_and_each_strategy() {
    let desk = desk();
    let out = report(&desk, &[]);
    let text = &out.stdout;
    assert!(
        text.starts_with("Performance 2026-11-16 to 2026-11-27 (IST)"),
        "{text}"
    );
    let header = text.lines().nth(2).unwrap();
    for name in ["portfolio", "momentum", "swing"] {
        assert!(header.contains(name), "{header}");
    }
    for label in [
        "P&L (₹)",
        "Sharpe",
        "Sortino",
        "Maximum drawdown",
        "Calmar",
        "Alpha (annual)",
        "Beta",
        "Win rate",
        "Profit factor",
        "Payoff ratio",
        "Expectancy a trade (₹)",
        "Longest winning streak",
        "Longest losing streak",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(label)),
            "{label} missing:\n{text}"
        );
    }
    // P&L: momentum −100 + 450 − 6 charges, swing +500 − 4: ₹840 in all.
    let pnl = text.lines().find(|l| l.starts_with("P&L")).unwrap();
    assert!(
        pnl.contains("840.00") && pnl.contains("344.00") && pnl.contains("496.00"),
        "{pnl}"
    );
}

#[test]
fn json_carries_every_metric_at_full_precision_and_csv_a_row_per_scope() {
    let desk = desk();
    let json: serde_json::Value =
        serde_json::from_str(&report(&desk, &["--format", "json"]).stdout).unwrap();
    let scopes = json["scopes"].as_array().unwrap();
    assert_eq!(scopes.len(), 3);
    let portfolio = &scopes[0];
    assert_eq!(portfolio["strategy"], "portfolio");
    assert_eq!(portfolio["pnl"], 840.0);
    assert_eq!(portfolio["daily"].as_array().unwrap().len(), 9);
    // Full precision: the Sharpe ratio is the float itself, not a rounded text.
    let sharpe = portfolio["sharpe"].as_f64().unwrap();
    assert_ne!(sharpe, (sharpe * 100.0).round() / 100.0);
    assert!(
        portfolio["beta"].is_f64() && portfolio["drawdown_trough"].is_string(),
        "{portfolio}"
    );
    let csv = report(&desk, &["--format", "csv"]).stdout;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(
        lines[0].starts_with("strategy,pnl,realised_pnl,charges,"),
        "{csv}"
    );
    assert!(lines[2].starts_with("momentum,344.0,"), "{csv}");
}

#[test]
fn one_strategy_alone() {
    let desk = desk();
    let json: serde_json::Value =
        serde_json::from_str(&report(&desk, &["--strategy", "swing", "--format", "json"]).stdout)
            .unwrap();
    let scopes = json["scopes"].as_array().unwrap();
    assert_eq!(scopes.len(), 1);
    assert_eq!(scopes[0]["strategy"], "swing");
    assert_eq!(scopes[0]["trades"], 1);
}

#[test]
fn the_chart_renders_as_png_and_svg_with_the_expected_size_and_content() {
    let desk = desk();
    let png = desk.sandbox.path().join("equity.png");
    report(&desk, &["--chart", png.to_str().unwrap()]);
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((info.width, info.height), (1280, 800));
    let bytes = info.color_type.samples();
    let pixels = &pixels[..info.buffer_size()];
    let colours: std::collections::HashSet<&[u8]> = pixels.chunks(bytes).collect();
    let inked = pixels
        .chunks(bytes)
        .filter(|p| p.iter().any(|c| *c < 200))
        .count();
    assert!(colours.len() > 50, "{} colours", colours.len());
    assert!(inked > 20_000, "{inked} inked pixels");
    // The equity line's blue and NIFTY 50's orange are drawn.
    assert!(colours.contains(&[31u8, 90, 180][..]), "no equity line");
    assert!(colours.contains(&[230u8, 120, 20][..]), "no NIFTY 50 line");
    let svg_path = desk.sandbox.path().join("equity.svg");
    report(&desk, &["--chart", svg_path.to_str().unwrap()]);
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    assert!(
        svg.contains("width=\"1280\"") && svg.contains("height=\"800\""),
        "{}",
        &svg[..200]
    );
    assert!(
        svg.matches("<polyline").count() + svg.matches("<path").count() >= 3,
        "{svg}"
    );
    assert!(
        svg.contains("NIFTY 50 rebased") && svg.contains("drawdown"),
        "labels missing"
    );
    let bad = desk.sandbox.path().join("equity.gif");
    let out = desk
        .job()
        .args(["report", "--chart", bad.to_str().unwrap()])
        .run()
        .into_outcome();
    assert_ne!(out.code, Some(0));
    assert!(
        out.stderr.contains("drawn as .png or .svg"),
        "{}",
        out.stderr
    );
}
