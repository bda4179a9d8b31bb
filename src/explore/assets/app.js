// exoscreen explore: the queue of every candidate, one candidate's plots, verdicts.
// Plain ES module; uPlot (vendored, MIT) is the global `uPlot`. State lives in the URL hash:
// #/cand/ID?order=..&show=..&filter=..&min=..&refold=PERIOD reopens what was on screen.

const VERDICTS = { p: "pc", e: "eb", v: "variable", s: "systematic", o: "other", u: "unsure" };
const LABELS = { pc: "planet candidate", eb: "eclipsing binary", variable: "variable", systematic: "systematic", other: "other", unsure: "unsure" };
const ROW_H = 22;
const $ = (id) => document.getElementById(id);
// Text from the runs' files (names, ids, comments, messages) as HTML text, never markup.
const esc = (x) => String(x ?? "").replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

const state = {
  q: null,          // the queue, column by column
  order: [],        // row indices in display order
  pos: -1,          // position of the open candidate in `order`
  cand: null,       // the open candidate
  refold: null,     // a re-fold on screen, or null
  excluded: new Set(), // transits left out of the fold
  undo: [],         // [id, previous verdict row or null]
  plots: [],
  lcWindow: null,   // [t0, t1] of the light curve plot
};

async function api(path, opts) {
  const r = await fetch(path, opts);
  const body = await r.json().catch(() => ({ error: `${r.status} ${r.statusText}` }));
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

// The runs' own problems (unreadable files) stay; a message of the moment comes after them.
function showProblem(msg) {
  const lasting = state.q ? state.q.problems : [];
  $("problems").textContent = [...lasting, ...(msg ? [msg] : [])].join("\n");
}

// ---- the URL hash ----------------------------------------------------------------------

function readHash() {
  const h = decodeURIComponent(location.hash.slice(1));
  const [path, query] = h.split("?");
  const params = new URLSearchParams(query || "");
  const m = path.match(/^\/cand\/(.+)$/);
  return { id: m ? m[1] : null, params };
}

function writeHash(replace) {
  const params = new URLSearchParams();
  params.set("order", $("order").value);
  params.set("show", $("show").value);
  if ($("filter").value) params.set("filter", $("filter").value);
  if (+$("minscore").value > 0) params.set("min", $("minscore").value);
  if (state.refold) params.set("refold", state.refold.fold.period.toFixed(6));
  const id = state.cand ? state.cand.id : null;
  const h = "#" + (id ? `/cand/${encodeURIComponent(id)}` : "/") + "?" + params.toString();
  if (location.hash !== h) {
    if (replace) history.replaceState(null, "", h); else history.pushState(null, "", h);
  }
}

// ---- the queue -------------------------------------------------------------------------

const COLS = [
  ["target", "target_id"], ["pl", "planet"], ["period d", "period"], ["depth ppm", "depth_ppm"],
  ["SNR", "depth_snr"], ["SDE", "sde"], ["tr", "n_transits"], ["score", "score"], ["known / verdict", null],
];
const ORDERS = {
  score: (q, i) => -(q.score[i] ?? -1),
  uncertain: (q, i) => Math.abs((q.score[i] ?? 0) - 0.5),
  snr: (q, i) => -q.depth_snr[i],
  sde: (q, i) => -q.sde[i],
  period: (q, i) => q.period[i],
  depth: (q, i) => -q.depth_ppm[i],
  transits: (q, i) => -q.n_transits[i],
  target: (q, i) => q.target_id[i],
};
const HEAD_ORDER = { target_id: "target", period: "period", depth_ppm: "depth", depth_snr: "snr", sde: "sde", n_transits: "transits", score: "score" };

function verdictOf(i) {
  const v = state.q.verdicts[state.q.id[i]];
  return v && v.verdict ? v : null;
}

function applyOrder() {
  const q = state.q;
  const text = $("filter").value.trim().toLowerCase();
  const min = +$("minscore").value || 0;
  const show = $("show").value;
  const key = ORDERS[$("order").value] || ORDERS.score;
  const idx = [];
  for (let i = 0; i < q.id.length; i++) {
    if ((q.score[i] ?? 0) < min) continue;
    const vetted = !!verdictOf(i);
    if (show === "vetted" && !vetted) continue;
    if (show === "unvetted" && vetted) continue;
    if (text) {
      const hay = `${q.target_id[i]} ${q.known_name[i]} ${q.known_disposition[i]} ${q.relation[i]} ${verdictOf(i)?.verdict ?? ""}`.toLowerCase();
      if (!hay.includes(text)) continue;
    }
    idx.push(i);
  }
  const keys = new Map(idx.map((i) => [i, key(q, i)]));
  idx.sort((a, b) => {
    const ka = keys.get(a), kb = keys.get(b);
    return ka < kb ? -1 : ka > kb ? 1 : a - b;
  });
  state.order = idx;
  const cur = state.cand ? state.cand.id : state.loading;
  state.pos = cur ? idx.indexOf(q.id.indexOf(cur)) : -1;
  $("spacer").style.height = `${idx.length * ROW_H}px`;
  const vetted = q.id.filter((_, i) => verdictOf(i)).length;
  $("count").textContent = `${idx.length} shown of ${q.id.length} candidates · ${vetted} vetted`;
  $("progress").textContent = `${vetted} / ${q.id.length} vetted`;
  renderRows();
}

function fmt(x, d) { return x == null || !isFinite(x) ? "–" : (+x).toFixed(d); }

function renderRows() {
  const q = state.q;
  const box = $("table");
  const first = Math.max(0, Math.floor(box.scrollTop / ROW_H) - 5);
  const last = Math.min(state.order.length, first + Math.ceil(box.clientHeight / ROW_H) + 10);
  const rows = $("rows");
  rows.style.top = `${first * ROW_H}px`;
  const html = [];
  for (let p = first; p < last; p++) {
    const i = state.order[p];
    const v = verdictOf(i);
    const known = q.known_name[i] ? esc(`${q.known_name[i]} ${q.known_disposition[i]}`) : "";
    const tag = v ? `<span class="v-${v.verdict}">${v.verdict}</span> ${known}` : known;
    html.push(`<div class="row${p === state.pos ? " sel" : ""}" data-p="${p}"><span>${esc(q.target_id[i])}</span><span>${q.planet[i]}</span><span>${fmt(q.period[i], 4)}</span><span>${fmt(q.depth_ppm[i], 0)}</span><span>${fmt(q.depth_snr[i], 1)}</span><span>${fmt(q.sde[i], 1)}</span><span>${q.n_transits[i]}</span><span>${fmt(q.score[i], 3)}</span><span>${tag}</span></div>`);
  }
  rows.innerHTML = html.join("");
}

function scrollToPos() {
  const box = $("table");
  const y = state.pos * ROW_H;
  if (y < box.scrollTop || y > box.scrollTop + box.clientHeight - ROW_H) box.scrollTop = Math.max(0, y - box.clientHeight / 3);
  renderRows();
}

function move(step) {
  if (!state.order.length) return;
  const p = state.pos < 0 ? (step > 0 ? 0 : state.order.length - 1) : Math.min(state.order.length - 1, Math.max(0, state.pos + step));
  openAt(p);
}

function nextUnvetted() {
  for (let p = state.pos + 1; p < state.order.length; p++) {
    if (!verdictOf(state.order[p])) return openAt(p);
  }
  for (let p = 0; p <= state.pos; p++) {
    if (!verdictOf(state.order[p])) return openAt(p);
  }
}

function openAt(p) {
  state.pos = p;
  scrollToPos();
  openCandidate(state.q.id[state.order[p]], null, false);
}

// ---- one candidate ---------------------------------------------------------------------

async function openCandidate(id, refoldPeriod, replace) {
  const d = $("detail");
  d.innerHTML = `<p class="hint">Loading ${esc(id)}…</p>`;
  // Until it is shown, a verdict key applies to the candidate being opened.
  state.cand = null;
  state.loading = id;
  try {
    const c = await api(`/api/candidate?id=${encodeURIComponent(id)}`);
    if (state.loading !== id) return;
    c.verdict = state.q.verdicts[id] || null;
    state.cand = c;
    state.refold = null;
    state.excluded = new Set();
    state.lcWindow = null;
    const i = state.q.id.indexOf(id);
    state.pos = state.order.indexOf(i);
    renderRows();
    renderCandidate();
    writeHash(replace);
    // The cadences the quality mask dropped (the server reads the files again), then the
    // next candidate's star read ahead.
    api(`/api/flagged?id=${encodeURIComponent(id)}`).then((times) => {
      if (state.cand !== c) return;
      c.flagged = times;
      if ($("nflagged")) $("nflagged").textContent = times.length;
      if (state.lc) state.lc.redraw();
    }).catch(() => {});
    const next = state.order[state.pos + 1];
    if (next !== undefined) fetch(`/api/warm?id=${encodeURIComponent(state.q.id[next])}`).catch(() => {});
    if (refoldPeriod) await doRefold(refoldPeriod);
  } catch (e) {
    d.innerHTML = `<p class="error">${esc(id)}: ${esc(e.message)}</p>`;
  }
}

function fold() { return state.refold ? state.refold.fold : state.cand.fold; }

function statsTable(c) {
  const r = c.row;
  const f = fold();
  const rows = [
    ["period", `${fmt(f.period, 6)} d`], ["epoch", `${fmt(f.epoch, 5)} ${esc(c.time_system)}`],
    ["duration", `${fmt(f.duration_hours, 2)} h`], ["depth", `${fmt(f.depth_ppm, 0)} ppm (SNR ${fmt(f.depth_snr, 1)})`],
    ["transits with data", f.transits.length], ["odd/even", `${fmt(f.odd_even_sigma, 2)} σ`],
    ["secondary", `${fmt(f.secondary_ppm, 0)} ppm (SNR ${fmt(f.secondary_snr, 1)})`],
  ];
  if (!state.refold) {
    rows.push(["SDE", fmt(r.sde, 1)], ["max single-transit share", fmt(r.max_single_fraction, 2)],
      ["depth consistency p", Number(r.transit_depth_p).toExponential(1)],
      ["model shift primary / tertiary / positive", `${fmt(r.model_shift_primary_sigma, 1)} / ${fmt(r.model_shift_tertiary_sigma, 1)} / ${fmt(r.model_shift_positive_sigma, 1)} σ`],
      ["red noise", fmt(r.red_noise, 2)], ["sinusoid amplitude", `${fmt(r.harmonic_amplitude_ppm, 0)} ppm`],
      ["settled transits", r.settled_transits],
      ["known object", r.known_name ? esc(`${r.known_name} (${r.known_disposition}, P ${fmt(r.known_period, 4)} d, ${r.match})`) : (r.match === "none" ? "none in the catalogues" : "no catalogue given")]);
  }
  return `<table class="stats">${rows.map(([k, v]) => `<tr><td>${k}</td><td>${v}</td></tr>`).join("")}</table>`;
}

function renderCandidate() {
  const c = state.cand;
  const r = c.row;
  for (const p of state.plots) p.destroy();
  state.plots = [];
  const v = c.verdict && c.verdict.verdict ? c.verdict : null;
  const rf = state.refold;
  $("detail").innerHTML = `
    <h2>${esc(r.target_id)} · planet ${r.planet} · P ${fmt(r.period, 5)} d
      <span class="badge score">score ${fmt(r.score, 3)}</span>
      ${r.known_name ? `<span class="badge">${esc(r.known_name)} ${esc(r.known_disposition)}</span>` : ""}
      <span class="badge" id="vbadge">${v ? LABELS[v.verdict] : "unvetted"}</span></h2>
    <div class="verdicts">${Object.entries(VERDICTS).map(([k, name]) => `<button data-v="${name}" class="${v && v.verdict === name ? "on" : ""}">${k} ${LABELS[name]}</button>`).join("")}
      <input id="comment" placeholder="comment (c), saved with the next verdict" value="${v ? esc(v.comment) : ""}">
      <button data-v="">clear</button></div>
    ${rf ? `<div class="refold" id="refoldbox">Re-folded at <b>${fmt(rf.fold.period, 6)} d</b> (${rf.periods} trial periods, ${rf.engine}, ${fmt(rf.ms, 0)} ms): depth ${fmt(rf.fold.depth_ppm, 0)} ppm, SNR ${fmt(rf.fold.depth_snr, 1)}, score <b>${fmt(rf.score, 3)}</b> (${rf.model}). Esc: back to the candidate.</div>` : ""}
    <div class="plots">
      <div class="plot wide"><h3>Light curve (detrended) <span class="note">ticks: this signal's transits (red), its siblings' (blue); grey: gaps; orange marks: cadences the quality mask dropped (<span id="nflagged">${c.flagged ? c.flagged.length : "…"}</span>); drag to zoom</span></h3><div id="p-lc"></div></div>
      <div class="plot"><h3>Fold <span class="note" id="foldnote"></span></h3><div id="p-fold"></div></div>
      <div class="plot"><h3>Odd (blue) and even (orange) transits</h3><div id="p-oddeven"></div></div>
      <div class="plot"><h3>Global view ${rf ? "(re-fold)" : "(as the model saw it)"}</h3><div id="p-global"></div></div>
      <div class="plot"><h3>Local view ${rf ? "(re-fold)" : "(as the model saw it)"}</h3><div id="p-local"></div></div>
      <div class="plot"><h3>Secondary eclipse (phase 0.5)</h3><div id="p-sec"></div></div>
      <div class="plot"><h3>Vetting statistics</h3>${statsTable(c)}</div>
      <div class="plot wide"><h3>Periodogram (first search round) <span class="note">P, P/2, 2P, 3P marked; click a peak to re-fold there</span></h3><div id="p-pg"></div></div>
      <div class="plot wide"><h3>Transits one by one <span class="note">depth ppm / SNR; click to leave one out of the fold</span></h3><div id="stack"></div></div>
      <div class="plot wide"><h3>Single events of this star</h3><div id="singles"></div></div>
    </div>`;
  for (const b of document.querySelectorAll(".verdicts button")) {
    b.onclick = () => setVerdict(b.dataset.v || null);
  }
  drawLightCurve(c.curve);
  drawFold();
  drawViews();
  drawPeriodogram();
  drawStack();
  const s = c.singles;
  $("singles").innerHTML = s.length ? `<table class="stats"><tr><td>time</td><td>duration h</td><td>depth ppm</td><td>SNR</td><td>after gap</td><td>found by</td></tr>${s.map((e) => `<tr><td>${fmt(e.time, 4)}</td><td>${fmt(e.duration_hours, 2)}</td><td>${fmt(e.depth_ppm, 0)}</td><td>${fmt(e.depth_snr, 1)}</td><td>${e.after_gap}</td><td>${esc(e.found_by)}</td></tr>`).join("")}</table>` : `<span class="hint">none</span>`;
}

function width(id) { return Math.max(300, $(id).clientWidth || 600); }

function scatter(color, size) {
  return { stroke: color, paths: () => null, points: { show: true, size: size || 3, fill: color, stroke: color } };
}

function plot(id, data, series, opts) {
  const u = new uPlot({
    width: width(id), height: opts.height || 200, legend: { show: false },
    cursor: { drag: { x: true, y: false } },
    scales: { x: { time: false, ...(opts.x || {}) }, y: opts.y || {} },
    axes: [{ label: opts.xlabel }, { label: opts.ylabel, size: 60 }],
    series: [{}, ...series], hooks: opts.hooks || {},
  }, data, $(id));
  state.plots.push(u);
  return u;
}

function transitTimes(period, epoch, t0, t1) {
  const out = [];
  const k0 = Math.ceil((t0 - epoch) / period), k1 = Math.floor((t1 - epoch) / period);
  if (k1 - k0 > 5000) return out;
  for (let k = k0; k <= k1; k++) out.push(epoch + k * period);
  return out;
}

function drawLightCurve(curve) {
  const c = state.cand;
  const f = fold();
  const depth = Math.max(f.depth_ppm, 1) * 1e-6;
  const data = curve.binned ? [curve.t, curve.f, curve.lo, curve.hi] : [curve.t, curve.f];
  const series = curve.binned
    ? [{ stroke: "#234", width: 1 }, { stroke: "#9ab", width: 1 }, { stroke: "#9ab", width: 1 }]
    : [scatter("#234", 2)];
  const hooks = {
    drawClear: [(u) => {
      const ctx = u.ctx, top = u.bbox.top, h = u.bbox.height;
      ctx.save();
      ctx.fillStyle = "rgba(0,0,0,0.07)";
      for (const [a, b] of c.gaps) {
        const x0 = u.valToPos(a, "x", true), x1 = u.valToPos(b, "x", true);
        if (x1 > u.bbox.left && x0 < u.bbox.left + u.bbox.width) ctx.fillRect(x0, top, x1 - x0, h);
      }
      ctx.restore();
    }],
    draw: [(u) => {
      const ctx = u.ctx, top = u.bbox.top;
      const [t0, t1] = [u.scales.x.min, u.scales.x.max];
      const mark = (p, e, color) => {
        ctx.strokeStyle = color; ctx.lineWidth = 2;
        for (const t of transitTimes(p, e, t0, t1)) {
          const x = u.valToPos(t, "x", true);
          ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + 12); ctx.stroke();
        }
      };
      ctx.save();
      // Cadences the quality mask dropped: short orange marks along the bottom.
      ctx.fillStyle = "rgba(230,120,0,0.7)";
      const bottom = top + u.bbox.height;
      for (const t of c.flagged || []) {
        if (t < t0 || t > t1) continue;
        ctx.fillRect(u.valToPos(t, "x", true), bottom - 6, 1, 6);
      }
      for (const s of c.siblings) if (s.id !== c.id) mark(s.period, s.epoch, "#36c");
      mark(f.period, f.epoch, "#d22");
      ctx.restore();
    }],
    setSelect: [(u) => {
      if (u.select.width > 2) {
        const a = u.posToVal(u.select.left, "x"), b = u.posToVal(u.select.left + u.select.width, "x");
        zoomTo(a, b);
      }
    }],
  };
  const ymid = 1.0;
  const lc = plot("p-lc", data, series, {
    height: 230, xlabel: `time (${c.time_system})`, ylabel: "flux",
    y: { auto: false, range: [ymid - 2.5 * depth - 3e-4, ymid + 1.5 * depth + 3e-4] }, hooks,
    x: state.lcWindow ? { auto: false, range: state.lcWindow } : {},
  });
  lc.setScale("y", { min: ymid - 2.5 * depth - 3e-4, max: ymid + 1.5 * depth + 3e-4 });
  state.lc = lc;
}

async function zoomTo(a, b) {
  const c = state.cand;
  const [s0, s1] = c.span;
  if (b - a < 0.05) { const m = (a + b) / 2; a = m - 0.025; b = m + 0.025; }
  a = Math.max(s0 - 1, a); b = Math.min(s1 + 1, b);
  state.lcWindow = [a, b];
  try {
    const curve = await api(`/api/curve?id=${encodeURIComponent(c.id)}&t0=${a}&t1=${b}&max=4000`);
    if (state.cand !== c) return;
    state.lc.destroy();
    state.plots = state.plots.filter((p) => p !== state.lc);
    drawLightCurve(curve);
  } catch (e) { showProblem(e.message); }
}

function lcKey(k) {
  const c = state.cand;
  const [a, b] = state.lcWindow || c.span;
  const w = b - a, m = (a + b) / 2;
  if (k === "+" || k === "=") zoomTo(m - w / 4, m + w / 4);
  else if (k === "-") zoomTo(m - w, m + w);
  else if (k === "ArrowLeft") zoomTo(a - w / 3, b - w / 3);
  else if (k === "ArrowRight") zoomTo(a + w / 3, b + w / 3);
  else if (k === "0") { state.lcWindow = null; zoomTo(c.span[0], c.span[1]); }
}

function binned(xs, ys, lo, hi, n) {
  const sum = new Float64Array(n), cnt = new Float64Array(n);
  for (let i = 0; i < xs.length; i++) {
    const b = Math.floor((xs[i] - lo) / (hi - lo) * n);
    if (b >= 0 && b < n) { sum[b] += ys[i]; cnt[b]++; }
  }
  const x = [], y = [];
  for (let b = 0; b < n; b++) if (cnt[b]) { x.push(lo + (b + 0.5) * (hi - lo) / n); y.push(sum[b] / cnt[b]); }
  return [x, y];
}

function sortedPoints(xs, ys) {
  const idx = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b]);
  return [idx.map((i) => xs[i]), idx.map((i) => ys[i])];
}

// Two series on one x axis for uPlot (which wants one shared, sorted x array).
function joined(a, b) {
  const xs = [...new Set([...a[0], ...b[0]])].sort((p, q) => p - q);
  const pick = (s) => { const m = new Map(s[0].map((x, i) => [x, s[1][i]])); return xs.map((x) => m.has(x) ? m.get(x) : null); };
  return [xs, pick(a), pick(b)];
}

function drawFold() {
  const f = fold();
  const keep = (k) => !state.excluded.has(k);
  const xs = [], ys = [], odd = [[], []], even = [[], []];
  for (let i = 0; i < f.dt_hours.length; i++) {
    const k = f.transit[i];
    if (!keep(k)) continue;
    xs.push(f.dt_hours[i]); ys.push(f.flux_ppm[i]);
    const epochNo = Math.round((f.transits[k].time - f.epoch) / f.period);
    const side = epochNo % 2 === 0 ? even : odd;
    side[0].push(f.dt_hours[i]); side[1].push(f.flux_ppm[i]);
  }
  const w = 3 * f.duration_hours;
  const pts = sortedPoints(xs, ys);
  const bins = binned(xs, ys, -w, w, 60);
  const depth = Math.max(f.depth_ppm, 1);
  const y = { auto: false, range: [-2.5 * depth - 100, 1.5 * depth + 100] };
  plot("p-fold", joined(pts, bins), [scatter("rgba(30,50,80,0.25)", 2), { stroke: "#d22", width: 2, spanGaps: true }],
    { xlabel: "hours from mid-transit", ylabel: "ppm", y });
  plot("p-oddeven", joined(binned(...odd, -w, w, 40), binned(...even, -w, w, 40)),
    [{ stroke: "#36c", width: 2, spanGaps: true }, { stroke: "#e80", width: 2, spanGaps: true }], { xlabel: "hours from mid-transit", ylabel: "ppm", y });
  const sec = sortedPoints(f.secondary_dt_hours, f.secondary_flux_ppm);
  plot("p-sec", joined(sec, binned(f.secondary_dt_hours, f.secondary_flux_ppm, -w, w, 40)),
    [scatter("rgba(30,50,80,0.25)", 2), { stroke: "#d22", width: 2, spanGaps: true }], { xlabel: "hours from phase 0.5", ylabel: "ppm", y });
  // Depth and SNR of the transits kept: their inverse-variance mean.
  let sw = 0, swd = 0, kept = 0;
  f.transits.forEach((t, k) => {
    if (keep(k) && t.err_ppm > 0) { sw += 1 / t.err_ppm ** 2; swd += t.depth_ppm / t.err_ppm ** 2; kept++; }
  });
  const d = sw ? swd / sw : NaN, snr = sw ? d * Math.sqrt(sw) : NaN;
  $("foldnote").textContent = state.excluded.size
    ? `${state.excluded.size} transit(s) left out: depth ${fmt(d, 0)} ppm, SNR ${fmt(snr, 1)} from ${kept}`
    : `depth ${fmt(d, 0)} ppm, SNR ${fmt(snr, 1)} from ${kept} transits`;
}

function drawViews() {
  const v = state.refold ? [state.refold.global, state.refold.local] : state.cand.views;
  if (!v) {
    $("p-global").innerHTML = $("p-local").innerHTML = `<span class="hint">the run kept no views (an older run, or the candidate could not be folded)</span>`;
    return;
  }
  const line = (id, ys) => plot(id, [ys.map((_, i) => i), Array.from(ys)], [{ stroke: "#234", width: 1.5 }], { height: 160, xlabel: "bin", ylabel: "flux (normalised)" });
  line("p-global", v[0]);
  line("p-local", v[1]);
}

function drawPeriodogram() {
  const c = state.cand;
  if (!c.periodogram) { $("p-pg").innerHTML = `<span class="hint">not kept by this run</span>`; return; }
  const [ps, pw] = c.periodogram;
  const P = c.row.period;
  const hooks = {
    draw: [(u) => {
      const ctx = u.ctx;
      ctx.save();
      for (const [m, color] of [[1, "#d22"], [0.5, "#e80"], [2, "#e80"], [3, "#e80"]]) {
        const x = u.valToPos(P * m, "x", true);
        if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
        ctx.strokeStyle = color; ctx.setLineDash(m === 1 ? [] : [4, 3]);
        ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
      }
      if (state.refold) {
        const x = u.valToPos(state.refold.fold.period, "x", true);
        ctx.strokeStyle = "#0a7"; ctx.setLineDash([]); ctx.lineWidth = 2;
        ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
      }
      ctx.restore();
    }],
  };
  const u = plot("p-pg", [ps, pw], [{ stroke: "#234", width: 1 }], {
    height: 180, xlabel: "period (d)", ylabel: "power", x: { distr: 3 }, hooks,
  });
  u.over.addEventListener("click", () => {
    const left = u.cursor.left;
    if (left == null || left < 0) return;
    const p = u.posToVal(left, "x");
    // The highest point within 1 % of the click: the peak meant.
    let best = -1;
    for (let i = 0; i < ps.length; i++) {
      if (Math.abs(ps[i] / p - 1) <= 0.01 && (best < 0 || pw[i] > pw[best])) best = i;
    }
    doRefold(best >= 0 ? ps[best] : p);
  });
}

async function doRefold(period) {
  const c = state.cand;
  const box = document.createElement("div");
  box.className = "refold";
  box.textContent = `Re-searching about ${(+period).toFixed(4)} d…`;
  $("detail").insertBefore(box, $("detail").querySelector(".plots"));
  try {
    const r = await api(`/api/refold?id=${encodeURIComponent(c.id)}&period=${period}`);
    if (state.cand !== c) return;
    state.refold = r;
    state.excluded = new Set();
    renderCandidate();
    writeHash(false);
  } catch (e) {
    box.className = "refold error";
    box.textContent = `Re-fold about ${period} d: ${e.message}`;
  }
}

function drawStack() {
  const f = fold();
  const box = $("stack");
  box.innerHTML = "";
  const n = f.transits.length;
  const shown = Math.min(n, 120);
  const w = 3 * f.duration_hours;
  const byK = new Map();
  for (let i = 0; i < f.dt_hours.length; i++) {
    const k = f.transit[i];
    if (k >= shown) continue;
    if (!byK.has(k)) byK.set(k, []);
    byK.get(k).push([f.dt_hours[i], f.flux_ppm[i]]);
  }
  const depth = Math.max(f.depth_ppm, 1);
  for (let k = 0; k < shown; k++) {
    const t = f.transits[k];
    const cv = document.createElement("canvas");
    cv.width = 110; cv.height = 70;
    cv.title = `transit ${k + 1} at ${t.time.toFixed(3)}: ${t.depth_ppm.toFixed(0)} ppm, SNR ${t.snr.toFixed(1)}${t.after_gap ? ", after a gap" : ""}`;
    if (state.excluded.has(k)) cv.className = "out";
    const ctx = cv.getContext("2d");
    const X = (x) => (x + w) / (2 * w) * 110, Y = (y) => 12 + (1.5 * depth - y) / (4 * depth) * 52;
    ctx.fillStyle = "#eee"; ctx.fillRect(X(-f.duration_hours / 2), 12, X(f.duration_hours / 2) - X(-f.duration_hours / 2), 58);
    ctx.fillStyle = "#234";
    for (const [x, y] of byK.get(k) || []) ctx.fillRect(X(x) - 1, Math.max(12, Math.min(69, Y(y))) - 1, 2, 2);
    ctx.fillStyle = t.after_gap ? "#a33" : "#222";
    ctx.font = "10px sans-serif";
    ctx.fillText(`${t.depth_ppm.toFixed(0)} / ${t.snr.toFixed(1)}`, 2, 10);
    cv.onclick = () => {
      if (state.excluded.has(k)) state.excluded.delete(k); else state.excluded.add(k);
      cv.className = state.excluded.has(k) ? "out" : "";
      for (const id of ["p-fold", "p-oddeven", "p-sec"]) $(id).innerHTML = "";
      state.plots = state.plots.filter((p) => document.body.contains(p.root));
      drawFold();
    };
    box.appendChild(cv);
  }
  if (n > shown) box.insertAdjacentHTML("beforeend", `<span class="hint">… and ${n - shown} more transits (in the fold)</span>`);
}

// ---- verdicts --------------------------------------------------------------------------

async function setVerdict(verdict, fromUndo) {
  const id = state.cand ? state.cand.id : state.loading;
  if (!id) return;
  const comment = fromUndo ? (fromUndo.comment || "") : (state.cand && $("comment") ? $("comment").value : "");
  const before = state.q.verdicts[id] || null;
  try {
    const row = await api("/api/verdict", {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ id, verdict, comment }),
    });
    if (!fromUndo) state.undo.push([id, before]);
    if (row.verdict) state.q.verdicts[id] = row; else delete state.q.verdicts[id];
    showProblem("");
    applyOrder();
    const c = state.cand;
    if (!c || c.id !== id) return;
    c.verdict = row.verdict ? row : null;
    const b = $("vbadge");
    if (b) b.textContent = row.verdict ? LABELS[row.verdict] : "unvetted";
    for (const btn of document.querySelectorAll(".verdicts button")) btn.classList.toggle("on", !!row.verdict && btn.dataset.v === row.verdict);
  } catch (e) {
    showProblem(`verdict not saved: ${e.message}`);
  }
}

async function undo() {
  const last = state.undo.pop();
  if (!last) return;
  const [id, before] = last;
  if (!state.cand || state.cand.id !== id) await openCandidate(id, null, false);
  await setVerdict(before ? before.verdict : null, before || { comment: "" });
}

// ---- the sky map ------------------------------------------------------------------------

// The Kepler field's centre and (roughly) its radius, degrees: drawn when the targets lie in it.
const KEPLER_FIELD = { ra: 290.67, dec: 44.5, radius: 7.4 };

async function drawSky() {
  let targets;
  try { targets = await api("/api/sky"); } catch (e) { $("skynote").textContent = `sky map: ${e.message}`; return; }
  state.sky = targets;
  const cv = $("skymap");
  if (!targets.length) { cv.style.display = "none"; $("skynote").textContent = "sky map: no RA/Dec in the light curves' headers"; return; }
  cv.width = cv.clientWidth || 500;
  const ras = targets.map((t) => t.ra), decs = targets.map((t) => t.dec);
  let [r0, r1, d0, d1] = [Math.min(...ras), Math.max(...ras), Math.min(...decs), Math.max(...decs)];
  const inKepler = targets.every((t) => Math.hypot((t.ra - KEPLER_FIELD.ra) * Math.cos(t.dec * Math.PI / 180), t.dec - KEPLER_FIELD.dec) < KEPLER_FIELD.radius + 1);
  if (inKepler) { r0 = Math.min(r0, 279); r1 = Math.max(r1, 302); d0 = Math.min(d0, 36); d1 = Math.max(d1, 53); }
  const pad = 0.5;
  r0 -= pad; r1 += pad; d0 -= pad; d1 += pad;
  // Equal degrees on both axes at the middle declination; RA grows to the left, as on the sky.
  const cosd = Math.cos((d0 + d1) / 2 * Math.PI / 180);
  const scale = Math.min((cv.width - 12) / ((r1 - r0) * cosd), (cv.height - 12) / (d1 - d0));
  const [rm, dm] = [(r0 + r1) / 2, (d0 + d1) / 2];
  const X = (ra) => cv.width / 2 - (ra - rm) * cosd * scale, Y = (dec) => cv.height / 2 - (dec - dm) * scale;
  state.skyXY = targets.map((t) => [X(t.ra), Y(t.dec)]);
  const ctx = cv.getContext("2d");
  ctx.clearRect(0, 0, cv.width, cv.height);
  if (inKepler) {
    ctx.strokeStyle = "#456"; ctx.beginPath();
    for (let a = 0; a <= 64; a++) {
      const th = a / 64 * 2 * Math.PI;
      const dec = KEPLER_FIELD.dec + KEPLER_FIELD.radius * Math.sin(th);
      const ra = KEPLER_FIELD.ra + KEPLER_FIELD.radius * Math.cos(th) / Math.cos(dec * Math.PI / 180);
      a ? ctx.lineTo(X(ra), Y(dec)) : ctx.moveTo(X(ra), Y(dec));
    }
    ctx.stroke();
  }
  targets.forEach((t, i) => {
    const s = t.best_score ?? 0;
    ctx.fillStyle = `hsl(${220 - 220 * s}, 90%, 55%)`;
    const [x, y] = state.skyXY[i];
    ctx.beginPath(); ctx.arc(x, y, 3, 0, 2 * Math.PI); ctx.fill();
  });
  $("skynote").textContent = `${targets.length} targets by RA/Dec, coloured by best score (blue 0, red 1)${inKepler ? "; circle: the Kepler field (approximate)" : ""}; click one to open its best candidate`;
  cv.onclick = (ev) => {
    const r = cv.getBoundingClientRect();
    const x = (ev.clientX - r.left) * cv.width / r.width, y = (ev.clientY - r.top) * cv.height / r.height;
    let best = -1, bd = 64;
    state.skyXY.forEach(([a, b], i) => { const d = (a - x) ** 2 + (b - y) ** 2; if (d < bd) { bd = d; best = i; } });
    if (best >= 0) openCandidate(targets[best].best, null, false);
  };
}

// ---- keys and start --------------------------------------------------------------------

document.addEventListener("keydown", (ev) => {
  const typing = ev.target.tagName === "INPUT" || ev.target.tagName === "SELECT";
  if (typing) {
    if (ev.key === "Escape" || ev.key === "Enter") ev.target.blur();
    return;
  }
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const k = ev.key;
  if (k === "j") move(1);
  else if (k === "k") move(-1);
  else if (k === "n") nextUnvetted();
  else if (VERDICTS[k]) setVerdict(VERDICTS[k]);
  else if (k === "c") { ev.preventDefault(); $("comment")?.focus(); }
  else if (k === "z") undo();
  else if (k === "Escape" && state.refold) { state.refold = null; state.excluded = new Set(); renderCandidate(); writeHash(false); }
  else if (state.cand && ["+", "=", "-", "0", "ArrowLeft", "ArrowRight"].includes(k)) { ev.preventDefault(); lcKey(k); }
  else return;
});

async function start() {
  const { id, params } = readHash();
  for (const [k, el] of [["order", "order"], ["show", "show"], ["filter", "filter"], ["min", "minscore"]]) {
    if (params.get(k) != null) $(el).value = params.get(k);
  }
  try {
    state.q = await api("/api/queue");
  } catch (e) {
    showProblem(`the queue could not be read: ${e.message}`);
    return;
  }
  $("runs").textContent = state.q.runs.map((r) => `${r.dir} (${r.state}, ${r.candidates} candidates, ${r.model})`).join(" · ");
  showProblem("");
  $("table-head").innerHTML = COLS.map(([name, key]) => `<span data-key="${key || ""}">${name}</span>`).join("");
  for (const s of $("table-head").children) {
    s.onclick = () => { const o = HEAD_ORDER[s.dataset.key]; if (o) { $("order").value = o; applyOrder(); writeHash(true); } };
  }
  applyOrder();
  // First paint of the queue, for the speed benchmark (ms since navigation).
  requestAnimationFrame(() => { document.body.dataset.queuePaintMs = performance.now().toFixed(0); });
  $("table").addEventListener("scroll", renderRows);
  $("rows").addEventListener("click", (ev) => {
    const row = ev.target.closest(".row");
    if (row) openAt(+row.dataset.p);
  });
  for (const el of ["filter", "minscore", "show", "order"]) {
    $(el).addEventListener("input", () => { applyOrder(); writeHash(true); });
  }
  window.addEventListener("resize", renderRows);
  window.addEventListener("popstate", () => {
    const h = readHash();
    if (h.id && (!state.cand || state.cand.id !== h.id)) openCandidate(h.id, h.params.get("refold"), true);
  });
  if (id) await openCandidate(id, params.get("refold"), true);
  document.body.dataset.ready = "1";
  drawSky();
}

// For tests and the console: the state, the fold on screen and a plot by its element id.
window.exo = {
  state,
  fold,
  plot: (id) => state.plots.find((p) => $(id) && $(id).contains(p.root)),
};

start();
