//! The soak's samples drawn as an SVG chart (plotters' SVG backend): four panels over time —
//! resident memory, open file descriptors and threads, p50 and p99 latency, requests and errors
//! per second — with the warm-up shaded. Text is written as SVG `<text>`; without plotters' `ttf`
//! feature it estimates text widths itself, so no font file or fontconfig is needed to draw, and
//! the viewer's sans-serif font shows the labels.

use std::path::Path;

use anyhow::{Result, anyhow};
use plotters::prelude::*;

use super::verdict::Sample;

const WIDTH: u32 = 960;
const PANEL_HEIGHT: u32 = 240;

/// A line of a panel: its name, colour, and value at a sample.
type Series = (&'static str, RGBColor, fn(&Sample) -> f64);

/// One panel: its title, y-axis label, and up to two series.
struct Panel {
    title: &'static str,
    unit: &'static str,
    series: Vec<Series>,
}

/// Draws `samples` into an SVG file at `path`.
pub(crate) fn draw(path: &Path, samples: &[Sample], warmup_s: f64, title: &str) -> Result<()> {
    let interval = samples
        .windows(2)
        .map(|w| w[1].at_s - w[0].at_s)
        .next()
        .unwrap_or(10.0)
        .max(f64::EPSILON);
    let panels = [
        Panel {
            title: "resident memory",
            unit: "MiB",
            series: vec![("RSS", BLUE, |s| s.rss_kib as f64 / 1024.0)],
        },
        Panel {
            title: "open file descriptors and threads",
            unit: "count",
            series: vec![
                ("fds", MAGENTA, |s| s.fds as f64),
                ("threads", GREEN, |s| s.threads as f64),
            ],
        },
        Panel {
            title: "latency",
            unit: "ms",
            series: vec![("p50", BLUE, |s| s.p50_ms), ("p99", RED, |s| s.p99_ms)],
        },
        Panel {
            title: "requests answered and errors",
            unit: "per second",
            series: vec![
                ("answered", BLUE, |s| s.answered as f64),
                ("errors", RED, |s| s.errors as f64),
            ],
        },
    ];
    let height = PANEL_HEIGHT * panels.len() as u32 + 40;
    let root = SVGBackend::new(path, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    let (header, body) = root.split_vertically(40);
    header
        .titled(title, ("sans-serif", 20))
        .map_err(|e| anyhow!("{e}"))?;
    let minutes = samples.last().map_or(1.0, |s| s.at_s / 60.0).max(0.1);
    for (area, panel) in body.split_evenly((panels.len(), 1)).iter().zip(&panels) {
        let per_second = panel.unit == "per second";
        let value = |f: fn(&Sample) -> f64, s: &Sample| {
            if per_second { f(s) / interval } else { f(s) }
        };
        let top = samples
            .iter()
            .flat_map(|s| panel.series.iter().map(move |(_, _, f)| value(*f, s)))
            .fold(0.0_f64, f64::max)
            .max(1.0)
            * 1.15;
        let mut chart = ChartBuilder::on(area)
            .caption(panel.title, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..minutes, 0.0..top)
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .x_desc("minutes")
            .y_desc(panel.unit)
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(0.0, 0.0), (warmup_s / 60.0, top)],
                BLACK.mix(0.06).filled(),
            )))
            .map_err(|e| anyhow!("{e}"))?;
        for (name, colour, f) in &panel.series {
            let colour = *colour;
            chart
                .draw_series(LineSeries::new(
                    samples.iter().map(|s| (s.at_s / 60.0, value(*f, s))),
                    colour.stroke_width(2),
                ))
                .map_err(|e| anyhow!("{e}"))?
                .label(*name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK.mix(0.3))
            .position(SeriesLabelPosition::LowerRight)
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
    }
    root.present().map_err(|e| anyhow!("{e}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_an_svg_with_its_labels_as_text() {
        let samples: Vec<Sample> = (1..=12_u32)
            .map(|i| Sample {
                at_s: f64::from(i) * 10.0,
                rss_kib: 8000 + u64::from(i) * 10,
                fds: 14,
                threads: 6,
                answered: 1000,
                errors: 0,
                p50_ms: 0.4,
                p99_ms: 1.2,
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("soak.svg");
        draw(&path, &samples, 30.0, "soak: 2 minutes").unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..100]);
        for text in [
            "soak: 2 minutes",
            "resident memory",
            "latency",
            "p99",
            "minutes",
        ] {
            assert!(svg.contains(text), "no {text:?} in the SVG");
        }
        assert!(svg.contains("<polyline") || svg.contains("<path"));
    }
}
