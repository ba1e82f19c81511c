"""The dashboard at ``/``: one server-rendered page with a small script, no build step, nothing from the net.

The page itself holds no data; the script reads ``GET /api/stats`` (client key) every two seconds:
strong share and spend over time, routes per model, fallbacks, recent decisions (never prompts).
"Try a prompt" asks ``POST /api/route`` for a decision without calling any model; the admin box
moves the strong share the server holds (``POST /admin/policy``, admin key).
"""

from __future__ import annotations

import asyncio
import html
import time
from typing import Any

from fastapi import FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import HTMLResponse

from ..router import RouteDecision
from .controller import RoutingState
from .errors import ApiError
from .log import DecisionLog
from .security import Keys

__all__ = ["add_dashboard"]

RECENT_FIELDS = ("id", "created", "route", "model", "score", "threshold", "latency_ms", "fallback", "status", "stream")


class TryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prompt: str = Field(min_length=1, max_length=100_000)


def _decision(decision: RouteDecision, state: RoutingState) -> dict[str, Any]:
    live = state.live
    out = decision.as_dict()
    out["child"] = live.dispatcher.labels.get(decision.route)
    return {k: out[k] for k in ("route", "child", "score", "threshold", "reason", "router")}


def add_dashboard(app: FastAPI, state: RoutingState, log: DecisionLog, keys: Keys) -> None:
    """Register ``/``, ``/api/stats`` and ``/api/route`` on ``app``."""

    @app.get("/", response_class=HTMLResponse)
    async def page() -> HTMLResponse:
        live = state.live
        note = "open (loopback only, no keys)" if keys.open else "API key needed"
        return HTMLResponse(PAGE.replace("{{router}}", html.escape(live.router.name)).replace("{{auth}}", note))

    @app.get("/api/stats")
    async def stats(request: Request, minutes: int = 60) -> dict[str, Any]:
        keys.client(request)
        minutes = max(1, min(minutes, 24 * 60))
        summary = await asyncio.to_thread(
            log.summary, since=time.time() - 60 * minutes, bucket_s=60 if minutes > 10 else 10
        )
        recent = await asyncio.to_thread(log.recent, 20)
        live = state.live
        return {
            "router": live.router.name,
            "settings": dict(live.settings),
            "minutes": minutes,
            "share": state.share.state() if state.share else None,
            **summary,
            "recent": [{k: r[k] for k in RECENT_FIELDS} for r in recent],
        }

    @app.post("/api/route")
    async def try_prompt(request: Request, item: TryIn) -> dict[str, Any]:
        keys.client(request)
        await state.sync()
        live = state.live
        settings = dict(live.settings)
        if state.share is not None:
            settings["threshold"] = state.share.threshold()
        try:
            decision = await live.router.aroute(item.prompt, **settings)
        except ValueError as exc:
            raise ApiError(400, f"cannot route this prompt: {exc}") from None
        return _decision(decision, state)


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>winroute</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font:14px system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
 header{background:#1d2330;color:#fff;padding:10px 20px;display:flex;gap:20px;align-items:center}
 header h1{font-size:18px;margin:0} header span{opacity:.8}
 main{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:14px;padding:14px 20px}
 section{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:12px 14px}
 h2{font-size:14px;margin:0 0 8px;text-transform:uppercase;letter-spacing:.04em;color:#556}
 .kpis{display:grid;grid-template-columns:repeat(3,1fr);gap:8px} .kpi b{display:block;font-size:22px}
 table{border-collapse:collapse;width:100%;font-size:12px} td,th{padding:3px 6px;border-bottom:1px solid #eef;text-align:left}
 svg{width:100%;height:120px;background:#fafbfc;border:1px solid #eef} .wide{grid-column:1/-1}
 textarea{width:100%;box-sizing:border-box;height:60px} input{width:120px} .err{color:#b00020}
 .strong{color:#8a3ffc;font-weight:600} .weak{color:#198038;font-weight:600}
</style></head><body>
<header><h1>winroute</h1><span>router <b id="router">{{router}}</b></span><span>auth: {{auth}}</span>
<label>API key <input id="api-key" type="password" autocomplete="off"></label><span id="status"></span></header>
<main>
<section><h2>Last hour</h2><div class="kpis">
 <div class="kpi">requests<b id="requests">-</b></div><div class="kpi">strong share<b id="strong-share">-</b></div>
 <div class="kpi">fallbacks<b id="fallbacks">-</b></div><div class="kpi">spend (USD)<b id="spend">-</b></div>
 <div class="kpi">always-strong (USD)<b id="strong-cost">-</b></div><div class="kpi">saving<b id="saving">-</b></div>
</div><p>policy: <code id="policy">-</code></p></section>
<section><h2>Strong share over time</h2><svg id="share-chart" viewBox="0 0 300 100" preserveAspectRatio="none"></svg></section>
<section><h2>Spend over time (USD per interval)</h2><svg id="spend-chart" viewBox="0 0 300 100" preserveAspectRatio="none"></svg></section>
<section><h2>Routes per model</h2><table><thead><tr><th>route</th><th>model</th><th>requests</th></tr></thead><tbody id="by-model"></tbody></table></section>
<section><h2>Try a prompt</h2><textarea id="prompt" placeholder="a prompt to route (no model is called)"></textarea>
<button id="try">Route it</button><p id="decision"></p></section>
<section><h2>Strong share control (admin)</h2>
<label>admin key <input id="admin-key" type="password" autocomplete="off"></label>
<label>target share <input id="target-share" type="number" min="0" max="1" step="0.05" value="0.3"></label>
<button id="set-share">Hold this share</button><p id="policy-status"></p></section>
<section class="wide"><h2>Recent decisions</h2><table><thead><tr><th>time</th><th>route</th><th>model</th><th>score</th>
<th>threshold</th><th>latency ms</th><th>fallback</th><th>status</th></tr></thead><tbody id="recent"></tbody></table></section>
</main>
<script>
const $ = (id) => document.getElementById(id);
$('api-key').value = sessionStorage.getItem('winroute-key') || '';
$('api-key').addEventListener('change', () => { sessionStorage.setItem('winroute-key', $('api-key').value); refresh(); });
function headers(key) {
  const h = {'Content-Type': 'application/json'}; if (key) h['Authorization'] = 'Bearer ' + key; return h;
}
const fmt = (x, d) => (x === null || x === undefined) ? '-' : Number(x).toFixed(d);
function cell(row, text, cls) { const td = row.insertCell(); td.textContent = text; if (cls) td.className = cls; }
function chart(svg, values, top) {
  svg.textContent = '';
  if (!values.length) return;
  const max = top || Math.max(...values, 1e-12), n = values.length;
  const pts = values.map((v, i) => `${n === 1 ? 150 : (i * 300 / (n - 1)).toFixed(1)},${(100 - 95 * v / max).toFixed(1)}`);
  const line = document.createElementNS('http://www.w3.org/2000/svg', n === 1 ? 'circle' : 'polyline');
  if (n === 1) { const [x, y] = pts[0].split(','); line.setAttribute('cx', x); line.setAttribute('cy', y); line.setAttribute('r', 3); }
  else { line.setAttribute('points', pts.join(' ')); line.setAttribute('fill', 'none'); line.setAttribute('stroke-width', 2); }
  line.setAttribute('stroke', '#8a3ffc'); line.setAttribute('fill', n === 1 ? '#8a3ffc' : 'none'); svg.appendChild(line);
}
async function refresh() {
  let r;
  try { r = await fetch('api/stats', {headers: headers($('api-key').value)}); } catch (e) { $('status').textContent = 'offline'; return; }
  if (!r.ok) { $('status').textContent = r.status === 401 ? 'enter an API key' : 'error ' + r.status; $('status').className = 'err'; return; }
  $('status').textContent = ''; const s = await r.json();
  $('router').textContent = s.router; $('requests').textContent = s.requests;
  $('strong-share').textContent = s.requests ? fmt(s.strong / s.requests, 2) : '-';
  $('fallbacks').textContent = s.fallbacks; $('spend').textContent = fmt(s.cost, 6);
  $('strong-cost').textContent = fmt(s.strong_cost, 6); $('saving').textContent = fmt(s.strong_cost - s.cost, 6);
  $('policy').textContent = s.share ? `holding strong share ${s.share.target_share} (threshold ${fmt(s.share.threshold, 4)})`
                                    : JSON.stringify(s.settings);
  chart($('share-chart'), s.series.map(p => p.strong_share), 1); chart($('spend-chart'), s.series.map(p => p.cost));
  const bm = $('by-model'); bm.textContent = '';
  for (const m of s.by_model) { const row = bm.insertRow(); cell(row, m.route, m.route); cell(row, m.model || '(failed)'); cell(row, m.requests); }
  const rc = $('recent'); rc.textContent = '';
  for (const d of s.recent) {
    const row = rc.insertRow(); cell(row, new Date(d.created * 1000).toLocaleTimeString()); cell(row, d.route, d.route);
    cell(row, d.model || '-'); cell(row, fmt(d.score, 3)); cell(row, fmt(d.threshold, 3)); cell(row, fmt(d.latency_ms, 1));
    cell(row, d.fallback ? 'yes' : ''); cell(row, d.status);
  }
}
$('try').addEventListener('click', async () => {
  const r = await fetch('api/route', {method: 'POST', headers: headers($('api-key').value), body: JSON.stringify({prompt: $('prompt').value})});
  const d = await r.json(); const out = $('decision');
  if (!r.ok) { out.textContent = d.error ? d.error.message : 'error ' + r.status; out.className = 'err'; return; }
  out.className = ''; out.textContent = '';
  const b = document.createElement('span'); b.id = 'decision-route'; b.className = d.route; b.textContent = d.route; out.appendChild(b);
  out.appendChild(document.createTextNode(` (${d.child}): score ${fmt(d.score, 4)}, threshold ${fmt(d.threshold, 4)}. ${d.reason}`));
});
$('set-share').addEventListener('click', async () => {
  const r = await fetch('admin/policy', {method: 'POST', headers: headers($('admin-key').value),
                                         body: JSON.stringify({target_share: Number($('target-share').value)})});
  const d = await r.json(); const out = $('policy-status');
  out.className = r.ok ? '' : 'err';
  out.textContent = r.ok ? `holding strong share ${d.share.target_share}` : (d.error ? d.error.message : 'error ' + r.status);
  refresh();
});
refresh(); setInterval(refresh, 2000);
</script></body></html>
"""
