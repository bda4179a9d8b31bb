//! `exoscreen explore`: the server's answers over a screened simulated field (queue, every
//! candidate, a stretch of light curve, a re-fold), the verdict log (append-only, undo, two
//! explorers at once, kept across restarts), what it refuses to serve, a run with missing or
//! malformed files, `train` on a vetted run, and the page driven in headless Chromium.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use crate::common::{exoscreen, stderr};
use crate::http;

/// A screened field shared by the tests (read-only: each test copies the run folder).
fn screened() -> &'static Path {
    static RUN: OnceLock<PathBuf> = OnceLock::new();
    RUN.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap().keep();
        let field = tmp.join("field");
        let o = exoscreen(&[
            "simulate",
            "--n",
            "24",
            "--mix",
            "planet=0.6,eb=0.4",
            "--seed",
            "11",
            "--out",
            field.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let run = tmp.join("run");
        let o = exoscreen(&[
            "screen",
            field.to_str().unwrap(),
            "--out",
            run.to_str().unwrap(),
            "--report-top",
            "0",
            "--engine",
            "cpu",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        run
    })
}

/// A copy of the screened run's folder (its light curves stay where they are).
fn run_copy(dir: &Path) -> PathBuf {
    let out = dir.join("run");
    std::fs::create_dir_all(&out).unwrap();
    for e in std::fs::read_dir(screened()).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, out.join(p.file_name().unwrap())).unwrap();
        }
    }
    let parts = out.join("parts");
    std::fs::create_dir_all(&parts).unwrap();
    for e in std::fs::read_dir(screened().join("parts")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, parts.join(p.file_name().unwrap())).unwrap();
    }
    out
}

/// A running explorer, stopped when dropped.
pub struct Server {
    child: Child,
    pub url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `exoscreen explore ARGS --port 0` and waits for the address it prints.
pub fn serve(args: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_exoscreen"))
        .arg("explore")
        .args(args)
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting exoscreen explore");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .trim_end_matches('/')
        .to_string();
    Server { child, url }
}

/// GET: status and body.
pub fn get(url: &str) -> (u16, String) {
    http::request("GET", url, None).unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

pub fn get_json(url: &str) -> serde_json::Value {
    let (code, body) = get(url);
    assert_eq!(code, 200, "GET {url}: {body}");
    serde_json::from_str(&body).unwrap()
}

fn post(url: &str, body: &str) -> (u16, String) {
    http::request("POST", url, Some(body)).unwrap_or_else(|e| panic!("POST {url}: {e}"))
}

fn verdict(s: &Server, id: &str, verdict: Option<&str>, comment: &str) -> serde_json::Value {
    let body = serde_json::json!({ "id": id, "verdict": verdict, "comment": comment });
    let (code, text) = post(&format!("{}/api/verdict", s.url), &body.to_string());
    assert_eq!(code, 200, "{text}");
    serde_json::from_str(&text).unwrap()
}

fn ids(q: &serde_json::Value) -> Vec<String> {
    q["id"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

fn enc(s: &str) -> String {
    s.replace(':', "%3A")
}

fn catalogue_rows(run: &Path) -> usize {
    csv::Reader::from_path(run.join("candidates.csv"))
        .unwrap()
        .records()
        .count()
}

#[test]
fn explore_answers_the_queue_every_candidate_and_a_refold() {
    let tmp = tempfile::tempdir().unwrap();
    let run = run_copy(tmp.path());
    let s = serve(&[run.to_str().unwrap()]);
    assert!(s.url.starts_with("http://127.0.0.1:"), "{}", s.url);
    let (code, page) = get(&format!("{}/", s.url));
    assert_eq!(code, 200);
    assert!(page.contains("/assets/app.js") && page.contains("uPlot"));
    let q = get_json(&format!("{}/api/queue", s.url));
    let ids = ids(&q);
    assert!(ids.len() >= 8, "{} candidates", ids.len());
    assert_eq!(ids.len(), catalogue_rows(&run));
    assert!(q["problems"].as_array().unwrap().is_empty(), "{q}");
    for id in &ids {
        let c = get_json(&format!("{}/api/candidate?id={}", s.url, enc(id)));
        let fold = &c["fold"];
        assert!(!fold["transits"].as_array().unwrap().is_empty(), "{id}");
        assert_eq!(
            fold["dt_hours"].as_array().unwrap().len(),
            fold["transit"].as_array().unwrap().len()
        );
        // The views the classifier scored, as the run kept them.
        let views = c["views"]
            .as_array()
            .unwrap_or_else(|| panic!("{id}: no views"));
        assert_eq!(views[0].as_array().unwrap().len(), 201);
        assert_eq!(views[1].as_array().unwrap().len(), 61);
        assert!(c["periodogram"][0].as_array().unwrap().len() > 100, "{id}");
        assert!(c["curve"]["t"].as_array().unwrap().len() > 100);
        let flagged = get_json(&format!("{}/api/flagged?id={}", s.url, enc(id)));
        assert!(flagged.is_array(), "{id}");
    }
    // A stretch of light curve holds only its own points.
    let c = get_json(&format!("{}/api/candidate?id={}", s.url, enc(&ids[0])));
    let (t0, t1) = (
        c["span"][0].as_f64().unwrap(),
        c["span"][1].as_f64().unwrap(),
    );
    let mid = 0.5 * (t0 + t1);
    let w = get_json(&format!(
        "{}/api/curve?id={}&t0={}&t1={}&max=100000",
        s.url,
        enc(&ids[0]),
        mid,
        mid + 2.0
    ));
    let t = w["t"].as_array().unwrap();
    assert!(t.len() > 20 && w["binned"] == false, "{w}");
    assert!(t
        .iter()
        .all(|v| (mid..=mid + 2.0).contains(&v.as_f64().unwrap())));
    // A re-fold about the candidate's own period finds it again and scores it.
    let p = c["row"]["period"].as_f64().unwrap();
    let r = get_json(&format!(
        "{}/api/refold?id={}&period={}",
        s.url,
        enc(&ids[0]),
        p * 1.004
    ));
    let found = r["fold"]["period"].as_f64().unwrap();
    assert!((found / p - 1.0).abs() < 2e-3, "{found} vs {p}");
    let score = r["score"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&score));
    assert_eq!(r["global"].as_array().unwrap().len(), 201);
}

#[test]
fn verdicts_are_appended_kept_across_restarts_and_undone() {
    let tmp = tempfile::tempdir().unwrap();
    let run = run_copy(tmp.path());
    let r = run.to_str().unwrap();
    let ids = {
        let s = serve(&[r, "--vetter", "ana"]);
        let ids = ids(&get_json(&format!("{}/api/queue", s.url)));
        verdict(&s, &ids[0], Some("pc"), "clear U shape, \"deep\"");
        verdict(&s, &ids[1], Some("eb"), "");
        verdict(&s, &ids[2], Some("systematic"), "");
        // Undo: the earlier state (no verdict) appended again.
        let v = verdict(&s, &ids[2], None, "");
        assert!(v["verdict"].is_null());
        ids
    };
    let log = std::fs::read_to_string(run.join("verdicts.csv")).unwrap();
    assert_eq!(log.lines().count(), 1 + 4, "{log}");
    // Reopened: the verdicts are there, the undone one is not.
    let s = serve(&[r]);
    let all = get_json(&format!("{}/api/verdicts", s.url));
    assert_eq!(all[&ids[0]]["verdict"], "pc");
    assert_eq!(all[&ids[0]]["comment"], "clear U shape, \"deep\"");
    assert_eq!(all[&ids[0]]["vetter"], "ana");
    assert_eq!(all[&ids[1]]["verdict"], "eb");
    assert!(all.get(&ids[2]).is_none(), "{all}");
    // A second explorer on the same run: both append at once, nothing is torn.
    let s2 = serve(&[r]);
    std::thread::scope(|scope| {
        for server in [&s, &s2] {
            let ids = &ids;
            scope.spawn(move || {
                for k in 0..30 {
                    let id = &ids[k % ids.len()];
                    verdict(server, id, Some(["pc", "eb", "other"][k % 3]), "x");
                }
            });
        }
    });
    let log = std::fs::read_to_string(run.join("verdicts.csv")).unwrap();
    assert_eq!(log.lines().count(), 1 + 4 + 60);
    let mut rd = csv::Reader::from_reader(log.as_bytes());
    assert_eq!(rd.records().filter(|r| r.is_ok()).count(), 64);
    let q = get_json(&format!("{}/api/queue", s2.url));
    assert!(q["problems"].as_array().unwrap().is_empty(), "{q}");
}

#[test]
fn explore_serves_nothing_outside_its_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let run = run_copy(tmp.path());
    std::fs::write(tmp.path().join("secret.txt"), "do not serve").unwrap();
    let s = serve(&[run.to_str().unwrap()]);
    for path in [
        "/assets/../run/candidates.csv",
        "/assets/..%2F..%2Fsecret.txt",
        "/assets/%2e%2e%2fcandidates.csv",
        "/candidates.csv",
        "/run.json",
        "/api/candidate?id=0%3A..%2F..%2Fsecret.txt%3A1",
        "/api/candidate?id=7%3A1%3A1",
        "/api/candidate?id=nonsense",
    ] {
        let (code, body) = get(&format!("{}{path}", s.url));
        assert!(code == 404 || code == 400, "{path}: {code}");
        assert!(!body.contains("do not serve") && !body.contains("target_id,"));
    }
    let (code, _) = post(&format!("{}/api/verdict", s.url), "{\"id\": 3");
    assert!((400..500).contains(&code), "{code}");
    let (code, _) = post(
        &format!("{}/api/verdict", s.url),
        r#"{"id": "0:x:1", "verdict": "pc"}"#,
    );
    assert_eq!(code, 404);
    let (code, _) = post(
        &format!("{}/api/verdict", s.url),
        r#"{"id": "0:x:1", "verdict": "maybe"}"#,
    );
    assert!((400..500).contains(&code), "{code}");
    assert!(!run.join("verdicts.csv").exists());
}

#[test]
fn a_missing_or_malformed_file_is_a_message_not_a_crash() {
    let tmp = tempfile::tempdir().unwrap();
    let run = run_copy(tmp.path());
    std::fs::remove_file(run.join("run.json")).unwrap();
    std::fs::write(
        run.join("single_events.csv"),
        "target_id,time\n1,notanumber\n",
    )
    .unwrap();
    std::fs::write(run.join("verdicts.csv"), "garbage,\"unclosed\n").unwrap();
    let s = serve(&[run.to_str().unwrap()]);
    let q = get_json(&format!("{}/api/queue", s.url));
    let problems = q["problems"].to_string();
    assert!(problems.contains("run.json"), "{problems}");
    assert!(problems.contains("single_events.csv"), "{problems}");
    let ids = ids(&q);
    // A candidate whose light curve has gone (its file copied here and the run pointed at
    // the copy, which is then removed): an error naming the file; its verdict is still saved.
    let c = get_json(&format!("{}/api/candidate?id={}", s.url, enc(&ids[0])));
    let shared = c["row"]["source_files"].as_str().unwrap().to_string();
    let file = tmp.path().join(Path::new(&shared).file_name().unwrap());
    std::fs::copy(&shared, &file).unwrap();
    let cands = std::fs::read_to_string(run.join("candidates.csv")).unwrap();
    std::fs::write(
        run.join("candidates.csv"),
        cands.replace(&shared, file.to_str().unwrap()),
    )
    .unwrap();
    std::fs::remove_file(&file).unwrap();
    drop(s);
    let s = serve(&[run.to_str().unwrap()]);
    let gone = &ids[0];
    let (code, body) = get(&format!("{}/api/candidate?id={}", s.url, enc(gone)));
    assert_eq!(code, 422, "{body}");
    let name = file.to_str().unwrap();
    assert!(body.contains(name), "{body}");
    let v = verdict(&s, gone, Some("other"), "light curve moved");
    assert_eq!(v["verdict"], "other");
    let q = get_json(&format!("{}/api/queue", s.url));
    assert_eq!(q["verdicts"][gone]["verdict"], "other");
    assert!(q["problems"].to_string().contains("verdicts.csv"));
}

#[test]
fn a_run_still_being_written_shows_its_finished_batches() {
    let tmp = tempfile::tempdir().unwrap();
    let run = run_copy(tmp.path());
    let n = catalogue_rows(&run);
    // As a screen at work leaves it: parts only, run.json saying so.
    std::fs::remove_file(run.join("candidates.csv")).unwrap();
    std::fs::remove_file(run.join("views.tfrecord")).unwrap();
    let json = std::fs::read_to_string(run.join("run.json")).unwrap();
    std::fs::write(
        run.join("run.json"),
        json.replace("\"complete\"", "\"running\""),
    )
    .unwrap();
    let s = serve(&[run.to_str().unwrap()]);
    let q = get_json(&format!("{}/api/queue", s.url));
    assert_eq!(ids(&q).len(), n);
    assert!(q["problems"].to_string().contains("still running"), "{q}");
    let scores: Vec<f64> = q["score"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap_or(f64::NEG_INFINITY))
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    let c = get_json(&format!("{}/api/candidate?id={}", s.url, enc(&ids(&q)[0])));
    assert!(c["views"].is_array());
    // An empty folder is refused with the reason.
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let o = exoscreen(&["explore", empty.to_str().unwrap(), "--port", "0"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no finished batch"), "{}", stderr(&o));
}

#[test]
fn train_learns_from_a_vetted_run() {
    let tmp = tempfile::tempdir().unwrap();
    let run = run_copy(tmp.path());
    let truth: Vec<(String, String)> = {
        let field = screened().parent().unwrap().join("field/truth.csv");
        let mut r = csv::Reader::from_path(field).unwrap();
        let h = r.headers().unwrap().clone();
        let t = h.iter().position(|c| c == "target_id").unwrap();
        let k = h.iter().position(|c| c == "kind").unwrap();
        r.records()
            .map(|x| {
                let x = x.unwrap();
                (x[t].to_string(), x[k].to_string())
            })
            .collect()
    };
    let s = serve(&[run.to_str().unwrap()]);
    let ids = ids(&get_json(&format!("{}/api/queue", s.url)));
    let mut given = std::collections::BTreeMap::<&str, usize>::new();
    for id in &ids {
        let target = id.split(':').nth(1).unwrap();
        let kind = truth
            .iter()
            .find(|(t, _)| t.trim_start_matches('0') == target.trim_start_matches('0'))
            .map_or("other", |(_, k)| k.as_str());
        let v = if kind == "planet" { "pc" } else { "eb" };
        verdict(&s, id, Some(v), "");
        *given.entry(v).or_default() += 1;
    }
    // One left unsure: not a label.
    verdict(&s, &ids[0], Some("unsure"), "");
    let model = tmp.path().join("model");
    let o = exoscreen(&[
        "train",
        "--data",
        run.to_str().unwrap(),
        "--positive",
        "PC",
        "--epochs",
        "2",
        "--val-fraction",
        "0.25",
        "--out",
        model.to_str().unwrap(),
    ]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    let n = ids.len() - 1;
    assert!(err.contains(&format!("{n} examples")), "{err}");
    assert!(err.contains("skipped: 1 unsure"), "{err}");
    assert!(model.join("config.json").is_file());
}

/// A WebDriver session with Debian's chromedriver driving headless Chromium.
struct Browser {
    driver: Child,
    base: String,
    session: String,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let url = format!("{}/session/{}", self.base, self.session);
        let _ = http::request("DELETE", &url, None);
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    /// `None` (with a loud skip) without chromium and chromedriver, unless
    /// EXOSCREEN_REQUIRE_CHROMIUM=1 (CI), which fails instead.
    fn start() -> Option<Browser> {
        let found = |name: &str| {
            Command::new(name)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        };
        let browser = ["chromium", "chromium-browser", "google-chrome"]
            .into_iter()
            .find(|b| found(b));
        let (Some(browser), true) = (browser, found("chromedriver")) else {
            if std::env::var("EXOSCREEN_REQUIRE_CHROMIUM").as_deref() == Ok("1") {
                panic!("EXOSCREEN_REQUIRE_CHROMIUM=1 but chromium or chromedriver is missing");
            }
            eprintln!("SKIPPED: no chromium and chromedriver to drive the explorer");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let caps = serde_json::json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": which(browser),
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1600,1200"]
            }
        }}});
        let mut last = String::new();
        for _ in 0..100 {
            match http::request("POST", &format!("{base}/session"), Some(&caps.to_string())) {
                Ok((200, text)) => {
                    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                    let session = v["value"]["sessionId"].as_str().unwrap().to_string();
                    return Some(Browser {
                        driver,
                        base,
                        session,
                    });
                }
                Ok((code, text)) => last = format!("{code} {text}"),
                Err(e) => last = e.to_string(),
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("no WebDriver session: {last}");
    }

    fn cmd(&self, method: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
        let url = format!("{}/session/{}/{path}", self.base, self.session);
        let body = (method != "GET").then(|| body.to_string());
        match http::request(method, &url, body.as_deref()) {
            Ok((200, text)) => {
                serde_json::from_str::<serde_json::Value>(&text).unwrap()["value"].clone()
            }
            Ok((code, text)) => panic!("{path}: {code} {text}"),
            Err(e) => panic!("{path}: {e}"),
        }
    }

    fn go(&self, url: &str) {
        self.cmd("POST", "url", serde_json::json!({ "url": url }));
    }

    fn js(&self, script: &str) -> serde_json::Value {
        self.cmd(
            "POST",
            "execute/sync",
            serde_json::json!({ "script": script, "args": [] }),
        )
    }

    /// Waits (up to 30 s) for `script` to return true.
    fn wait(&self, script: &str) {
        for _ in 0..300 {
            if self.js(&format!("return ({script});")) == serde_json::Value::Bool(true) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("timed out waiting for {script}");
    }

    fn key(&self, key: &str) {
        // WebDriver's code point for the keys that are not characters.
        let key = match key {
            "Escape" => "\u{E00C}",
            k => k,
        };
        self.cmd(
            "POST",
            "actions",
            serde_json::json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
                {"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]}]}),
        );
    }

    /// Clicks the element `css` at (x, y) from its top-left corner.
    fn click_at(&self, css: &str, x: f64, y: f64) {
        let found = self.cmd(
            "POST",
            "element",
            serde_json::json!({"using": "css selector", "value": css}),
        );
        let id = found.as_object().unwrap().values().next().unwrap().clone();
        let rect = self.cmd(
            "GET",
            &format!("element/{}/rect", id.as_str().unwrap()),
            serde_json::Value::Null,
        );
        let (w, h) = (
            rect["width"].as_f64().unwrap(),
            rect["height"].as_f64().unwrap(),
        );
        let origin = serde_json::json!({"element-6066-11e4-a52e-4f735466cecf": id});
        self.cmd(
            "POST",
            "actions",
            serde_json::json!({"actions": [{"type": "pointer", "id": "mouse", "actions": [
                {"type": "pointerMove", "origin": origin, "x": (x - w / 2.0).round() as i64, "y": (y - h / 2.0).round() as i64},
                {"type": "pointerDown", "button": 0}, {"type": "pointerUp", "button": 0}]}]}),
        );
    }

    fn screenshot(&self, path: &Path) {
        let b64 = self.cmd("GET", "screenshot", serde_json::Value::Null);
        use base64::Engine;
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap())
            .unwrap();
        std::fs::write(path, png).unwrap();
    }
}

fn which(name: &str) -> String {
    let o = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// The page as a user drives it: sort the queue, open a candidate with the keyboard, give a
/// verdict by key, reload and find it kept, click a periodogram peak and see the fold change.
/// Screenshots go to EXOSCREEN_SCREENSHOTS (docs/ for the README) or a temporary folder.
#[test]
fn the_explorer_is_driven_in_headless_chromium() {
    let Some(b) = Browser::start() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let run = run_copy(tmp.path());
    let s = serve(&[run.to_str().unwrap()]);
    let shots = std::env::var_os("EXOSCREEN_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_path_buf());
    b.go(&format!("{}/", s.url));
    b.wait("document.body.dataset.ready === '1'");
    let n = b.js("return document.querySelectorAll('#rows .row').length");
    assert!(n.as_u64().unwrap() >= 8, "{n}");
    // Sort by SNR: the first row has the highest SNR.
    b.js("document.querySelector('#table-head span[data-key=depth_snr]').click()");
    let snrs = b.js("return [...document.querySelectorAll('#rows .row span:nth-child(5)')].map(e => +e.textContent)");
    let snrs: Vec<f64> = snrs
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(snrs.windows(2).all(|w| w[0] >= w[1]), "{snrs:?}");
    // j opens the first candidate; p says planet candidate.
    b.key("j");
    b.wait("!!document.querySelector('#detail h2') && !!document.querySelector('#p-pg canvas')");
    let title = b.js("return document.querySelector('#detail h2').textContent");
    let target = b.js("return document.querySelector('#rows .row.sel span').textContent");
    assert!(
        title.as_str().unwrap().contains(target.as_str().unwrap()),
        "{title} {target}"
    );
    b.key("p");
    b.wait("document.getElementById('vbadge').textContent === 'planet candidate'");
    b.screenshot(&shots.join("explore-candidate.png"));
    let hash = b.js("return location.hash");
    assert!(hash.as_str().unwrap().starts_with("#/cand/"), "{hash}");
    // Reload: the same candidate opens from the link, its verdict kept.
    b.js("location.reload()");
    b.wait("document.body.dataset.ready === '1' && !!document.getElementById('vbadge')");
    assert_eq!(
        b.js("return document.getElementById('vbadge').textContent"),
        "planet candidate"
    );
    assert!(std::fs::read_to_string(run.join("verdicts.csv"))
        .unwrap()
        .contains(",pc,"));
    // Click the periodogram at twice the period: the fold moves there.
    let p0 = b.js("return window.exo.fold().period").as_f64().unwrap();
    let x = b.js("const u = window.exo.plot('p-pg'); return u.valToPos(2 * window.exo.state.cand.row.period, 'x')");
    let y = b.js("return window.exo.plot('p-pg').bbox.height / devicePixelRatio / 2");
    b.click_at("#p-pg .u-over", x.as_f64().unwrap(), y.as_f64().unwrap());
    b.wait("!!window.exo.state.refold");
    let p1 = b.js("return window.exo.fold().period").as_f64().unwrap();
    assert!(
        (p1 / (2.0 * p0) - 1.0).abs() < 0.02,
        "re-folded at {p1}, clicked {}",
        2.0 * p0
    );
    b.wait("document.getElementById('refoldbox') !== null");
    b.screenshot(&shots.join("explore-refold.png"));
    // Back, and the queue sorted by score for its picture.
    b.key("Escape");
    b.wait("!window.exo.state.refold");
    b.js("document.getElementById('order').value = 'score'; document.getElementById('order').dispatchEvent(new Event('input'))");
    b.screenshot(&shots.join("explore-queue.png"));
    for f in [
        "explore-candidate.png",
        "explore-refold.png",
        "explore-queue.png",
    ] {
        assert!(
            std::fs::metadata(shots.join(f)).unwrap().len() > 10_000,
            "{f}"
        );
    }
}
