/* hashpivot dashboard: vanilla JavaScript + plotly.js (served by the same service).
 *
 * Simulate: the form edits a copy of the scenario (GET /scenarios/default), POSTs it to
 * /simulate?async=true&figures=true, polls /jobs/{id} for progress, then draws the
 * figures of the Monte Carlo report. A 422 shows each message (the CLI's text) beside the
 * input of the field it names. Runs: GET /runs, pick A and B, GET /runs/compare.
 * Companies: GET /comps (the comps table and the model EV by part) and GET /comps/timeline
 * (mining MW against AI IT MW energised per quarter, per company or summed).
 *
 * Authentication: the browser sends the session cookie set by the login form; every
 * request that changes something also sends X-Hashpivot-Client (see hashpivot.api.guard).
 */
"use strict";

(function () {
  const $ = (sel) => document.querySelector(sel);
  const HEADERS = { "Content-Type": "application/json", "X-Hashpivot-Client": "dashboard" };
  const POLL_MS = 250;
  const state = { base: null, job: null, polling: null, runs: [], pickA: null, pickB: null, compare: null, comps: null, timeline: null };

  // ------------------------------------------------------------------ helpers

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v);
    }
    for (const c of children) node.append(c);
    return node;
  }

  function fmtNumber(x, digits) {
    if (x === null || x === undefined || Number.isNaN(x)) return "—";
    if (typeof x !== "number") return String(x);
    const a = Math.abs(x);
    if (a >= 1e9) return (x / 1e9).toLocaleString(undefined, { maximumFractionDigits: 2 }) + " bn";
    if (a >= 1e6) return (x / 1e6).toLocaleString(undefined, { maximumFractionDigits: 1 }) + " M";
    if (a >= 100) return x.toLocaleString(undefined, { maximumFractionDigits: 0 });
    return x.toLocaleString(undefined, { maximumSignificantDigits: digits || 4 });
  }
  const fmtPct = (x) => (x === null || x === undefined ? "—" : (100 * x).toFixed(1) + " %");

  async function api(path, options) {
    const res = await fetch(path, Object.assign({ credentials: "same-origin", headers: HEADERS }, options || {}));
    if (res.status === 401) { window.location.reload(); throw new Error("signed out"); }
    let body = null;
    const text = await res.text();
    try { body = text ? JSON.parse(text) : null; } catch (e) { body = { detail: text }; }
    return { status: res.status, body: body };
  }

  // ------------------------------------------------------------------ tabs

  function showView(name) {
    for (const b of document.querySelectorAll(".tabs button")) {
      b.setAttribute("aria-selected", String(b.dataset.view === name));
    }
    $("#view-simulate").hidden = name !== "simulate";
    $("#view-runs").hidden = name !== "runs";
    $("#view-companies").hidden = name !== "companies";
    if (name === "runs") loadRuns();
    else if (name === "companies" && !state.comps) loadComps();
    else resizeCharts();
    if (window.location.hash !== "#" + name) history.replaceState(null, "", "#" + name);
  }

  function resizeCharts() {
    if (!window.Plotly) return;
    for (const div of document.querySelectorAll(".chart.js-plotly-plot")) {
      if (div.offsetParent !== null) window.Plotly.Plots.resize(div);
    }
  }

  // ------------------------------------------------------------------ scenario and form

  async function loadDefault() {
    const res = await api("scenarios/default");
    if (res.status !== 200) { showFormError(res.body); return; }
    state.base = res.body;
    $("#scenario-json").value = JSON.stringify(res.body, null, 2);
    fillForm(res.body);
  }

  function fillForm(sc) {
    const btc = ((sc.market_model || {}).btc_price) || {};
    $("#scenario-name").textContent = "Scenario: " + sc.name + " (" + sc.sites.length + " sites, " + sc.horizon_months + " months from " + sc.start_date + ")";
    $("#btc-model").value = ["gbm", "jump", "regime"].includes(btc.model) ? btc.model : "gbm";
    $("#btc-vol").value = btc.volatility_frac_per_year !== undefined ? btc.volatility_frac_per_year : "";
    $("#btc-price").value = sc.market.btc_price_usd;
    const net = sc.network_model || {};
    $("#net-model").value = net.model || "supply_curve";
    // the scenario's own growth: the network model's when it is fixed_growth, else the
    // market block's stated growth (the model's default is not a value of the scenario)
    const growth = net.model === "fixed_growth" ? net.growth_frac_per_month : sc.market.network_hashrate_growth_frac_per_month;
    $("#net-growth").value = growth !== undefined ? growth : "";
    const prices = sc.sites.map((s) => s.power.price_usd_per_mwh);
    $("#power-price").value = "";
    $("#power-price").placeholder = "scenario's: " + prices.join(" / ");
    const rates = [];
    for (const s of sc.sites) for (const c of s.conversions || []) if (c.lease) rates.push(c.lease.rate_usd_per_kw_month);
    $("#lease-rate").value = "";
    $("#lease-rate").placeholder = rates.length ? "scenario's: " + rates.join(" / ") : "no lease in the scenario";
    syncModelInputs();
  }

  function syncModelInputs() {
    const regime = $("#btc-model").value === "regime";
    $("#btc-vol").disabled = regime;
    $("#btc-vol").title = regime ? "Regime switching has a volatility per state: edit them in the full scenario." : "";
    $("#net-growth").disabled = $("#net-model").value !== "fixed_growth";
  }

  /* A number if the text is one, else the text itself: the server then says why it is not. */
  function parsed(input) {
    const text = input.value.trim();
    if (text === "") return undefined;
    const n = Number(text);
    return Number.isFinite(n) ? n : text;
  }

  function buildRequest() {
    let sc;
    try {
      sc = JSON.parse($("#scenario-json").value);
    } catch (e) {
      return { error: { detail: "Full scenario (JSON) does not parse: " + e.message, problems: [], fields: [{ field: "scenario", message: "the scenario JSON does not parse: " + e.message }] } };
    }
    sc.market_model = sc.market_model || {};
    const old = sc.market_model.btc_price || { model: "gbm" };
    const model = $("#btc-model").value;
    let btc = old;
    if (model !== old.model) {
      btc = { model: model };
      if (model !== "regime" && old.drift_frac_per_year !== undefined) btc.drift_frac_per_year = old.drift_frac_per_year;
    }
    const vol = parsed($("#btc-vol"));
    if (model !== "regime" && vol !== undefined) btc = Object.assign({}, btc, { volatility_frac_per_year: vol });
    sc.market_model.btc_price = btc;
    const price = parsed($("#btc-price"));
    if (price !== undefined) sc.market.btc_price_usd = price;
    sc.network_model = Object.assign({}, sc.network_model || {}, { model: $("#net-model").value });
    const growth = parsed($("#net-growth"));
    if (growth !== undefined && !$("#net-growth").disabled) sc.network_model.growth_frac_per_month = growth;
    const power = parsed($("#power-price"));
    const rate = parsed($("#lease-rate"));
    for (const s of sc.sites) {
      if (power !== undefined && s.power) s.power.price_usd_per_mwh = power;
      for (const c of s.conversions || []) if (rate !== undefined && c.lease) c.lease.rate_usd_per_kw_month = rate;
    }
    const body = { scenario: sc, save: $("#save").checked };
    const paths = parsed($("#paths"));
    const seed = parsed($("#seed"));
    const share = parsed($("#ai-share"));
    if (paths !== undefined) body.paths = paths;
    if (seed !== undefined) body.seed = seed;
    if (share !== undefined) body.ai_share_frac = share;
    return { body: body };
  }

  // ------------------------------------------------------------------ errors beside fields

  function patternRegex(pattern) {
    const esc = pattern.replace(/[.*+?^${}()|[\]\\]/g, (c) => (c === "*" ? "\u0000" : "\\" + c));
    return new RegExp("^" + esc.split("\u0000").join("[^.\\[\\]]+") + "(?=$|[.\\[])");
  }

  function inputFor(field) {
    let best = null, bestLen = -1;
    for (const node of document.querySelectorAll("#sim-form [data-fields]")) {
      for (const p of node.dataset.fields.split(/\s+/)) {
        if (p && patternRegex(p).test(field) && p.length > bestLen) { best = node; bestLen = p.length; }
      }
    }
    return best;
  }

  function clearErrors() {
    for (const n of document.querySelectorAll("#sim-form .field-error")) n.remove();
    for (const n of document.querySelectorAll("#sim-form .invalid")) n.classList.remove("invalid");
    $("#form-error").hidden = true;
    $("#form-error").textContent = "";
  }

  function showFormError(body) {
    clearErrors();
    const fields = (body && body.fields) || [];
    const loose = [];
    for (const f of fields) {
      const input = inputFor(f.field);
      if (!input) { loose.push(f.message); continue; }
      input.classList.add("invalid");
      const msg = el("div", { class: "field-error", role: "alert", "data-for": f.field, text: f.message });
      let after = input;
      while (after.nextElementSibling && after.nextElementSibling.classList.contains("field-error")) after = after.nextElementSibling;
      after.insertAdjacentElement("afterend", msg);
      if (input.id === "scenario-json") $("#advanced").open = true;
    }
    if (!fields.length && body && body.detail) loose.push(body.detail);
    if (loose.length) {
      const head = fields.length && loose.length < fields.length ? "Also:\n" : "";
      $("#form-error").textContent = head + loose.join("\n");
      $("#form-error").hidden = false;
    }
    const first = document.querySelector("#sim-form .invalid, #form-error:not([hidden])");
    if (first) first.scrollIntoView({ block: "nearest" });
    const stale = $("#cards").childElementCount ? " The charts still show the previous run." : "";
    setStatus("The inputs have problems: see the messages beside them." + stale, null, true);
  }

  // ------------------------------------------------------------------ running

  function setStatus(text, frac, isError) {
    $("#status-text").textContent = text;
    $("#status").classList.toggle("error", !!isError);
    const bar = $(".progress");
    bar.hidden = frac === null || frac === undefined;
    if (!bar.hidden) $("#progress-bar").style.width = Math.round(100 * frac) + "%";
  }

  function setStale(stale) {
    $(".results").classList.toggle("stale", stale && $("#cards").childElementCount > 0);
  }

  function setRunning(running) {
    $("#run-button").disabled = running;
    $("#run-button").textContent = running ? "Running…" : "Run simulation";
    $("#cancel-button").hidden = !running;
  }

  async function runSimulation(event) {
    event.preventDefault();
    clearErrors();
    const req = buildRequest();
    if (req.error) { showFormError(req.error); return; }
    setStale(true);
    setRunning(true);
    setStatus("Submitting…", 0);
    try {
      const res = await api("simulate?async=true&figures=true", { method: "POST", body: JSON.stringify(req.body) });
      if (res.status === 202) { state.job = res.body.job_id; poll(); return; }
      setRunning(false);
      if (res.status === 200) { render(res.body); return; }
      showFormError(res.body);
    } catch (e) {
      setRunning(false);
      setStatus("The service did not answer: " + e.message, null, true);
    }
  }

  async function poll() {
    if (!state.job) return;
    const res = await api("jobs/" + state.job);
    const job = res.body || {};
    if (res.status !== 200) { setRunning(false); setStatus((job.detail || "the job is gone"), null, true); return; }
    if (job.status === "queued" || job.status === "running") {
      const what = job.status === "queued" ? "Waiting for a worker…" : "Simulating " + job.done.toLocaleString() + " of " + job.total.toLocaleString() + " paths";
      setStatus(what + " · " + job.elapsed_s.toFixed(1) + " s", job.progress_frac);
      state.polling = setTimeout(poll, POLL_MS);
      return;
    }
    setRunning(false);
    state.job = null;
    if (job.status === "succeeded") { render(job.result); return; }
    if (job.status === "cancelled") { setStatus("Cancelled.", null, false); return; }
    if (job.error && job.error.fields && job.error.fields.length) showFormError(job.error);
    else setStatus("The run failed: " + ((job.error && job.error.detail) || job.status), null, true);
  }

  async function cancelRun() {
    if (!state.job) return;
    clearTimeout(state.polling);
    await api("jobs/" + state.job, { method: "DELETE" });
    poll();
  }

  // ------------------------------------------------------------------ results

  function card(label, value, sub) {
    return el("div", { class: "card" }, el("div", { class: "label", text: label }), el("div", { class: "value", text: value }), el("div", { class: "sub", text: sub || "" }));
  }

  function renderCards(result, runId, seconds) {
    const cards = $("#cards");
    cards.replaceChildren();
    const h = result.hybrid || {}, p = result.pure_mining || {};
    const npv = (v) => (v && v.npv_usd ? v.npv_usd : {});
    const eb = (v) => (v && v.ebitda_usd_per_year ? v.ebitda_usd_per_year : {});
    cards.append(
      card("E[NPV] hybrid (USD)", fmtNumber(npv(h).mean), "pure mining " + fmtNumber(npv(p).mean)),
      card("NPV 5th pct / CVaR5 hybrid", fmtNumber(npv(h).p5), "CVaR5 " + fmtNumber(npv(h).cvar5)),
      card("EBITDA per year, hybrid", fmtNumber(eb(h).mean), "pure mining " + fmtNumber(eb(p).mean)),
      card("Variance reduction (EBITDA)", fmtPct(result.variance_reduction_frac), "hybrid vs pure mining"),
      card("BTC beta hybrid", fmtNumber(h.btc_beta, 3), "pure mining " + fmtNumber(p.btc_beta, 3)),
      card("P(EBITDA < 0, any year)", fmtPct(h.prob_negative_ebitda_any_year), "pure mining " + fmtPct(p.prob_negative_ebitda_any_year)),
    );
    const where = runId ? "saved as run " + runId : "not saved";
    setStatus(result.paths.toLocaleString() + " paths × " + result.months + " months, seed " + result.seed + " · " + seconds.toFixed(2) + " s · " + where, null, false);
  }

  function draw(div, fig) {
    const layout = Object.assign({}, fig.layout, { autosize: true, height: div.clientHeight || 300 });
    // title on the left, tool bar standing on the right edge: they never meet
    layout.margin = { l: 60, r: 40, t: 44, b: 36 };
    layout.title = Object.assign({}, layout.title || {}, { font: { size: 14 }, x: 0.01, xanchor: "left", xref: "container" });
    layout.modebar = { orientation: "v" };
    layout.legend = Object.assign({ orientation: "h", y: -0.18 }, layout.legend || {});
    for (const trace of fig.data) if (String(trace.mode || "").includes("text")) trace.cliponaxis = false;
    window.Plotly.react(div, fig.data, layout, { displaylogo: false, responsive: true });
  }

  function render(payload) {
    const result = payload.result || {};
    setStale(false);
    renderCards(result, payload.run_id, payload.seconds || 0);
    const figures = payload.figures || {};
    for (const div of document.querySelectorAll("#charts .chart")) {
      const name = div.id.replace("chart-", "");
      if (figures[name]) draw(div, figures[name]);
      else { if (window.Plotly) window.Plotly.purge(div); div.replaceChildren(); }
    }
    window.requestAnimationFrame(resizeCharts);
  }

  // ------------------------------------------------------------------ runs

  async function loadRuns() {
    $("#runs-error").hidden = true;
    const res = await api("runs?limit=200");
    if (res.status !== 200) { $("#runs-error").textContent = res.body.detail; $("#runs-error").hidden = false; return; }
    state.runs = res.body.runs;
    const ids = new Set(state.runs.map((r) => r.run_id));
    if (!ids.has(state.pickA)) state.pickA = null;
    if (!ids.has(state.pickB)) state.pickB = null;
    renderRuns();
  }

  function renderRuns() {
    const tbody = $("#runs-table tbody");
    tbody.replaceChildren();
    if (!state.runs.length) {
      tbody.append(el("tr", {}, el("td", { colspan: "9", text: "No saved runs yet: run a simulation with “Save the run” ticked." })));
    }
    for (const r of state.runs) {
      const a = el("input", { type: "radio", name: "pick-a", value: r.run_id, "aria-label": "run A: " + r.run_id });
      const b = el("input", { type: "radio", name: "pick-b", value: r.run_id, "aria-label": "run B: " + r.run_id });
      a.checked = state.pickA === r.run_id;
      b.checked = state.pickB === r.run_id;
      a.addEventListener("change", () => { state.pickA = r.run_id; renderRuns(); });
      b.addEventListener("change", () => { state.pickB = r.run_id; renderRuns(); });
      const cls = (state.pickA === r.run_id ? "picked-a " : "") + (state.pickB === r.run_id ? "picked-b" : "");
      tbody.append(el("tr", { class: cls.trim(), "data-run": r.run_id },
        el("td", {}, a), el("td", {}, b), el("td", { text: r.run_id }), el("td", { text: r.kind }),
        el("td", { class: "wrap", text: r.scenario_name || "—" }), el("td", { text: r.seed === null ? "—" : String(r.seed) }),
        el("td", { text: r.started_at.replace("T", " ").slice(0, 19) }),
        el("td", { class: "num", text: r.duration_s.toFixed(2) }), el("td", { class: "num", text: r.per_path_values.toLocaleString() })));
    }
    $("#compare-button").disabled = !(state.pickA && state.pickB && state.pickA !== state.pickB);
  }

  async function compareRuns() {
    const q = "runs/compare?a=" + encodeURIComponent(state.pickA) + "&b=" + encodeURIComponent(state.pickB);
    const [cmp, ra, rb] = await Promise.all([api(q), api("runs/" + encodeURIComponent(state.pickA)), api("runs/" + encodeURIComponent(state.pickB))]);
    if (cmp.status !== 200) { $("#runs-error").textContent = cmp.body.detail; $("#runs-error").hidden = false; return; }
    state.compare = cmp.body;
    $("#comparison").hidden = false;
    $("#comparison-title").textContent = "A " + cmp.body.a.run_id + " (" + (cmp.body.a.scenario_name || "—") + ") vs B " + cmp.body.b.run_id + " (" + (cmp.body.b.scenario_name || "—") + ")";
    renderMetrics();
    renderChanges(cmp.body);
    renderCompareCharts(ra.body, rb.body);
    $("#comparison").scrollIntoView({ block: "start", behavior: "smooth" });
  }

  function renderMetrics() {
    const tbody = $("#metrics-table tbody");
    tbody.replaceChildren();
    const filter = $("#metric-filter").value.trim().toLowerCase();
    const onlyDiff = $("#only-differing").checked;
    let shown = 0;
    for (const m of state.compare.metrics) {
      if (filter && !m.metric.toLowerCase().includes(filter)) continue;
      if (onlyDiff && JSON.stringify(m.a) === JSON.stringify(m.b)) continue;
      const rel = m.rel_diff === null ? "—" : (m.rel_diff >= 0 ? "+" : "") + (100 * m.rel_diff).toFixed(1) + " %";
      tbody.append(el("tr", {}, el("td", { text: m.metric }), el("td", { class: "num", text: fmtNumber(m.a) }),
        el("td", { class: "num", text: fmtNumber(m.b) }), el("td", { class: "num", text: fmtNumber(m.diff) }), el("td", { class: "num", text: rel })));
      shown += 1;
    }
    if (!shown) tbody.append(el("tr", {}, el("td", { colspan: "5", text: onlyDiff ? "No metric differs." : "No metric matches." })));
  }

  function renderChanges(cmp) {
    const tbody = $("#changes-table tbody");
    tbody.replaceChildren();
    if (!cmp.scenario_changes.length) tbody.append(el("tr", {}, el("td", { colspan: "3", text: "The same in every field." })));
    for (const c of cmp.scenario_changes.slice(0, 500)) {
      const show = (v, absent) => (absent ? "(absent)" : typeof v === "object" ? JSON.stringify(v) : String(v));
      tbody.append(el("tr", {}, el("td", { class: "wrap", text: c.path }), el("td", { class: "wrap", text: show(c.a, c.change === "added") }), el("td", { class: "wrap", text: show(c.b, c.change === "removed") })));
    }
  }

  function renderCompareCharts(a, b) {
    const fDiv = $("#compare-frontier"), nDiv = $("#compare-npv");
    const runs = [["A", a, "#2b6cb0"], ["B", b, "#f2a900"]].filter((r) => r[1] && r[1].summary);
    const frontier = runs.filter((r) => (r[1].summary.frontier || []).length);
    if (frontier.length) {
      const data = frontier.map(([name, run, colour]) => ({
        x: run.summary.frontier.map((p) => p.npv_std_usd), y: run.summary.frontier.map((p) => p.npv_mean_usd),
        text: run.summary.frontier.map((p) => Math.round(100 * p.ai_share_frac) + " %"), mode: "lines+markers+text", textposition: "top center",
        name: name + " " + run.run_id, line: { color: colour }, marker: { color: colour },
      }));
      for (const t of data) t.cliponaxis = false;
      window.Plotly.react(fDiv, data, { title: { text: "AI-share frontier: E[NPV] vs std", font: { size: 14 }, x: 0.02, xanchor: "left" }, xaxis: { title: { text: "NPV std (USD)" } }, yaxis: { title: { text: "E[NPV] (USD)" } }, margin: { l: 60, r: 15, t: 44, b: 40 }, legend: { orientation: "h", y: -0.32 } }, { displaylogo: false, responsive: true });
    } else { window.Plotly.purge(fDiv); fDiv.replaceChildren(); }
    const withNpv = runs.filter((r) => r[1].summary.hybrid && r[1].summary.hybrid.npv_usd);
    if (withNpv.length) {
      const cats = ["hybrid p5", "hybrid mean", "hybrid p95", "pure p5", "pure mean", "pure p95"];
      const data = withNpv.map(([name, run, colour]) => {
        const h = run.summary.hybrid.npv_usd, p = (run.summary.pure_mining || {}).npv_usd || {};
        return { type: "bar", name: name + " " + run.run_id, x: cats, y: [h.p5, h.mean, h.p95, p.p5, p.mean, p.p95], marker: { color: colour } };
      });
      window.Plotly.react(nDiv, data, { title: { text: "NPV distribution (USD)", font: { size: 14 }, x: 0.02, xanchor: "left" }, barmode: "group", margin: { l: 60, r: 15, t: 44, b: 40 }, legend: { orientation: "h", y: -0.2 } }, { displaylogo: false, responsive: true });
    } else { window.Plotly.purge(nDiv); nDiv.replaceChildren(); }
  }


  // ------------------------------------------------------------------ companies

  const EV_PARTS = [
    ["mining_usd", "mining", "#f2a900"],
    ["contracted_ai_usd", "colocation (contracted AI)", "#2b6cb0"],
    ["gpu_cloud_usd", "GPU cloud", "#6b46c1"],
    ["powered_land_usd", "powered land", "#2f855a"],
    ["btc_value_usd", "BTC held (equity, beyond EV)", "#c05621"],
    ["tax_usd", "tax", "#b42318"],
    ["capex_usd", "capex", "#718096"],
  ];

  async function loadComps() {
    $("#comps-error").hidden = true;
    $("#comps-status").textContent = "Loading the catalogue’s companies…";
    const [comps, timeline] = await Promise.all([api("comps"), api("comps/timeline")]);
    const failed = [comps, timeline].find((r) => r.status !== 200);
    if (failed) {
      $("#comps-error").textContent = (failed.body && failed.body.detail) || "the service answered " + failed.status;
      $("#comps-error").hidden = false;
      $("#comps-status").textContent = "";
      return;
    }
    state.comps = comps.body;
    state.timeline = timeline.body;
    renderCompsTable(comps.body);
    drawEvParts(comps.body.rows);
    fillTimelineChoice(timeline.body.rows);
    drawTimeline();
    const priced = comps.body.rows.filter((r) => r.market_ev_usd !== undefined && r.market_ev_usd !== null).length;
    $("#comps-status").textContent = comps.body.rows.length + " companies valued on " + comps.body.as_of + " (sorted by " + comps.body.sorted_by + ")" +
      (priced ? "; market EV for " + priced : "; no price file in the service, so no market EV");
    window.requestAnimationFrame(resizeCharts);
  }

  function renderCompsTable(out) {
    const tbody = $("#comps-table tbody");
    tbody.replaceChildren();
    for (const r of out.rows) {
      const num = (x, digits) => el("td", { class: "num", text: fmtNumber(x, digits) });
      tbody.append(el("tr", { "data-ticker": r.ticker },
        el("td", { text: r.ticker }), el("td", { class: "wrap", text: r.name || "—" }),
        num(r.operating_gross_mw), num(r.contracted_it_mw), num(r.hashrate_eh_s, 3), num(r.backlog_usd),
        num(r.backlog_remaining_years, 3), num(r.enterprise_value_usd), num(r.equity_value_usd_per_share, 4),
        el("td", { class: "wrap", text: (r.missing || []).join(", ") || "—" })));
    }
    const notes = $("#comps-notes");
    notes.replaceChildren(...(out.notes || []).map((n) => el("li", { text: n })));
  }

  function chartLayout(title, extra) {
    return Object.assign({
      title: { text: title, font: { size: 14 }, x: 0.01, xanchor: "left", xref: "container" },
      margin: { l: 70, r: 40, t: 44, b: 40 }, modebar: { orientation: "v" },
      legend: { orientation: "h", y: -0.22 }, autosize: true,
    }, extra || {});
  }

  function drawEvParts(rows) {
    const div = $("#chart-comps-ev");
    const tickers = rows.map((r) => r.ticker);
    const data = [];
    for (const [key, name, colour] of EV_PARTS) {
      const y = rows.map((r) => (typeof r[key] === "number" ? r[key] : 0));
      if (y.every((v) => v === 0)) continue;
      data.push({ type: "bar", name: name, x: tickers, y: y, marker: { color: colour }, hovertemplate: "%{x} " + name + ": %{y:.3s} USD<extra></extra>" });
    }
    data.push({ type: "scatter", mode: "markers", name: "model EV", x: tickers, y: rows.map((r) => r.enterprise_value_usd),
      marker: { symbol: "diamond", size: 10, color: "#1b1f24" }, hovertemplate: "%{x} model EV: %{y:.3s} USD<extra></extra>" });
    const market = rows.filter((r) => typeof r.market_ev_usd === "number");
    if (market.length) {
      data.push({ type: "scatter", mode: "markers", name: "market EV", x: market.map((r) => r.ticker), y: market.map((r) => r.market_ev_usd),
        marker: { symbol: "x", size: 11, color: "#e53e3e" }, hovertemplate: "%{x} market EV: %{y:.3s} USD<extra></extra>" });
    }
    const layout = chartLayout("Model EV by part (USD), market EV where priced", { barmode: "relative", yaxis: { title: { text: "USD" } }, height: div.clientHeight || 380 });
    window.Plotly.react(div, data, layout, { displaylogo: false, responsive: true });
  }

  function fillTimelineChoice(rows) {
    const select = $("#timeline-company");
    const keep = select.value;
    const tickers = [...new Set(rows.map((r) => r.ticker))];
    select.replaceChildren(el("option", { value: "", text: "all companies (sum)" }), ...tickers.map((t) => el("option", { value: t, text: t })));
    select.value = tickers.includes(keep) ? keep : "";
  }

  function drawTimeline() {
    if (!state.timeline) return;
    const div = $("#chart-comps-timeline");
    const pick = $("#timeline-company").value;
    const byQuarter = new Map();
    for (const r of state.timeline.rows) {
      if (pick && r.ticker !== pick) continue;
      const q = byQuarter.get(r.quarter) || { mining: 0, ai: 0, projected: false };
      q.mining += r.mining_gross_mw || 0;
      q.ai += r.ai_it_mw_energised || 0;
      q.projected = q.projected || !!r.projected;
      byQuarter.set(r.quarter, q);
    }
    const quarters = [...byQuarter.keys()].sort();
    const rows = quarters.map((q) => byQuarter.get(q));
    const who = pick || "all companies";
    const data = [
      { type: "scatter", mode: "lines+markers", name: "mining gross MW", x: quarters, y: rows.map((r) => r.mining), line: { color: "#f2a900" }, hovertemplate: "%{x} mining: %{y:.0f} MW<extra></extra>" },
      { type: "scatter", mode: "lines+markers", name: "AI IT MW energised", x: quarters, y: rows.map((r) => r.ai), line: { color: "#2b6cb0" }, hovertemplate: "%{x} AI IT: %{y:.0f} MW<extra></extra>" },
    ];
    const first = quarters.find((q) => byQuarter.get(q).projected);
    const shapes = first ? [{ type: "rect", xref: "x", yref: "paper", x0: first, x1: quarters[quarters.length - 1], y0: 0, y1: 1, fillcolor: "#edf2f7", opacity: 0.6, line: { width: 0 }, layer: "below" }] : [];
    const layout = chartLayout("The pace of the pivot: " + who + (first ? " (shaded: announced ramps)" : ""), { yaxis: { title: { text: "MW" } }, shapes: shapes, height: div.clientHeight || 340 });
    window.Plotly.react(div, data, layout, { displaylogo: false, responsive: true });
  }

  // ------------------------------------------------------------------ start

  function start() {
    for (const b of document.querySelectorAll(".tabs button")) b.addEventListener("click", () => showView(b.dataset.view));
    $("#sim-form").addEventListener("submit", runSimulation);
    $("#cancel-button").addEventListener("click", cancelRun);
    $("#btc-model").addEventListener("change", syncModelInputs);
    $("#net-model").addEventListener("change", syncModelInputs);
    $("#reset-scenario").addEventListener("click", () => { if (state.base) { $("#scenario-json").value = JSON.stringify(state.base, null, 2); fillForm(state.base); clearErrors(); } });
    $("#refresh-runs").addEventListener("click", loadRuns);
    $("#compare-button").addEventListener("click", compareRuns);
    $("#refresh-comps").addEventListener("click", loadComps);
    $("#timeline-company").addEventListener("change", drawTimeline);
    $("#metric-filter").addEventListener("input", () => state.compare && renderMetrics());
    $("#only-differing").addEventListener("change", () => state.compare && renderMetrics());
    window.addEventListener("resize", resizeCharts);
    loadDefault();
    const views = ["simulate", "runs", "companies"];
    const wanted = window.location.hash.slice(1);
    showView(views.includes(wanted) ? wanted : "simulate");
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
