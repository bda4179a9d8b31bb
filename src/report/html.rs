//! The screen's report: `report/index.html`, a sortable table of every candidate, and for
//! the top K a page with a one-page summary image in the spirit of Kepler's DV one-page
//! summary: the detrended light curve with the transits marked, the periodogram, the folded
//! transit, the global and local views, odd and even transits, the secondary eclipse, and
//! the numbers.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::page_data::{PageViews, StarPages};
use crate::error::{Error, Result};
use crate::lightcurve::{phase_distance, Series};
use crate::signal::Ephemeris;

use crate::catalogue::Row;

/// A row's columns by name, each as the catalogue writes it (empty for a missing value).
fn columns(r: &Row) -> BTreeMap<String, String> {
    let Ok(serde_json::Value::Object(m)) = serde_json::to_value(r) else {
        return BTreeMap::new();
    };
    m.into_iter()
        .map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            };
            (k, text)
        })
        .collect()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page_stem(rank: usize, r: &Row) -> String {
    let id: String = r
        .target_id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{rank:04}-{id}-{}", r.planet)
}

/// One star's first periodogram, thinned ([`crate::search::SearchResult::overview`]), as a
/// screen run keeps it (`parts/*.overview.csv`) so its report page need not search again.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct OverviewRow {
    pub target_id: String,
    pub source_files: String,
    /// Periods [d] and powers, `;`-separated.
    pub period: String,
    pub power: String,
}

impl OverviewRow {
    pub fn new(lc: &crate::lightcurve::LightCurve, overview: &[(f64, f64)]) -> Self {
        let join = |f: &dyn Fn(&(f64, f64)) -> String| -> String {
            overview.iter().map(f).collect::<Vec<_>>().join(";")
        };
        OverviewRow {
            target_id: lc.target_id().to_string(),
            source_files: crate::catalogue::source_files(lc),
            period: join(&|(p, _)| format!("{p:.6}")),
            power: join(&|(_, w)| format!("{w:.5e}")),
        }
    }

    pub fn points(&self) -> (Vec<f64>, Vec<f64>) {
        let parse = |s: &str| -> Vec<f64> { s.split(';').filter_map(|v| v.parse().ok()).collect() };
        (parse(&self.period), parse(&self.power))
    }
}

/// The overviews a run kept for the stars in `wanted` (the pages drawn), by (target, source
/// files); unreadable parts are skipped (their pages are listed as not drawn).
fn read_overviews(
    out: &Path,
    wanted: &std::collections::BTreeSet<(String, String)>,
) -> BTreeMap<(String, String), OverviewRow> {
    let mut map = BTreeMap::new();
    let Ok(dir) = std::fs::read_dir(out.join("parts")) else {
        return map;
    };
    for e in dir.filter_map(|e| e.ok()) {
        let path = e.path();
        if !path.to_string_lossy().ends_with(".overview.csv") {
            continue;
        }
        let Ok(mut r) = csv::Reader::from_path(&path) else {
            continue;
        };
        for row in r.deserialize::<OverviewRow>().filter_map(|r| r.ok()) {
            let key = (row.target_id.clone(), row.source_files.clone());
            if wanted.contains(&key) {
                map.insert(key, row);
            }
        }
    }
    map
}

/// Writes `out/report/` for the run's catalogue `rows` (as in `out/candidates.csv`, ranked)
/// with pages for the best `top`, drawn from what the run kept (its `parts/`: each star's
/// periodogram and page data, [`StarPages`]); returns the number of pages drawn. A candidate
/// whose page cannot be drawn is listed without one, with why, in the index.
pub fn write(out: &Path, rows: &[Row], top: usize) -> Result<usize> {
    let dir = out.join("report");
    std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
        path: dir.clone(),
        source,
    })?;
    let wanted = rows
        .iter()
        .take(top)
        .map(|r| (r.target_id.clone(), r.source_files.clone()))
        .collect();
    let overviews = read_overviews(out, &wanted);
    let mut stars: BTreeMap<(String, String), std::result::Result<Option<StarPages>, String>> =
        BTreeMap::new();
    let mut pages: Vec<std::result::Result<String, String>> = Vec::new();
    for (rank, r) in rows.iter().enumerate().take(top) {
        let stem = page_stem(rank + 1, r);
        let key = (r.target_id.clone(), r.source_files.clone());
        let star = stars.entry(key.clone()).or_insert_with(|| {
            StarPages::read(out, &r.target_id, &r.source_files).map_err(|e| e.to_string())
        });
        let drawn = page_data(r, star.as_ref(), overviews.get(&key))
            .and_then(|data| draw_page(&dir, &stem, r, &data))
            .map(|_| stem)
            .map_err(|e| e.to_string());
        pages.push(drawn);
    }
    let n = pages.iter().filter(|p| p.is_ok()).count();
    let html = index_html(rows, &pages);
    crate::io::write_atomic(&dir.join("index.html"), html.as_bytes())?;
    Ok(n)
}

const COLUMNS: [(&str, &str); 12] = [
    ("target_id", "target"),
    ("planet", "planet"),
    ("score", "score"),
    ("period", "period [d]"),
    ("duration_hours", "duration [h]"),
    ("depth_ppm", "depth [ppm]"),
    ("depth_snr", "SNR"),
    ("sde", "SDE"),
    ("n_transits", "transits"),
    ("odd_even_sigma", "odd/even [σ]"),
    ("known_name", "known"),
    ("match", "match"),
];

fn index_html(rows: &[Row], pages: &[std::result::Result<String, String>]) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>exoscreen candidates</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }}
table {{ border-collapse: collapse; font-size: 14px; }}
th, td {{ border: 1px solid #ccc; padding: 3px 7px; text-align: right; }}
th {{ background: #eef; cursor: pointer; position: sticky; top: 0; }}
td:first-child, th:first-child {{ text-align: left; }}
img.thumb {{ width: 180px; display: block; }}
</style></head>
<body data-rows="{}" data-images-total="0" data-images-loaded="0">
<h1>exoscreen: {} candidate(s)</h1>
<p>Ranked by the classifier's score (planet probability). Click a column to sort; pages
are drawn for the top {}.</p>
<table id="candidates"><thead><tr><th>rank</th>"#,
        rows.len(),
        rows.len(),
        pages.len()
    );
    for (_, label) in COLUMNS {
        let _ = write!(h, "<th>{}</th>", html_escape(label));
    }
    h.push_str("<th>summary</th></tr></thead><tbody>\n");
    for (i, r) in rows.iter().enumerate() {
        let _ = write!(h, "<tr><td>{}</td>", i + 1);
        let cols = columns(r);
        for (k, _) in COLUMNS {
            let v = cols.get(k).map_or("", String::as_str);
            let shown = match v.parse::<f64>() {
                Ok(x) if k != "target_id" && k != "planet" && k != "n_transits" => {
                    if x.abs() >= 100.0 {
                        format!("{x:.1}")
                    } else {
                        format!("{x:.4}")
                    }
                }
                _ => v.to_string(),
            };
            let _ = write!(h, "<td>{}</td>", html_escape(&shown));
        }
        match pages.get(i) {
            Some(Ok(stem)) => {
                let _ = write!(
                    h,
                    r#"<td><a href="{stem}.html"><img class="thumb" src="{stem}.png" alt="summary of {}"></a></td>"#,
                    html_escape(&r.target_id)
                );
            }
            Some(Err(why)) => {
                let _ = write!(h, "<td>not drawn: {}</td>", html_escape(why));
            }
            None => h.push_str("<td></td>"),
        }
        h.push_str("</tr>\n");
    }
    h.push_str(
        r#"</tbody></table>
<script>
// Sortable columns (numbers numerically).
document.querySelectorAll('#candidates th').forEach(function (th, col) {
  th.addEventListener('click', function () {
    var body = document.querySelector('#candidates tbody');
    var rows = Array.from(body.rows);
    var asc = th.dataset.asc !== '1';
    th.dataset.asc = asc ? '1' : '0';
    rows.sort(function (a, b) {
      var x = a.cells[col].textContent, y = b.cells[col].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (isNaN(nx) || isNaN(ny)) ? x.localeCompare(y) : nx - ny;
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
// Record how many images loaded (read by the report test).
window.addEventListener('load', function () {
  var imgs = Array.from(document.images);
  document.body.dataset.imagesTotal = imgs.length;
  document.body.dataset.imagesLoaded = imgs.filter(function (i) {
    return i.complete && i.naturalWidth > 0;
  }).length;
});
</script>
</body></html>
"#,
    );
    h
}

fn page_html(stem: &str, r: &Row) -> String {
    let mut h = format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{t} planet {p}</title>
<style>body {{ font-family: sans-serif; margin: 1.5em; }} td {{ padding: 2px 8px; }}</style>
</head><body><p><a href="index.html">all candidates</a></p>
<h1>{t}, candidate {p}</h1>
<img src="{stem}.png" alt="one-page summary" style="max-width: 100%">
<table>"#,
        t = html_escape(&r.target_id),
        p = r.planet,
    );
    for (k, v) in columns(r) {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td></tr>",
            html_escape(&k),
            html_escape(&v)
        );
    }
    h.push_str("</table></body></html>\n");
    h
}

/// Data of one summary page.
struct PageData {
    flat: Series,
    period_grid: Vec<f64>,
    power: Vec<f64>,
    views: PageViews,
}

/// What the run kept for row `r`'s page: its star's page data and first periodogram.
fn page_data(
    r: &Row,
    star: std::result::Result<&Option<StarPages>, &String>,
    overview: Option<&OverviewRow>,
) -> Result<PageData> {
    let star = star.map_err(|e| Error::invalid(e.clone()))?;
    let not_kept = || {
        Error::invalid(
            "the run kept no page data for it (its batch was screened by an earlier version, \
             or when fewer pages were asked for: screen again from scratch to draw it)",
        )
    };
    let pages = star.as_ref().ok_or_else(not_kept)?;
    let views = pages
        .candidate(r.planet)
        .ok_or_else(not_kept)?
        .views
        .clone()
        .map_err(Error::invalid)?;
    let (period_grid, power) = overview
        .map(OverviewRow::points)
        .filter(|(p, w)| !p.is_empty() && p.len() == w.len())
        .ok_or_else(|| Error::invalid("the run kept no periodogram for its star"))?;
    Ok(PageData {
        flat: pages.series(),
        period_grid,
        power,
        views,
    })
}

fn draw_page(dir: &Path, stem: &str, r: &Row, data: &PageData) -> Result<()> {
    let png = dir.join(format!("{stem}.png"));
    draw_summary(&png, r, data)?;
    crate::io::write_atomic(
        &dir.join(format!("{stem}.html")),
        page_html(stem, r).as_bytes(),
    )
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

fn range(v: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = v
        .filter(|x| x.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(1e-9);
    (lo - pad, hi + pad)
}

/// A panel of points (grey) with optional highlighted points (red) and a line (blue).
/// One panel of a summary page: grey points, red points, a blue and a red line (any may be
/// empty), under a title and above an x-axis label.
#[derive(Default)]
struct Panel<'a> {
    title: &'a str,
    x_desc: &'a str,
    points: &'a [(f64, f64)],
    highlight: &'a [(f64, f64)],
    line: &'a [(f64, f64)],
    line2: &'a [(f64, f64)],
}

fn panel(area: &Area<'_>, spec: Panel<'_>) -> std::result::Result<(), String> {
    let Panel {
        title,
        x_desc,
        points,
        highlight,
        line,
        line2,
    } = spec;
    let (x0, x1) = range(points.iter().chain(highlight).chain(line).map(|p| p.0));
    let (y0, y1) = range(
        points
            .iter()
            .chain(highlight)
            .chain(line)
            .chain(line2)
            .map(|p| p.1),
    );
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 18))
        .margin(8)
        .x_label_area_size(34)
        .y_label_area_size(64)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .label_style(("sans-serif", 12))
        .light_line_style(WHITE)
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(
            points
                .iter()
                .map(|&p| Circle::new(p, 1, RGBColor(120, 120, 120).filled())),
        )
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(highlight.iter().map(|&p| Circle::new(p, 1, RED.filled())))
        .map_err(|e| e.to_string())?;
    if !line.is_empty() {
        chart
            .draw_series(LineSeries::new(line.iter().copied(), BLUE.stroke_width(2)))
            .map_err(|e| e.to_string())?;
    }
    if !line2.is_empty() {
        chart
            .draw_series(LineSeries::new(line2.iter().copied(), RED.stroke_width(2)))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn view_line(v: &[f64]) -> Vec<(f64, f64)> {
    let n = v.len().max(2) as f64 - 1.0;
    v.iter()
        .enumerate()
        .map(|(i, &y)| (i as f64 / n - 0.5, y))
        .collect()
}

/// Draws a candidate's summary page. Long on purpose: one figure's layout, panel after
/// panel on one drawing area, read top to bottom as the page is.
fn draw_summary(path: &Path, r: &Row, d: &PageData) -> Result<()> {
    crate::report::plot::register_font()?;
    let err = |e: String| Error::file(path, format!("cannot draw the summary: {e}"));
    let root = BitMapBackend::new(path, (1500, 1150)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
    let Ephemeris {
        period: p,
        epoch: e,
        duration: dur,
    } = r.ephemeris();
    let title = format!(
        "{} candidate {}: P = {:.5} d, depth {:.0} ppm, duration {:.2} h, SNR {:.1}, SDE {:.1}, score {}",
        r.target_id,
        r.planet,
        p,
        r.depth_ppm,
        r.duration_hours,
        r.depth_snr,
        r.sde,
        r.score.map_or(String::new(), |s| s.to_string())
    );
    let root = root
        .titled(&title, ("sans-serif", 22))
        .map_err(|e| err(e.to_string()))?;
    let rows = root.split_evenly((4, 1));
    let (mid, views_row, last) = (
        rows[1].split_evenly((1, 2)),
        rows[2].split_evenly((1, 2)),
        rows[3].split_evenly((1, 2)),
    );
    // 1: the light curve, transits in red.
    let (out_of_transit, in_transit) = light_curve_points(&d.flat, p, e, dur);
    let time_desc = format!("time [{}]", r.time_system);
    // 2: periodogram (the candidate's period marked) | folded transit.
    let pg: Vec<(f64, f64)> = d
        .period_grid
        .iter()
        .copied()
        .zip(d.power.iter().copied())
        .collect();
    let (lo, hi) = range(d.power.iter().copied());
    let mark = [(p, lo), (p, hi)];
    let folded = folded_points(&d.flat, p, e, 3.0 * dur);
    // 3: global | local views; 4: odd (blue) vs even (red) | secondary eclipse.
    let v = &d.views;
    let (global, local) = (view_line(&v.global), view_line(&v.local));
    let (odd, even, secondary) = (
        view_line(&v.odd),
        view_line(&v.even),
        view_line(&v.secondary),
    );
    let sec_title = format!(
        "secondary eclipse (depth {:.0} ppm, SNR {:.1})",
        r.depth_secondary_ppm, r.secondary_snr
    );
    let panels = [
        (
            &rows[0],
            Panel {
                title: "detrended light curve (transits in red)",
                x_desc: &time_desc,
                points: &out_of_transit,
                highlight: &in_transit,
                ..Panel::default()
            },
        ),
        (
            &mid[0],
            Panel {
                title: "periodogram (candidate's period in red)",
                x_desc: "period [d]",
                line: &pg,
                line2: &mark,
                ..Panel::default()
            },
        ),
        (
            &mid[1],
            Panel {
                title: "folded at the period",
                x_desc: "hours from mid-transit",
                points: &folded,
                ..Panel::default()
            },
        ),
        (
            &views_row[0],
            Panel {
                title: "global view",
                x_desc: "phase",
                line: &global,
                ..Panel::default()
            },
        ),
        (
            &views_row[1],
            Panel {
                title: "local view",
                x_desc: "phase (view widths)",
                line: &local,
                ..Panel::default()
            },
        ),
        (
            &last[0],
            Panel {
                title: "odd (blue) and even (red) transits",
                x_desc: "phase (view widths)",
                line: &odd,
                line2: &even,
                ..Panel::default()
            },
        ),
        (
            &last[1],
            Panel {
                title: &sec_title,
                x_desc: "phase 0.5 (view widths)",
                line: &secondary,
                ..Panel::default()
            },
        ),
    ];
    for (area, spec) in panels {
        panel(area, spec).map_err(err)?;
    }
    root.present().map_err(|e| err(e.to_string()))?;
    Ok(())
}

/// (x, y) points of a panel.
type Points = Vec<(f64, f64)>;

/// The light curve's points (at most ~20,000, evenly thinned), out of and in transit.
fn light_curve_points(flat: &Series, p: f64, e: f64, dur: f64) -> (Points, Points) {
    let t = &flat.time;
    let stride = (t.len() / 20000).max(1);
    (0..t.len())
        .step_by(stride)
        .map(|i| (t[i], flat.flux[i]))
        .partition(|&(ti, _)| phase_distance(ti, e, p) > 0.5 * dur)
}

/// The points within `reach` days of mid-transit, folded at the period, in hours.
fn folded_points(flat: &Series, p: f64, e: f64, reach: f64) -> Vec<(f64, f64)> {
    flat.time
        .iter()
        .zip(&flat.flux)
        .map(|(&ti, &f)| ((ti - e + 0.5 * p).rem_euclid(p) - 0.5 * p, f))
        .filter(|(x, _)| x.abs() <= reach)
        .map(|(x, f)| (x * 24.0, f))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::page_data::CandidatePage;
    use super::*;

    #[test]
    fn a_page_without_what_the_run_kept_says_why() {
        let row = Row {
            target_id: "a".into(),
            planet: 2,
            ..Default::default()
        };
        let why = |star: &Option<StarPages>, overview: Option<&OverviewRow>| {
            page_data(&row, Ok(star), overview)
                .err()
                .unwrap()
                .to_string()
        };
        assert!(why(&None, None).contains("kept no page data"));
        let star = StarPages {
            target_id: "a".into(),
            source_files: String::new(),
            time: vec![1.0, 2.0],
            flux: vec![1.0, 1.0],
            candidates: Vec::new(),
        };
        assert!(why(&Some(star.clone()), None).contains("kept no page data"));
        let views = PageViews {
            global: vec![0.0],
            local: vec![0.0],
            odd: vec![0.0],
            even: vec![0.0],
            secondary: vec![0.0],
        };
        let kept = StarPages {
            candidates: vec![CandidatePage {
                planet: 2,
                views: Ok(views),
            }],
            ..star
        };
        assert!(why(&Some(kept.clone()), None).contains("no periodogram"));
        let overview = OverviewRow {
            target_id: "a".into(),
            source_files: String::new(),
            period: "1;2".into(),
            power: "0.5;0.7".into(),
        };
        let data = page_data(&row, Ok(&Some(kept)), Some(&overview)).unwrap();
        assert_eq!(
            (data.period_grid, data.power),
            (vec![1.0, 2.0], vec![0.5, 0.7])
        );
        assert_eq!(data.flat.time, [1.0, 2.0]);
    }
}
