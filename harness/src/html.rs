//! The HTML report: one self-contained file, no external script, style, font
//! or image, its plots SVG drawn here. It holds what produced the run, the
//! check table (filterable by family and outcome, each failure's detail
//! open), the readiness timeline from process start and after SIGTERM, the
//! latency distribution of the load burst with p50 and p99 marked, the
//! throughput over the burst, and with a baseline each figure old against new.
//!
//! A plot whose series was not measured says "no data" and why; it is never
//! drawn empty.

use std::fmt::Write as _;

use gauntlet_formats::xml::escape;

use crate::check::{Level, OutcomeKind};
use crate::compare::{Comparison, FigureVerdict};
use crate::figures::{Figure, Series, Unit, show};
use crate::report::{Run, measured};
use crate::runner::Record;

/// The plot area of every chart, in SVG user units.
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
/// Room for the axes' labels.
const LEFT: f64 = 56.0;
const BOTTOM: f64 = 36.0;
const TOP: f64 = 16.0;
const RIGHT: f64 = 16.0;

/// The whole report.
pub fn html(run: &Run<'_>) -> String {
    let mut records = run.records.lock().expect("records lock").clone();
    records.sort_by_key(|r| r.id);
    let (figures, series) = measured(run.records);
    let about = run.about;
    let count = |f: &dyn Fn(&Record) -> bool| records.iter().filter(|r| f(r)).count();
    let passed = count(&|r| r.outcome == OutcomeKind::Pass);
    let failed = count(&|r| r.outcome == OutcomeKind::Fail && r.level == Level::Must);
    let warned = count(&|r| r.outcome == OutcomeKind::Fail && r.level == Level::Should);
    let not_applicable = count(&|r| r.outcome == OutcomeKind::NotApplicable);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>gauntlet: {target}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <header><h1>gauntlet: {target}</h1>\n\
         <p class=\"about\">gauntlet {version}, profile <code>{profile}</code>, target <code>{target}</code>, {kube}</p>\n\
         <p class=\"counts\"><span class=\"pass\">{passed} passed</span> \
         <span class=\"fail\">{failed} failed</span> <span class=\"warn\">{warned} SHOULD failed</span> \
         <span class=\"na\">{not_applicable} not applicable</span></p></header>\n",
        target = escape(&about.target),
        version = escape(crate::report::About::VERSION),
        profile = escape(&about.profile),
        kube = escape(&about.kubernetes_version.as_ref().map_or_else(
            || "Kubernetes: none (the target is not in a cluster)".to_owned(),
            |v| format!("Kubernetes {v}")
        )),
    );
    if let Some((comparison, allow_missing)) = run.comparison {
        let _ = writeln!(
            out,
            "<p class=\"verdict {}\">{}</p>",
            if comparison.fails(allow_missing) { "fail" } else { "pass" },
            escape(&comparison.verdict_line(allow_missing))
        );
    }
    out.push_str("<section id=\"plots\">\n<h2>Timing</h2>\n");
    out.push_str(&readiness(&series));
    out.push_str(&latency(&series, &figures));
    out.push_str(&throughput(&series));
    if let Some((comparison, _)) = run.comparison {
        out.push_str(&baseline(comparison));
    }
    out.push_str("</section>\n");
    out.push_str(&table(&records));
    let _ = write!(out, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    out
}

/// The check table with its two filters.
fn table(records: &[Record]) -> String {
    let mut families: Vec<&str> = records.iter().map(|r| r.family.name()).collect();
    families.sort_unstable();
    families.dedup();
    let mut out = String::from(
        "<section id=\"checks\">\n<h2>Checks</h2>\n<p class=\"filters\">\
         <label>family <select id=\"family\"><option value=\"\">all</option>",
    );
    for family in &families {
        let _ = write!(out, "<option>{}</option>", escape(family));
    }
    out.push_str(
        "</select></label> <label>outcome <select id=\"outcome\"><option value=\"\">all</option>\
         <option value=\"pass\">passed</option><option value=\"fail\">failed</option>\
         <option value=\"warn\">SHOULD failed</option>\
         <option value=\"not-applicable\">not applicable</option></select></label> \
         <span id=\"shown\"></span></p>\n<table>\n<thead><tr><th>check</th><th>family</th>\
         <th>level</th><th>outcome</th><th>time</th><th>detail</th></tr></thead>\n<tbody>\n",
    );
    for r in records {
        let (outcome, word) = match (r.outcome, r.level) {
            (OutcomeKind::Pass, _) => ("pass", "pass"),
            (OutcomeKind::Fail, Level::Must) => ("fail", "FAIL"),
            (OutcomeKind::Fail, Level::Should) => ("warn", "fail (SHOULD)"),
            (OutcomeKind::NotApplicable, _) => ("not-applicable", "not applicable"),
        };
        let detail = if r.outcome == OutcomeKind::Fail {
            format!(
                "<details open><summary>{}</summary><pre>{}</pre></details>",
                escape(crate::http::clip(r.detail.lines().next().unwrap_or_default()).as_ref()),
                escape(&r.detail)
            )
        } else {
            escape(&r.detail)
        };
        let _ = writeln!(
            out,
            "<tr data-family=\"{family}\" data-outcome=\"{outcome}\"><td><code>{id}</code></td>\
             <td>{family}</td><td>{level}</td><td class=\"{outcome}\">{word}</td>\
             <td class=\"num\">{seconds:.2} s</td><td>{detail}</td></tr>",
            family = escape(r.family.name()),
            id = escape(r.id),
            level = r.level.name(),
            seconds = r.seconds,
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
    out
}

fn find<'a>(series: &'a [Series], name: &str) -> Option<&'a Series> {
    series.iter().find(|s| s.name == name && !s.points.is_empty())
}

fn no_data(id: &str, title: &str, why: &str) -> String {
    format!(
        "<figure id=\"{id}\"><figcaption>{}</figcaption><p class=\"no-data\">no data: {}</p></figure>\n",
        escape(title),
        escape(why)
    )
}

/// Readiness status over time from process start, and after SIGTERM.
fn readiness(series: &[Series]) -> String {
    let mut out = String::new();
    for (id, name, title, check) in [
        (
            "plot-readiness",
            "ready.timeline",
            "Readiness from process start",
            "probe.ready.time-to-ready",
        ),
        ("plot-drain", "drain.timeline", "Readiness after SIGTERM", "probe.ready.sigterm"),
    ] {
        let Some(s) = find(series, name) else {
            out.push_str(&no_data(
                id,
                title,
                &format!("{check} did not measure it on this target"),
            ));
            continue;
        };
        let x_max =
            s.points.iter().map(|p| p[0]).chain(s.marks.iter().map(|m| m.x)).fold(0.0, f64::max);
        let mut chart = Chart::new(id, title, (0.0, x_max.max(0.001) * 1.05), (0.0, 600.0));
        chart.y_ticks = vec![200.0, 503.0];
        chart.x_label = "seconds".into();
        chart.y_label = "HTTP status".into();
        chart.step(&s.points, "status");
        for mark in &s.marks {
            chart.mark_x(mark.x, &mark.label);
        }
        out.push_str(&chart.finish());
    }
    out
}

/// The distribution of the burst's latencies, p50 and p99 marked.
fn latency(series: &[Series], figures: &[Figure]) -> String {
    let (id, title) = ("plot-latency", "Latency of the load burst");
    let Some(s) = find(series, "load.requests") else {
        return no_data(id, title, "load.burst did not measure it on this target");
    };
    let latencies: Vec<f64> = s.points.iter().map(|p| p[1] * 1e3).collect();
    let hi = latencies.iter().copied().fold(0.0, f64::max).max(0.001) * 1.05;
    let bins = histogram(&latencies, 0.0, hi, 24);
    let top = bins.iter().copied().max().unwrap_or(1).max(1) as f64;
    let mut chart = Chart::new(id, title, (0.0, hi), (0.0, top * 1.1));
    chart.x_label = "latency (ms)".into();
    chart.y_label = "requests".into();
    chart.bars(&bins, 0.0, hi);
    for (name, label) in [("load.latency.p50", "p50"), ("load.latency.p99", "p99")] {
        if let Some(f) = figures.iter().find(|f| f.name == name) {
            chart.mark_x(f.value * 1e3, &format!("{label} {}", show(f.value, Unit::Seconds)));
        }
    }
    chart.finish()
}

/// Requests answered per second over the burst.
fn throughput(series: &[Series]) -> String {
    let (id, title) = ("plot-throughput", "Throughput over the load burst");
    let Some(s) = find(series, "load.requests") else {
        return no_data(id, title, "load.burst did not measure it on this target");
    };
    let done: Vec<f64> = s.points.iter().map(|p| p[0] + p[1]).collect();
    let end = done.iter().copied().fold(0.0, f64::max).max(0.001);
    let n = 20;
    let width = end / n as f64;
    let bins = histogram(&done, 0.0, end, n);
    let points: Vec<[f64; 2]> = bins
        .iter()
        .enumerate()
        .map(|(i, c)| [(i as f64 + 0.5) * width, *c as f64 / width])
        .collect();
    let top = points.iter().map(|p| p[1]).fold(0.0, f64::max).max(1.0);
    let mut chart = Chart::new(id, title, (0.0, end), (0.0, top * 1.1));
    chart.x_label = "seconds into the burst".into();
    chart.y_label = "answered / s".into();
    chart.line(&points, "throughput");
    chart.finish()
}

/// Each figure of a comparison, old against new, as a pair of bars scaled to
/// the larger of the two.
fn baseline(comparison: &Comparison) -> String {
    let rows: Vec<_> = comparison.figures.iter().collect();
    let row = 34.0;
    let height = TOP + BOTTOM + row * rows.len().max(1) as f64;
    let label_width = 190.0;
    let bar_max = WIDTH - label_width - 250.0;
    let mut out = format!(
        "<figure id=\"plot-baseline\"><figcaption>Against the baseline ({})</figcaption>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\">\n",
        escape(&comparison.baseline)
    );
    if rows.is_empty() {
        out.push_str(
            "<text x=\"8\" y=\"30\" class=\"no-data\">no data: no figure on either side</text>\n",
        );
    }
    for (i, f) in rows.iter().enumerate() {
        let y = TOP + i as f64 * row;
        let scale = f.old.unwrap_or(0.0).max(f.new.unwrap_or(0.0));
        let length = |v: Option<f64>| match v {
            Some(v) if scale > 0.0 => v / scale * bar_max,
            _ => 0.0,
        };
        let verdict = match f.verdict {
            FigureVerdict::Regressed => "fail",
            FigureVerdict::NoData => "na",
            FigureVerdict::Improved | FigureVerdict::Same | FigureVerdict::Within => "pass",
            FigureVerdict::Ungated | FigureVerdict::New => "warn",
        };
        let value = |v: Option<f64>| v.map_or_else(|| "no data".to_owned(), |v| show(v, f.unit));
        let _ = writeln!(
            out,
            "<text x=\"0\" y=\"{ty:.1}\" class=\"label\">{name}</text>\
             <rect class=\"old\" x=\"{label_width}\" y=\"{y:.1}\" width=\"{ow:.1}\" height=\"12\"/>\
             <rect class=\"new {verdict}\" x=\"{label_width}\" y=\"{y2:.1}\" width=\"{nw:.1}\" height=\"12\"/>\
             <text x=\"{tx:.1}\" y=\"{ty:.1}\" class=\"value\">{old} → {new}: {word}</text>",
            ty = y + 16.0,
            name = escape(&f.name),
            ow = length(f.old),
            nw = length(f.new),
            y2 = y + 13.0,
            tx = label_width + bar_max + 8.0,
            old = escape(&value(f.old)),
            new = escape(&value(f.new)),
            word = escape(f.verdict.word()),
        );
    }
    let _ = write!(
        out,
        "<text x=\"{label_width}\" y=\"{:.1}\" class=\"legend\"><tspan class=\"old-key\">■</tspan> baseline \
         <tspan class=\"new-key\">■</tspan> this run</text>\n</svg></figure>\n",
        height - 8.0
    );
    out
}

/// How many of `values` fall in each of `n` equal bins over `[lo, hi]`.
fn histogram(values: &[f64], lo: f64, hi: f64, n: usize) -> Vec<usize> {
    let mut bins = vec![0; n];
    let width = (hi - lo) / n as f64;
    for v in values {
        let i = (((v - lo) / width).floor().max(0.0) as usize).min(n - 1);
        bins[i] += 1;
    }
    bins
}

/// Tick values for `[lo, hi]`: about `n` of them at 1, 2 or 5 times a power of ten.
fn ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let raw = (hi - lo) / n as f64;
    if raw <= 0.0 || !raw.is_finite() {
        return vec![lo];
    }
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * power).find(|s| *s >= raw).unwrap_or(raw);
    let mut out = Vec::new();
    let mut t = (lo / step).ceil() * step;
    while t <= hi + step * 1e-9 {
        out.push(t);
        t += step;
    }
    out
}

/// `12`, `0.5`, `0.05`: as few digits as the value needs.
fn tick_label(v: f64) -> String {
    let text = format!("{v:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// One SVG chart with linear axes.
struct Chart {
    id: String,
    title: String,
    x: (f64, f64),
    y: (f64, f64),
    x_label: String,
    y_label: String,
    y_ticks: Vec<f64>,
    body: String,
}

impl Chart {
    fn new(id: &str, title: &str, x: (f64, f64), y: (f64, f64)) -> Self {
        Self {
            id: id.into(),
            title: title.into(),
            x,
            y,
            x_label: String::new(),
            y_label: String::new(),
            y_ticks: ticks(y.0, y.1, 4),
            body: String::new(),
        }
    }

    fn px(&self, x: f64) -> f64 {
        LEFT + (x - self.x.0) / (self.x.1 - self.x.0) * (WIDTH - LEFT - RIGHT)
    }

    fn py(&self, y: f64) -> f64 {
        TOP + (1.0 - (y - self.y.0) / (self.y.1 - self.y.0)) * (HEIGHT - TOP - BOTTOM)
    }

    fn path(&self, points: &[[f64; 2]]) -> String {
        points
            .iter()
            .map(|p| format!("{:.1},{:.1}", self.px(p[0]), self.py(p[1])))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// A line through the points.
    fn line(&mut self, points: &[[f64; 2]], class: &str) {
        let _ = writeln!(
            self.body,
            "<polyline class=\"series {class}\" points=\"{}\"/>",
            self.path(points)
        );
    }

    /// A step line: each value holds until the next point.
    fn step(&mut self, points: &[[f64; 2]], class: &str) {
        let mut stepped = Vec::with_capacity(points.len() * 2);
        for (i, p) in points.iter().enumerate() {
            if i > 0 {
                stepped.push([p[0], points[i - 1][1]]);
            }
            stepped.push(*p);
        }
        self.line(&stepped, class);
        for p in points {
            let _ = writeln!(
                self.body,
                "<circle class=\"point {class}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"2\"/>",
                self.px(p[0]),
                self.py(p[1])
            );
        }
    }

    /// Bars of `counts` over equal bins of `[lo, hi]`.
    fn bars(&mut self, counts: &[usize], lo: f64, hi: f64) {
        let width = (hi - lo) / counts.len() as f64;
        for (i, c) in counts.iter().enumerate() {
            let (x0, x1) = (self.px(lo + i as f64 * width), self.px(lo + (i + 1) as f64 * width));
            let (y0, y1) = (self.py(*c as f64), self.py(0.0));
            let _ = writeln!(
                self.body,
                "<rect class=\"bar\" x=\"{:.1}\" y=\"{y0:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>{c}</title></rect>",
                x0 + 0.5,
                (x1 - x0 - 1.0).max(0.5),
                y1 - y0
            );
        }
    }

    /// A labelled vertical line at `x`.
    fn mark_x(&mut self, x: f64, label: &str) {
        let px = self.px(x);
        // Near the right edge the label goes left of the line, so it is never cut.
        let (tx, anchor) =
            if px > WIDTH - RIGHT - 90.0 { (px - 3.0, "end") } else { (px + 3.0, "start") };
        let _ = writeln!(
            self.body,
            "<g class=\"mark\"><line x1=\"{px:.1}\" y1=\"{TOP}\" x2=\"{px:.1}\" y2=\"{:.1}\"/>\
             <text x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text></g>",
            HEIGHT - BOTTOM,
            TOP + 10.0,
            escape(label)
        );
    }

    fn finish(self) -> String {
        let mut out = format!(
            "<figure id=\"{}\"><figcaption>{}</figcaption>\n\
             <svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"{}\">\n",
            escape(&self.id),
            escape(&self.title),
            escape(&self.title)
        );
        let (x0, x1, y0, y1) = (LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM);
        let _ = writeln!(
            out,
            "<g class=\"axis\"><line x1=\"{x0}\" y1=\"{y1}\" x2=\"{x1}\" y2=\"{y1}\"/><line x1=\"{x0}\" y1=\"{y0}\" x2=\"{x0}\" y2=\"{y1}\"/>"
        );
        for t in ticks(self.x.0, self.x.1, 6) {
            let px = self.px(t);
            let _ = writeln!(
                out,
                "<line x1=\"{px:.1}\" y1=\"{y1}\" x2=\"{px:.1}\" y2=\"{:.1}\"/><text x=\"{px:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                y1 + 4.0,
                y1 + 15.0,
                tick_label(t)
            );
        }
        for t in &self.y_ticks {
            let py = self.py(*t);
            let _ = writeln!(
                out,
                "<line class=\"grid\" x1=\"{x0}\" y1=\"{py:.1}\" x2=\"{x1}\" y2=\"{py:.1}\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                x0 - 5.0,
                py + 4.0,
                tick_label(*t)
            );
        }
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" class=\"axis-label\">{}</text>\
             <text transform=\"translate(12 {:.1}) rotate(-90)\" text-anchor=\"middle\" class=\"axis-label\">{}</text></g>",
            (x0 + x1) / 2.0,
            HEIGHT - 4.0,
            escape(&self.x_label),
            (y0 + y1) / 2.0,
            escape(&self.y_label)
        );
        out.push_str(&self.body);
        out.push_str("</svg></figure>\n");
        out
    }
}

const STYLE: &str = "
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 2rem; color: #1d2330; max-width: 72rem; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
code, pre { font-family: ui-monospace, 'SFMono-Regular', Menlo, monospace; font-size: .85em; }
.about { color: #4a5263; margin: 0; }
.counts span { margin-right: 1rem; font-weight: 600; }
.pass { color: #1a7f37; } .fail { color: #cf222e; } .warn { color: #9a6700; } .na { color: #6e7781; }
td.not-applicable { color: #6e7781; }
.verdict { padding: .5rem .75rem; border-radius: 4px; font-weight: 600; }
.verdict.pass { background: #dafbe1; } .verdict.fail { background: #ffebe9; }
#plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(30rem, 1fr)); gap: 1rem; }
#plots h2 { grid-column: 1 / -1; }
figure { margin: 0; border: 1px solid #d0d7de; border-radius: 6px; padding: .5rem; }
figcaption { font-weight: 600; margin-bottom: .25rem; }
svg { width: 100%; height: auto; font-size: 11px; }
.axis line { stroke: #57606a; } .axis .grid { stroke: #d0d7de; stroke-dasharray: 2 3; }
.axis text { fill: #57606a; } .axis-label { font-style: italic; }
.series { fill: none; stroke: #0969da; stroke-width: 1.5; }
.point { fill: #0969da; }
.bar { fill: #54aeff; }
.mark line { stroke: #cf222e; stroke-dasharray: 4 3; } .mark text { fill: #cf222e; font-weight: 600; }
rect.old { fill: #afb8c1; } rect.new.pass { fill: #2da44e; } rect.new.fail { fill: #cf222e; }
rect.new.warn { fill: #bf8700; } rect.new.na { fill: #eaeef2; }
.old-key { fill: #afb8c1; } .new-key { fill: #2da44e; }
.label, .value, .legend { fill: #1d2330; }
.no-data { color: #6e7781; font-style: italic; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { border-bottom: 1px solid #d0d7de; padding: .3rem .5rem; text-align: left; vertical-align: top; }
td.num { text-align: right; white-space: nowrap; }
details pre { white-space: pre-wrap; margin: .25rem 0 0; }
tr[hidden] { display: none; }
";

const SCRIPT: &str = "
(function () {
  var family = document.getElementById('family');
  var outcome = document.getElementById('outcome');
  var shown = document.getElementById('shown');
  var rows = Array.prototype.slice.call(document.querySelectorAll('#checks tbody tr'));
  function apply() {
    var n = 0;
    rows.forEach(function (row) {
      var keep = (!family.value || row.dataset.family === family.value) &&
                 (!outcome.value || row.dataset.outcome === outcome.value);
      row.hidden = !keep;
      if (keep) { n += 1; }
    });
    shown.textContent = n + ' of ' + rows.length + ' checks shown';
  }
  family.addEventListener('change', apply);
  outcome.addEventListener('change', apply);
  apply();
})();
";

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::check::Family;
    use crate::figures::{Mark, Measured};
    use crate::profile::Baselines;
    use crate::report::tests::about;

    fn record(
        id: &'static str,
        family: Family,
        outcome: OutcomeKind,
        measured: Measured,
    ) -> Record {
        Record {
            id,
            family,
            level: Level::Must,
            outcome,
            detail: format!("{id} said <b>&</b>"),
            seconds: 0.25,
            measured,
        }
    }

    fn series(name: &str, points: Vec<[f64; 2]>, marks: Vec<Mark>) -> Series {
        Series { name: name.into(), points, marks, check: String::new() }
    }

    #[test]
    fn the_report_is_self_contained_with_every_plot_and_filterable_rows() {
        let burst: Vec<[f64; 2]> =
            (0..200).map(|i| [f64::from(i) * 0.025, 0.05 + f64::from(i % 7) * 0.01]).collect();
        let load = Measured {
            figures: vec![
                Figure::named("load.latency.p50", 0.08),
                Figure::named("load.latency.p99", 0.11),
            ],
            series: vec![series("load.requests", burst, vec![])],
        };
        let ready = Measured {
            figures: vec![],
            series: vec![series(
                "ready.timeline",
                vec![[0.01, 503.0], [0.1, 503.0], [0.3, 200.0]],
                vec![Mark { label: "ready".into(), x: 0.3 }],
            )],
        };
        let records = Arc::new(Mutex::new(vec![
            record("load.burst", Family::Load, OutcomeKind::Pass, load),
            record("probe.ready.time-to-ready", Family::Probe, OutcomeKind::Pass, ready),
            record("api.info.schema", Family::Api, OutcomeKind::Fail, Measured::default()),
        ]));
        let about = about();
        let page = html(&Run { about: &about, records: &records, comparison: None });
        for needle in [
            "<!DOCTYPE html>",
            "gauntlet 0.1.0, profile <code>reference</code>, target <code>process</code>",
            "<figure id=\"plot-readiness\">",
            "<figure id=\"plot-latency\">",
            "<figure id=\"plot-throughput\">",
            "<text x=\"",
            ">ready</text>",
            ">p50 80.0 ms</text>",
            ">p99 110.0 ms</text>",
            "<tr data-family=\"api\" data-outcome=\"fail\">",
            "<details open><summary>api.info.schema said &lt;b&gt;&amp;&lt;/b&gt;</summary>",
            "<select id=\"family\"><option value=\"\">all</option><option>api</option>",
        ] {
            assert!(page.contains(needle), "{needle} not in the page");
        }
        // Never an empty plot: the SIGTERM timeline was not measured here.
        assert!(page.contains("<figure id=\"plot-drain\"><figcaption>Readiness after SIGTERM</figcaption><p class=\"no-data\">no data: probe.ready.sigterm"));
        // Self-contained: nothing fetched from anywhere.
        for outside in ["<link", "src=", "@import", "url(", "https://"] {
            assert!(!page.contains(outside), "{outside} in the page");
        }
        assert!(!page.contains("plot-baseline"), "no baseline, no baseline plot");
    }

    #[test]
    fn with_a_baseline_each_figure_is_drawn_old_against_new() {
        let old = crate::compare::Side {
            figures: vec![
                Figure::named("load.latency.p99", 0.1),
                Figure::named("ready.seconds", 1.0),
            ],
            ..Default::default()
        };
        let new = crate::compare::Side {
            figures: vec![Figure::named("load.latency.p99", 0.3)],
            ..Default::default()
        };
        let comparison = crate::compare::compare(&old, &new, &Baselines::reference());
        let records = Arc::new(Mutex::new(Vec::new()));
        let about = about();
        let page =
            html(&Run { about: &about, records: &records, comparison: Some((&comparison, false)) });
        assert!(page.contains("<figure id=\"plot-baseline\">"), "{page}");
        assert!(page.contains("<rect class=\"new fail\""), "p99 regressed: {page}");
        assert!(page.contains("100.0 ms → 300.0 ms: REGRESSED"), "{page}");
        assert!(page.contains("1.00 s → no data: no data"), "{page}");
        assert!(
            page.contains("<p class=\"verdict fail\">regression against the baseline"),
            "{page}"
        );
    }

    #[test]
    fn ticks_fall_on_round_numbers() {
        assert_eq!(ticks(0.0, 10.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(ticks(0.0, 0.35, 4), vec![0.0, 0.1, 0.2, 0.30000000000000004]);
        assert_eq!(tick_label(0.30000000000000004), "0.3");
        assert_eq!(ticks(5.0, 5.0, 4), vec![5.0]);
    }

    #[test]
    fn a_histogram_counts_every_value_once() {
        let bins = histogram(&[0.0, 0.5, 0.99, 1.0, 3.9, 4.0], 0.0, 4.0, 4);
        assert_eq!(bins, vec![3, 1, 0, 2]);
        assert_eq!(bins.iter().sum::<usize>(), 6);
    }
}
