//! Prometheus metrics (`prometheus-client`, text format): HTTP requests by route and code, reloads,
//! build info, one set of gauges per source, and one per document.
//!
//! The per-source and per-document gauges are not stored: a [`Collector`] reads them from the
//! current snapshot at scrape time. So they can never disagree with what is served, a deleted document's series
//! disappear with it, and `gitops_status_stale` is computed against the clock of the scrape.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelSet, EncodeLabelValue, EncodeMetric, LabelValueEncoder,
};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use status_core::SyncStatus;

use crate::snapshot::Snapshot;

/// Labels of the HTTP metrics.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(crate) struct RequestLabels {
    /// The route pattern (`/status/{name}.json`), never the raw path: bounded cardinality.
    pub(crate) route: &'static str,
    /// The status code.
    pub(crate) code: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct DocumentLabel {
    document: Escaped<String>,
}

/// A label value escaped as the exposition format requires (`\\`, `\"`, `\n`).
/// prometheus-client 0.24 writes label values verbatim, and document keys, `repo` and `server`
/// come from files: one quote or newline in them would make the whole scrape unparseable.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Escaped<S>(S);

impl<S: AsRef<str>> EncodeLabelValue for Escaped<S> {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        use std::fmt::Write;
        let value = self.0.as_ref();
        let mut start = 0;
        for (i, c) in value.char_indices() {
            let escape = match c {
                '\\' => "\\\\",
                '"' => "\\\"",
                '\n' => "\\n",
                _ => continue,
            };
            encoder.write_str(&value[start..i])?;
            encoder.write_str(escape)?;
            start = i + c.len_utf8();
        }
        encoder.write_str(&value[start..])
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct VersionLabel {
    version: &'static str,
}

type HistogramFamily = Family<RequestLabels, Histogram, fn() -> Histogram>;

/// Every route label the server uses (`other` is any unknown path).
const ROUTES: [&str; 13] = [
    "/",
    "/status.json",
    "/status/{name}.json",
    "/status/{name}.html",
    "/statuses.json",
    "/badge.svg",
    "/badge/{name}.svg",
    "/badge.json",
    "/badge/{name}.json",
    "/healthz",
    "/readyz",
    "/metrics",
    "other",
];
/// The status codes the server answers with.
const CODES: [u16; 6] = [200, 304, 404, 405, 500, 503];

/// The series of one (route, code) pair, looked up in the families once and then reused: the
/// request path then touches two atomics and a lock-free-in-practice histogram, no hash map.
/// Created on first use, so series that never happened are not exported as zeros.
type HotSeries = OnceLock<(Counter, Histogram)>;

/// The metrics the server updates as it runs.
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    reloads: Counter,
    reload_failures: Family<DocumentLabel, Counter>,
    hot: Vec<HotSeries>,
}

fn latency_histogram() -> Histogram {
    Histogram::new([
        0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
        1.0,
    ])
}

impl Metrics {
    /// Registers every metric; the document gauges read `snapshot` at scrape time.
    pub(crate) fn new(snapshot: Arc<ArcSwap<Snapshot>>, stale_after: Option<Duration>) -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "gitops_status_http_requests",
            "HTTP requests answered, by route and status code",
            requests.clone(),
        );
        let latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        registry.register(
            "gitops_status_http_request_duration_seconds",
            "Time to build each HTTP response, by route and status code",
            latency.clone(),
        );
        let reloads = Counter::default();
        registry.register(
            "gitops_status_reloads",
            "Reloads that changed what is served (new, updated, rejected or removed documents)",
            reloads.clone(),
        );
        let reload_failures = Family::<DocumentLabel, Counter>::default();
        registry.register(
            "gitops_status_reload_failures",
            "Document versions rejected (unreadable or invalid); the last good version stays served",
            reload_failures.clone(),
        );
        let build = Family::<VersionLabel, Gauge>::default();
        build
            .get_or_create(&VersionLabel {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        registry.register(
            "gitops_status_build_info",
            "Always 1; the label carries the status-server version",
            build,
        );
        registry.register_collector(Box::new(DocumentCollector {
            snapshot,
            stale_after,
        }));
        Self {
            registry,
            requests,
            latency,
            reloads,
            reload_failures,
            hot: (0..ROUTES.len() * CODES.len())
                .map(|_| OnceLock::new())
                .collect(),
        }
    }

    /// Counts one answered request.
    pub(crate) fn observe_request(&self, route: &'static str, code: u16, elapsed: Duration) {
        let slot = ROUTES
            .iter()
            .position(|r| *r == route)
            .zip(CODES.iter().position(|c| *c == code));
        if let Some(slot) = slot.and_then(|(r, c)| self.hot.get(r * CODES.len() + c)) {
            let (count, latency) = slot.get_or_init(|| {
                let labels = RequestLabels { route, code };
                (
                    self.requests.get_or_create_owned(&labels),
                    self.latency.get_or_create_owned(&labels),
                )
            });
            count.inc();
            latency.observe(elapsed.as_secs_f64());
            return;
        }
        let labels = RequestLabels { route, code };
        self.requests.get_or_create(&labels).inc();
        self.latency
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// Counts a reload that changed the snapshot.
    pub(crate) fn reloaded(&self) {
        self.reloads.inc();
    }

    /// Counts a rejected version of `document`.
    pub(crate) fn rejected(&self, document: &str) {
        self.reload_failures
            .get_or_create(&DocumentLabel {
                document: Escaped(document.to_owned()),
            })
            .inc();
    }

    /// Every metric in the text exposition format.
    pub(crate) fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::with_capacity(8 * 1024);
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// The per-document gauges, computed from the snapshot at scrape time.
#[derive(Debug)]
struct DocumentCollector {
    snapshot: Arc<ArcSwap<Snapshot>>,
    stale_after: Option<Duration>,
}

impl Collector for DocumentCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let snapshot = self.snapshot.load();
        encode_sources(&snapshot, &mut encoder)?;

        let mut valid = encoder.encode_descriptor(
            "gitops_status_document_valid",
            "1 when the latest version of the document is valid and served, 0 when it was rejected",
            None,
            MetricType::Gauge,
        )?;
        for (key, document) in snapshot.documents.iter() {
            let labels = [("document", Escaped(key.as_str()))];
            ConstGauge::new(i64::from(document.error.is_none()))
                .encode(valid.encode_family(&labels)?)?;
        }

        let served: Vec<(&str, &status_core::StatusDocument)> = snapshot
            .documents
            .iter()
            .filter_map(|(k, d)| d.served.as_ref().map(|s| (k.as_str(), &s.entry.document)))
            .collect();

        let mut sync = encoder.encode_descriptor(
            "gitops_status_sync",
            "1 for the document's current sync_status, 0 for the others",
            None,
            MetricType::Gauge,
        )?;
        for (key, doc) in &served {
            for status in SyncStatus::ALL {
                let labels = [
                    ("document", Escaped(*key)),
                    ("repo", Escaped(doc.repo())),
                    ("server", Escaped(doc.server())),
                    ("status", Escaped(status.as_str())),
                ];
                ConstGauge::new(i64::from(doc.sync_status() == status))
                    .encode(sync.encode_family(&labels)?)?;
            }
        }

        let mut drift = encoder.encode_descriptor(
            "gitops_status_drift_count",
            "The document's drift_count",
            None,
            MetricType::Gauge,
        )?;
        for (key, doc) in &served {
            let labels = doc_labels(key, doc);
            ConstGauge::new(i64::try_from(doc.drift_count()).unwrap_or(i64::MAX))
                .encode(drift.encode_family(&labels)?)?;
        }

        let mut last_check = encoder.encode_descriptor(
            "gitops_status_last_check_timestamp_seconds",
            "The document's last_check, as a Unix timestamp",
            None,
            MetricType::Gauge,
        )?;
        for (key, doc) in &served {
            let labels = doc_labels(key, doc);
            ConstGauge::new(last_check_seconds(doc)).encode(last_check.encode_family(&labels)?)?;
        }

        if let Some(stale_after) = self.stale_after {
            let now = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64());
            let mut stale = encoder.encode_descriptor(
                "gitops_status_stale",
                "1 when the document's last_check is older than --stale-after",
                None,
                MetricType::Gauge,
            )?;
            for (key, doc) in &served {
                let labels = doc_labels(key, doc);
                let age = now - last_check_seconds(doc);
                ConstGauge::new(i64::from(age > stale_after.as_secs_f64()))
                    .encode(stale.encode_family(&labels)?)?;
            }
        }
        Ok(())
    }
}

/// Per source: up, documents, watch restarts and the last event; and the clashes.
fn encode_sources(
    snapshot: &Snapshot,
    encoder: &mut DescriptorEncoder,
) -> Result<(), std::fmt::Error> {
    let mut up = encoder.encode_descriptor(
        "gitops_status_source_up",
        "1 while the source reads (its directories list, its watch is answered), else 0",
        None,
        MetricType::Gauge,
    )?;
    for source in snapshot.sources.iter() {
        let labels = [("source", Escaped(source.name.as_str()))];
        ConstGauge::new(i64::from(source.up)).encode(up.encode_family(&labels)?)?;
    }
    let mut documents = encoder.encode_descriptor(
        "gitops_status_source_documents",
        "The documents the source holds (valid or not, served or hidden)",
        None,
        MetricType::Gauge,
    )?;
    for source in snapshot.sources.iter() {
        let labels = [("source", Escaped(source.name.as_str()))];
        ConstGauge::new(i64::try_from(source.documents).unwrap_or(i64::MAX))
            .encode(documents.encode_family(&labels)?)?;
    }
    let mut restarts = encoder.encode_descriptor(
        "gitops_status_source_watch_restarts",
        "Watches started again after the first (closed by the API server, broken, or relisted)",
        None,
        MetricType::Counter,
    )?;
    for source in snapshot.sources.iter() {
        if let Some(count) = source.restarts {
            let labels = [("source", Escaped(source.name.as_str()))];
            ConstCounter::new(count).encode(restarts.encode_family(&labels)?)?;
        }
    }
    let mut last_event = encoder.encode_descriptor(
        "gitops_status_source_last_event_timestamp_seconds",
        "When the watch last delivered a change (a list, an object added, changed or deleted)",
        None,
        MetricType::Gauge,
    )?;
    for source in snapshot.sources.iter() {
        if let Some(at) = source.last_event {
            let labels = [("source", Escaped(source.name.as_str()))];
            let seconds = at
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64());
            ConstGauge::new(seconds).encode(last_event.encode_family(&labels)?)?;
        }
    }
    let mut shadowed = encoder.encode_descriptor(
        "gitops_status_document_shadowed",
        "1 for a document a source holds but another source of the same kind hides (a clash)",
        None,
        MetricType::Gauge,
    )?;
    for clash in snapshot.shadowed.iter() {
        let labels = [
            ("document", Escaped(clash.document.as_str())),
            ("source", Escaped(clash.source.as_str())),
            ("by", Escaped(clash.by.as_str())),
        ];
        ConstGauge::new(1).encode(shadowed.encode_family(&labels)?)?;
    }
    Ok(())
}

fn doc_labels<'a>(
    key: &'a str,
    doc: &'a status_core::StatusDocument,
) -> [(&'static str, Escaped<&'a str>); 3] {
    [
        ("document", Escaped(key)),
        ("repo", Escaped(doc.repo())),
        ("server", Escaped(doc.server())),
    ]
}

fn last_check_seconds(doc: &status_core::StatusDocument) -> f64 {
    doc.last_check().timestamp_millis() as f64 / 1000.0
}
