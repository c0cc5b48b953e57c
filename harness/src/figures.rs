//! Measured figures: the numbers a run measures (time to ready, latency,
//! throughput, error rate, image size, memory), as data with a unit and a
//! stable name, so reports carry them and `gauntlet compare` can hold one run
//! against another. Series (the readiness timeline, the burst's latencies) are
//! kept beside them for the plots.
//!
//! A check records what it measured with [`record`] and [`record_series`] while
//! it judges; the runner gathers them with [`collect`] around each judgement.
//! Both happen on the thread that judges, so a figure belongs to the check that
//! recorded it; a figure recorded outside [`collect`] is dropped.

use std::cell::RefCell;

use serde::{Deserialize, Serialize};

/// The stable names of the figures gauntlet measures, with what each means.
/// A name never changes meaning; a new measure gets a new name.
pub const NAMES: &[(&str, Unit, Better, &str)] = &[
    (
        "ready.seconds",
        Unit::Seconds,
        Better::Lower,
        "time from process start to the first readiness 200",
    ),
    (
        "load.latency.p50",
        Unit::Seconds,
        Better::Lower,
        "median latency of the successful requests of the load burst",
    ),
    (
        "load.latency.p99",
        Unit::Seconds,
        Better::Lower,
        "99th percentile latency of the successful requests of the load burst",
    ),
    (
        "load.throughput",
        Unit::PerSecond,
        Better::Higher,
        "successful requests per second over the load burst",
    ),
    (
        "load.error_rate",
        Unit::Ratio,
        Better::Lower,
        "failed requests (neither 2xx nor 429) over all requests of the burst",
    ),
    ("image.size", Unit::Bytes, Better::Lower, "the image's size as the engine reports it"),
    (
        "runtime.memory.under_load",
        Unit::Bytes,
        Better::Lower,
        "the container's peak memory during a load burst",
    ),
    (
        "manifests.findings",
        Unit::Count,
        Better::Lower,
        "policy and schema findings of `gauntlet manifests`",
    ),
];

/// A figure's unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Seconds.
    Seconds,
    /// Bytes.
    Bytes,
    /// Events per second.
    PerSecond,
    /// A fraction between 0 and 1.
    Ratio,
    /// A count.
    Count,
}

/// Which way a figure improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    /// Smaller is better (latency, size).
    Lower,
    /// Larger is better (throughput).
    Higher,
}

/// One measured number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// Its stable name, one of [`NAMES`].
    pub name: String,
    /// The value, in `unit`.
    pub value: f64,
    /// The unit of `value`.
    pub unit: Unit,
    /// Which way it improves.
    pub better: Better,
    /// The check that measured it.
    #[serde(default)]
    pub check: String,
}

impl Figure {
    /// The figure `name` with `value`, its unit and direction taken from [`NAMES`].
    ///
    /// # Panics
    /// When `name` is not in [`NAMES`]: a programming error, caught by tests.
    pub fn named(name: &str, value: f64) -> Self {
        let (_, unit, better, _) = NAMES
            .iter()
            .find(|(n, ..)| *n == name)
            .unwrap_or_else(|| panic!("`{name}` is not a figure name (figures::NAMES)"));
        Self { name: name.to_owned(), value, unit: *unit, better: *better, check: String::new() }
    }

    /// The value in its unit, for people: `1.23 s`, `85.2 MB`, `41.0/s`, `0.3 %`.
    pub fn shown(&self) -> String {
        show(self.value, self.unit)
    }
}

/// `value` in `unit`, for people.
pub fn show(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Seconds if value < 1.0 => format!("{:.1} ms", value * 1e3),
        Unit::Seconds => format!("{value:.2} s"),
        Unit::Bytes => format!("{:.1} MB", value / 1e6),
        Unit::PerSecond => format!("{value:.1}/s"),
        Unit::Ratio => format!("{:.2} %", value * 100.0),
        Unit::Count => format!("{value:.0}"),
    }
}

/// How much worse a figure may get before a comparison calls it a regression:
/// `"50%"` of the old value, or a number in the figure's own unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tolerance {
    /// A change of at most this many percent of the old value.
    Percent(f64),
    /// A change of at most this much, in the figure's unit.
    Absolute(f64),
}

impl Tolerance {
    /// Whether going from `old` to `new` worsens the figure by more than this.
    pub fn exceeded(self, old: f64, new: f64, better: Better) -> bool {
        let worse = match better {
            Better::Lower => new - old,
            Better::Higher => old - new,
        };
        if worse <= 0.0 {
            return false;
        }
        match self {
            Self::Absolute(by) => worse > by,
            // From 0 any worsening is infinitely many percent.
            Self::Percent(_) if old == 0.0 => true,
            Self::Percent(percent) => worse / old.abs() * 100.0 > percent,
        }
    }

    /// `50 %` or the amount in `unit`.
    pub fn shown(self, unit: Unit) -> String {
        match self {
            Self::Percent(p) => format!("{p} %"),
            Self::Absolute(by) => show(by, unit),
        }
    }
}

impl Serialize for Tolerance {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Percent(p) => s.serialize_str(&format!("{p}%")),
            Self::Absolute(by) => s.serialize_f64(*by),
        }
    }
}

impl<'de> Deserialize<'de> for Tolerance {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Doc {
            Number(f64),
            Text(String),
        }
        let bad =
            || serde::de::Error::custom("a tolerance is `NN%` or a number in the figure's unit");
        match Doc::deserialize(d)? {
            Doc::Number(by) if by >= 0.0 => Ok(Self::Absolute(by)),
            Doc::Number(_) => Err(bad()),
            Doc::Text(text) => text
                .trim()
                .strip_suffix('%')
                .and_then(|p| p.trim().parse::<f64>().ok())
                .filter(|p| *p >= 0.0)
                .map(Self::Percent)
                .ok_or_else(bad),
        }
    }
}

/// A sequence of points a check saw, for plots: x and y in their units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Its name: `ready.timeline` (x: seconds since start, y: HTTP status),
    /// `drain.timeline` (x: seconds since SIGTERM, y: HTTP status) or
    /// `load.requests` (x: seconds since the burst began, y: latency in seconds).
    pub name: String,
    /// The points, in the order seen.
    pub points: Vec<[f64; 2]>,
    /// Moments marked on the x axis (`ready`, `SIGTERM`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marks: Vec<Mark>,
    /// The check that recorded it.
    #[serde(default)]
    pub check: String,
}

/// A labelled moment of a [`Series`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    /// What happened.
    pub label: String,
    /// When, in the series' x unit.
    pub x: f64,
}

/// What one judgement measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Measured {
    /// Its figures.
    pub figures: Vec<Figure>,
    /// Its series.
    pub series: Vec<Series>,
}

thread_local! {
    static SINK: RefCell<Option<Measured>> = const { RefCell::new(None) };
}

/// Records `value` as the figure `name` of the check being judged on this thread.
pub fn record(name: &str, value: f64) {
    let figure = Figure::named(name, value);
    SINK.with(|sink| {
        if let Some(measured) = sink.borrow_mut().as_mut() {
            measured.figures.retain(|f| f.name != figure.name);
            measured.figures.push(figure);
        }
    });
}

/// Records a series for the check being judged on this thread.
pub fn record_series(name: &str, points: Vec<[f64; 2]>, marks: Vec<Mark>) {
    let series = Series { name: name.to_owned(), points, marks, check: String::new() };
    SINK.with(|sink| {
        if let Some(measured) = sink.borrow_mut().as_mut() {
            measured.series.retain(|s| s.name != series.name);
            measured.series.push(series);
        }
    });
}

/// Runs `judge` and returns what it recorded, each figure and series named by `check`.
pub fn collect<T>(check: &str, judge: impl FnOnce() -> T) -> (T, Measured) {
    let outer = SINK.with(|sink| sink.borrow_mut().replace(Measured::default()));
    let result = judge();
    let mut measured =
        SINK.with(|sink| std::mem::replace(&mut *sink.borrow_mut(), outer)).unwrap_or_default();
    for figure in &mut measured.figures {
        figure.check = check.to_owned();
    }
    for series in &mut measured.series {
        series.check = check.to_owned();
    }
    (result, measured)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_judgement_keeps_what_it_recorded_and_nothing_leaks_between_them() {
        let ((), first) = collect("load.burst", || {
            record("load.latency.p99", 0.5);
            record("load.latency.p99", 0.25);
            record_series("load.requests", vec![[0.0, 0.1]], Vec::new());
        });
        assert_eq!(first.figures.len(), 1, "a name recorded twice is kept once: {first:?}");
        assert_eq!(first.figures[0].value, 0.25);
        assert_eq!(first.figures[0].unit, Unit::Seconds);
        assert_eq!(first.figures[0].check, "load.burst");
        assert_eq!(first.series[0].check, "load.burst");
        let ((), second) = collect("probe.ready.ok", || {});
        assert_eq!(second, Measured::default());
        record("image.size", 1.0);
        let ((), third) = collect("image.size.budget", || {});
        assert!(third.figures.is_empty(), "a figure recorded outside a judgement is dropped");
    }

    #[test]
    fn names_are_unique_and_shown_in_their_unit() {
        let mut names: Vec<_> = NAMES.iter().map(|(n, ..)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), NAMES.len());
        assert_eq!(Figure::named("load.latency.p50", 0.0123).shown(), "12.3 ms");
        assert_eq!(Figure::named("ready.seconds", 2.5).shown(), "2.50 s");
        assert_eq!(Figure::named("image.size", 85_200_000.0).shown(), "85.2 MB");
        assert_eq!(Figure::named("load.error_rate", 0.003).shown(), "0.30 %");
        assert_eq!(Figure::named("load.throughput", 41.0).better, Better::Higher);
    }

    #[test]
    fn a_tolerance_bounds_the_worsening_in_the_figure_s_direction() {
        let half: Tolerance = serde_json::from_str("\"50%\"").unwrap();
        assert_eq!(half, Tolerance::Percent(50.0));
        assert!(!half.exceeded(1.0, 1.5, Better::Lower));
        assert!(half.exceeded(1.0, 1.51, Better::Lower));
        assert!(!half.exceeded(1.0, 0.1, Better::Lower), "an improvement is never a regression");
        assert!(half.exceeded(10.0, 4.9, Better::Higher));
        assert!(!half.exceeded(10.0, 40.0, Better::Higher));
        assert!(half.exceeded(0.0, 0.001, Better::Lower), "from 0 any worsening is too much");
        assert!(!half.exceeded(0.0, 0.0, Better::Lower));
        let absolute: Tolerance = serde_json::from_str("0.01").unwrap();
        assert!(!absolute.exceeded(0.0, 0.01, Better::Lower));
        assert!(absolute.exceeded(0.0, 0.02, Better::Lower));
        assert_eq!(serde_json::to_string(&half).unwrap(), "\"50%\"");
        for bad in ["\"fifty\"", "-1", "\"-5%\"", "true"] {
            assert!(serde_json::from_str::<Tolerance>(bad).is_err(), "{bad}");
        }
    }
}
