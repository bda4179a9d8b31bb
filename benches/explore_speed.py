#!/usr/bin/env python3
"""Speed of `exoscreen explore` (docs/benchmarks.md, "Explorer"):

  python3 benches/explore_speed.py RUN_DIR CANDIDATE_ID PERIOD [EXOSCREEN]

On RUN_DIR: server time and bytes of the queue, of CANDIDATE_ID's page (first open, which
reads and detrends the star, and again), and of a re-fold about PERIOD (median of 5); then the
first paint of the queue in headless Chromium (chromedriver), on RUN_DIR and on a
10,080-candidate catalogue made by repeating RUN_DIR's rows under new target ids (the queue
only: those targets have no light curves). Standard library only; needs chromium and
chromedriver.
"""
import csv, json, os, shutil, socket, statistics, subprocess, sys, tempfile, time
import urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def serve(exe, run):
    p = subprocess.Popen([exe, "explore", run, "--port", "0"], stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    url = next(w for w in line.split() if w.startswith("http://")).rstrip("/")
    return p, url


def fetch(url, data=None):
    t0 = time.perf_counter()
    req = urllib.request.Request(url, data=data, headers={"content-type": "application/json"} if data else {})
    with urllib.request.urlopen(req) as r:
        body = r.read()
    return time.perf_counter() - t0, body


class Driver:
    def __init__(self):
        self.port = free_port()
        self.proc = subprocess.Popen(["chromedriver", f"--port={self.port}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": shutil.which("chromium") or shutil.which("chromium-browser"),
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1600,1200"]}}}}
        for _ in range(100):
            try:
                _, body = fetch(self.base + "/session", json.dumps(caps).encode())
                self.session = json.loads(body)["value"]["sessionId"]
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("chromedriver did not start")

    def cmd(self, path, body):
        _, out = fetch(f"{self.base}/session/{self.session}/{path}", json.dumps(body).encode())
        return json.loads(out)["value"]

    def first_paint(self, url):
        self.cmd("url", {"url": "about:blank"})
        self.cmd("url", {"url": url})
        for _ in range(600):
            v = self.cmd("execute/sync", {"script": "return document.body.dataset.queuePaintMs || null", "args": []})
            if v:
                n = self.cmd("execute/sync", {"script": "return window.exo.state.q.id.length", "args": []})
                return float(v), n
            time.sleep(0.05)
        raise SystemExit(f"no queue painted at {url}")

    def close(self):
        try:
            req = urllib.request.Request(f"{self.base}/session/{self.session}", method="DELETE")
            urllib.request.urlopen(req).read()
        finally:
            self.proc.kill()


def main():
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    run, cid, period = sys.argv[1], sys.argv[2], float(sys.argv[3])
    exe = sys.argv[4] if len(sys.argv) > 4 else "target/release/exoscreen"
    q = urllib.parse.quote
    p, url = serve(exe, run)
    try:
        t, body = fetch(url + "/api/queue")
        print(f"queue: {len(json.loads(body)['id'])} candidates, {t * 1e3:.0f} ms, {len(body) / 1e3:.0f} kB")
        t, body = fetch(f"{url}/api/candidate?id={q(cid)}")
        c = json.loads(body)
        print(f"candidate {cid}, first open (read + detrend): {t * 1e3:.0f} ms round trip "
              f"(server {c['ms']:.0f} ms), "
              f"{len(body) / 1e3:.0f} kB, {c['curve']['points']} points, {len(c['fold']['transits'])} transits")
        warm = [fetch(f"{url}/api/candidate?id={q(cid)}") for _ in range(5)]
        print(f"candidate again: median {statistics.median(w[0] for w in warm) * 1e3:.0f} ms round trip "
              f"(server {json.loads(warm[-1][1])['ms']:.0f} ms), {len(warm[-1][1]) / 1e3:.0f} kB")
        queue = json.loads(fetch(url + "/api/queue")[1])
        other = next((i for i, t in zip(queue["id"], queue["target_id"]) if t != c["row"]["target_id"]), None)
        if other:
            tw, _ = fetch(f"{url}/api/warm?id={q(other)}")
            t, body = fetch(f"{url}/api/candidate?id={q(other)}")
            print(f"next candidate {other} after the page warmed it ({tw * 1e3:.0f} ms in the background): "
                  f"{t * 1e3:.0f} ms round trip, {len(body) / 1e3:.0f} kB")
        times = []
        for _ in range(5):
            t, body = fetch(f"{url}/api/refold?id={q(cid)}&period={period}")
            times.append(t)
        r = json.loads(body)
        print(f"re-fold about {period} d: median {statistics.median(times) * 1e3:.0f} ms round trip, "
              f"{r['periods']} trial periods, found {r['fold']['period']:.4f} d, score {r['score']:.3f}")
        d = Driver()
        try:
            paints = [d.first_paint(url + "/") for _ in range(3)]
            print(f"first paint of the queue ({paints[0][1]} candidates): median "
                  f"{statistics.median(x[0] for x in paints):.0f} ms")
            with tempfile.TemporaryDirectory() as tmp:
                big = os.path.join(tmp, "run")
                os.makedirs(big)
                with open(os.path.join(run, "candidates.csv")) as f:
                    rows = list(csv.DictReader(f))
                copies = -(-10000 // max(len(rows), 1))
                with open(os.path.join(big, "candidates.csv"), "w", newline="") as f:
                    w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
                    w.writeheader()
                    for k in range(copies):
                        for r_ in rows:
                            w.writerow({**r_, "target_id": f"{r_['target_id']}-{k}"})
                p2, url2 = serve(exe, big)
                try:
                    t, body = fetch(url2 + "/api/queue")
                    print(f"queue of {len(rows) * copies} candidates: {t * 1e3:.0f} ms, {len(body) / 1e6:.2f} MB")
                    paints = [d.first_paint(url2 + "/") for _ in range(3)]
                    print(f"first paint of the queue ({paints[0][1]} candidates): median "
                          f"{statistics.median(x[0] for x in paints):.0f} ms")
                finally:
                    p2.kill()
        finally:
            d.close()
    finally:
        p.kill()


if __name__ == "__main__":
    import urllib.parse
    main()
