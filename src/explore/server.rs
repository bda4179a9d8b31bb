//! The explorer's routes: the page and its embedded files, and a JSON API (the queue, one
//! candidate, a stretch of light curve, a re-fold, verdicts). Nothing is served from the
//! file system by path: the page's files are compiled in, and a candidate is named by run
//! index, target and planet, looked up in the loaded catalogue.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::star::{self, Curve, Fold};
use super::Explorer;
use crate::catalogue::{Row, SingleEventRow};
use crate::error::Error;
use crate::io::verdicts::{self, Verdict, VerdictRow};

type Shared = Arc<Explorer>;

/// The page's files: (name, content type, bytes).
const ASSETS: [(&str, &str, &[u8]); 5] = [
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/app.js"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("assets/app.css"),
    ),
    (
        "uPlot.iife.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/vendor/uPlot.iife.min.js"),
    ),
    (
        "uPlot.min.css",
        "text/css; charset=utf-8",
        include_bytes!("assets/vendor/uPlot.min.css"),
    ),
    (
        "uPlot.LICENSE",
        "text/plain; charset=utf-8",
        include_bytes!("assets/vendor/uPlot.LICENSE"),
    ),
];

const INDEX: &str = include_str!("assets/index.html");

/// The routes over an explorer.
pub(crate) fn router(ex: Shared) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], INDEX) }),
        )
        .route("/assets/{name}", get(asset))
        .route("/api/queue", get(queue))
        .route("/api/candidate", get(candidate))
        .route("/api/warm", get(warm))
        .route("/api/flagged", get(flagged))
        .route("/api/curve", get(curve))
        .route("/api/refold", get(refold))
        .route("/api/sky", get(sky))
        .route("/api/verdicts", get(verdict_map))
        .route("/api/verdict", post(set_verdict))
        .with_state(ex)
}

async fn asset(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, kind, bytes)) => ([(header::CONTENT_TYPE, *kind)], *bytes).into_response(),
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

/// An error as the page shows it: `{"error": "..."}` with a status.
struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
    }
}

fn not_found(what: String) -> ApiError {
    ApiError(StatusCode::NOT_FOUND, what)
}

/// Runs blocking work (reading, detrending, searching) off the server's threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
}

/// A candidate's id: `run:target:planet`.
fn id(run: usize, r: &Row) -> String {
    format!("{run}:{}:{}", r.target_id, r.planet)
}

/// The run index and the row an id names.
fn lookup<'a>(ex: &'a Explorer, id: &str) -> Result<(usize, &'a Row), ApiError> {
    let bad = || not_found(format!("no candidate {id:?} in the runs explored"));
    let mut parts = id.rsplitn(2, ':');
    let planet: usize = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let (run, target) = parts
        .next()
        .and_then(|s| s.split_once(':'))
        .ok_or_else(bad)?;
    let run: usize = run.parse().map_err(|_| bad())?;
    let row = ex
        .runs
        .get(run)
        .and_then(|r| {
            r.candidates
                .iter()
                .find(|c| c.target_id == target && c.planet == planet)
        })
        .ok_or_else(bad)?;
    Ok((run, row))
}

/// The queue, column by column (one entry per candidate of every run).
#[derive(Serialize, Default)]
struct Queue {
    runs: Vec<RunInfo>,
    id: Vec<String>,
    target_id: Vec<String>,
    planet: Vec<usize>,
    period: Vec<f64>,
    duration_hours: Vec<f64>,
    depth_ppm: Vec<f64>,
    depth_snr: Vec<f64>,
    sde: Vec<f64>,
    n_transits: Vec<usize>,
    score: Vec<Option<f64>>,
    known_name: Vec<String>,
    known_disposition: Vec<String>,
    relation: Vec<String>,
    verdicts: BTreeMap<String, VerdictRow>,
    problems: Vec<String>,
}

#[derive(Serialize)]
struct RunInfo {
    dir: String,
    state: String,
    model: String,
    candidates: usize,
    labels: String,
}

fn round(x: f64, digits: i32) -> f64 {
    let s = 10f64.powi(digits);
    (x * s).round() / s
}

async fn queue(State(ex): State<Shared>) -> Result<Json<Queue>, ApiError> {
    blocking(move || {
        let mut q = Queue::default();
        for (k, run) in ex.runs.iter().enumerate() {
            q.runs.push(RunInfo {
                dir: run.dir.display().to_string(),
                state: run.state.clone(),
                model: run.model.clone(),
                candidates: run.candidates.len(),
                labels: run.labels.display().to_string(),
            });
            q.problems.extend(run.problems.iter().cloned());
            for r in &run.candidates {
                q.id.push(id(k, r));
                q.target_id.push(r.target_id.clone());
                q.planet.push(r.planet);
                q.period.push(round(r.period, 6));
                q.duration_hours.push(round(r.duration_hours, 3));
                q.depth_ppm.push(round(r.depth_ppm, 1));
                q.depth_snr.push(round(r.depth_snr, 2));
                q.sde.push(round(r.sde, 2));
                q.n_transits.push(r.n_transits);
                q.score.push(r.score.filter(|s| s.is_finite()));
                q.known_name.push(r.known_name.clone());
                q.known_disposition.push(r.known_disposition.clone());
                q.relation.push(r.relation.clone());
            }
            let (v, problems) = run_verdicts(&ex, k);
            q.verdicts.extend(v);
            q.problems.extend(problems);
        }
        Ok(Json(q))
    })
    .await
}

/// Run `k`'s verdicts by candidate id, and the log's problems.
fn run_verdicts(ex: &Explorer, k: usize) -> (BTreeMap<String, VerdictRow>, Vec<String>) {
    let Some(run) = ex.runs.get(k) else {
        return Default::default();
    };
    match verdicts::read(&run.labels) {
        Ok(v) => (
            v.latest
                .into_iter()
                .filter(|(_, r)| r.verdict.is_some())
                .map(|((t, p), r)| (format!("{k}:{t}:{p}"), r))
                .collect(),
            v.problems,
        ),
        Err(e) => (BTreeMap::new(), vec![e.to_string()]),
    }
}

#[derive(Deserialize)]
struct IdQuery {
    id: String,
}

#[derive(Serialize)]
struct Sibling {
    id: String,
    planet: usize,
    period: f64,
    epoch: f64,
    duration_hours: f64,
}

/// Everything the candidate page shows.
#[derive(Serialize)]
struct Candidate {
    id: String,
    run: String,
    row: Row,
    siblings: Vec<Sibling>,
    time_system: String,
    curve: Curve,
    span: (f64, f64),
    gaps: Vec<(f64, f64)>,
    fold: Fold,
    /// The views the classifier scored, as the run kept them.
    views: Option<(Vec<f32>, Vec<f32>)>,
    periodogram: Option<(Vec<f64>, Vec<f64>)>,
    singles: Vec<SingleEventRow>,
    /// Server time for this answer, milliseconds.
    ms: f64,
}

/// Points of the whole light curve sent with a candidate (thinned beyond).
const CURVE_POINTS: usize = 4000;

async fn candidate(
    State(ex): State<Shared>,
    Query(q): Query<IdQuery>,
) -> Result<Json<Candidate>, ApiError> {
    blocking(move || {
        let t0 = Instant::now();
        let (k, row) = lookup(&ex, &q.id)?;
        let run = &ex.runs[k];
        let s = ex.star(k, &row.target_id)?;
        let (first, last) = match (s.flat.time.first(), s.flat.time.last()) {
            (Some(&a), Some(&b)) => (a, b),
            _ => return Err(Error::invalid("the light curve is empty").into()),
        };
        let fold = star::fold(&s.flat, row.ephemeris())?;
        Ok(Json(Candidate {
            id: q.id.clone(),
            run: run.dir.display().to_string(),
            siblings: run
                .siblings(&row.target_id)
                .into_iter()
                .map(|r| Sibling {
                    id: id(k, r),
                    planet: r.planet,
                    period: r.period,
                    epoch: r.epoch,
                    duration_hours: r.duration_hours,
                })
                .collect(),
            time_system: s.time_system.clone(),
            curve: star::curve(&s.flat, first, last, CURVE_POINTS),
            span: (first, last),
            gaps: star::gaps(&s.flat, run.options.detrend.break_tolerance_days),
            fold,
            views: run.views_of(row).map(|(g, l)| (g.to_vec(), l.to_vec())),
            periodogram: run.overviews.get(&row.target_id).cloned(),
            singles: run
                .singles
                .iter()
                .filter(|e| e.target_id == row.target_id)
                .cloned()
                .collect(),
            row: row.clone(),
            ms: t0.elapsed().as_secs_f64() * 1e3,
        }))
    })
    .await
}

/// Reads and detrends a candidate's star ahead of its page (the page asks for the next
/// candidate of the queue while one is shown), so that moving on finds it ready.
async fn warm(State(ex): State<Shared>, Query(q): Query<IdQuery>) -> Result<StatusCode, ApiError> {
    blocking(move || {
        let (k, row) = lookup(&ex, &q.id)?;
        ex.star(k, &row.target_id)?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

/// Times of the cadences the run's quality mask dropped from a candidate's star (the page
/// asks after drawing: it reads the files again).
async fn flagged(
    State(ex): State<Shared>,
    Query(q): Query<IdQuery>,
) -> Result<Json<Vec<f64>>, ApiError> {
    blocking(move || {
        let (k, row) = lookup(&ex, &q.id)?;
        let s = ex.star(k, &row.target_id)?;
        Ok(Json(star::flagged(&ex.runs[k], &s)))
    })
    .await
}

#[derive(Deserialize)]
struct CurveQuery {
    id: String,
    t0: f64,
    t1: f64,
    #[serde(default = "default_points")]
    max: usize,
}

fn default_points() -> usize {
    CURVE_POINTS
}

async fn curve(
    State(ex): State<Shared>,
    Query(q): Query<CurveQuery>,
) -> Result<Json<Curve>, ApiError> {
    blocking(move || {
        let (k, row) = lookup(&ex, &q.id)?;
        let s = ex.star(k, &row.target_id)?;
        Ok(Json(star::curve(
            &s.flat,
            q.t0,
            q.t1,
            q.max.clamp(2, 20_000),
        )))
    })
    .await
}

#[derive(Deserialize)]
struct RefoldQuery {
    id: String,
    period: f64,
}

async fn refold(
    State(ex): State<Shared>,
    Query(q): Query<RefoldQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    blocking(move || {
        let t0 = Instant::now();
        let (k, row) = lookup(&ex, &q.id)?;
        let s = ex.star(k, &row.target_id)?;
        let clf = ex
            .clf
            .lock()
            .map_err(|_| Error::invalid("the classifier was poisoned"))?;
        let r = star::refold(&s, &ex.runs[k], &ex.engine, &clf, q.period)?;
        let mut v = serde_json::to_value(r).map_err(|e| Error::invalid(e.to_string()))?;
        v["ms"] = serde_json::json!(t0.elapsed().as_secs_f64() * 1e3);
        Ok(Json(v))
    })
    .await
}

/// One target of the sky map: where it is, and its best candidate.
#[derive(Serialize, Clone)]
pub(crate) struct SkyTarget {
    target_id: String,
    ra: f64,
    dec: f64,
    best_score: Option<f64>,
    best: String,
}

/// Every target with a candidate that has a sky position in its first file's header (read
/// once, on the first request).
async fn sky(State(ex): State<Shared>) -> Result<Json<Vec<SkyTarget>>, ApiError> {
    blocking(move || {
        Ok(Json(
            ex.sky
                .get_or_init(|| {
                    use rayon::prelude::*;
                    let mut best: BTreeMap<(usize, &str), &Row> = BTreeMap::new();
                    for (k, run) in ex.runs.iter().enumerate() {
                        for r in &run.candidates {
                            let e = best.entry((k, r.target_id.as_str())).or_insert(r);
                            if r.score.unwrap_or(-1.0) > e.score.unwrap_or(-1.0) {
                                *e = r;
                            }
                        }
                    }
                    let targets: Vec<_> = best.into_iter().collect();
                    targets
                        .par_iter()
                        .filter_map(|((k, t), r)| {
                            let files = ex.runs[*k].source_files(r);
                            let first = files.split(';').next()?;
                            let (ra, dec) =
                                crate::io::fits::sky_position(std::path::Path::new(first))?;
                            Some(SkyTarget {
                                target_id: t.to_string(),
                                ra,
                                dec,
                                best_score: r.score.filter(|s| s.is_finite()),
                                best: id(*k, r),
                            })
                        })
                        .collect()
                })
                .clone(),
        ))
    })
    .await
}

async fn verdict_map(
    State(ex): State<Shared>,
) -> Result<Json<BTreeMap<String, VerdictRow>>, ApiError> {
    blocking(move || {
        let mut all = BTreeMap::new();
        for k in 0..ex.runs.len() {
            all.extend(run_verdicts(&ex, k).0);
        }
        Ok(Json(all))
    })
    .await
}

#[derive(Deserialize)]
struct SetVerdict {
    id: String,
    /// `None` clears the candidate's verdict.
    verdict: Option<Verdict>,
    #[serde(default)]
    comment: String,
}

async fn set_verdict(
    State(ex): State<Shared>,
    Json(v): Json<SetVerdict>,
) -> Result<Json<VerdictRow>, ApiError> {
    blocking(move || {
        let (k, row) = lookup(&ex, &v.id)?;
        let time = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let entry = VerdictRow {
            time: round(time, 3),
            target_id: row.target_id.clone(),
            planet: row.planet,
            period: row.period,
            verdict: v.verdict,
            comment: v.comment,
            vetter: ex.vetter.clone(),
        };
        verdicts::append(&ex.runs[k].labels, &entry)?;
        Ok(Json(entry))
    })
    .await
}
