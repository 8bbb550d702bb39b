// The local dashboard: polls /live (pipeline, anomalies, runs, quarantine) and the query API
// (/api/devices, /api/devices/{id}/telemetry) and draws one uPlot chart per device.

const charts = new Map();
// Exposed for the browser test and for poking at the page from the console.
window.aiotDashboard = { charts };
const WINDOW_MS = 5 * 60 * 1000;
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const time = (ms) => new Date(ms).toLocaleTimeString();

async function getJson(url) {
  const res = await fetch(url, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return res.json();
}

function renderCounters(s) {
  const c = s.counters;
  const inFlight = c.published - c.stored - c.quarantined;
  const items = [
    ['published', c.published],
    ['stored', c.stored],
    ['quarantined', c.quarantined],
    ['in flight', Math.max(0, inFlight)],
    ['readings stored', c.readingsStored],
    ['anomalies', c.anomalies],
    ['workflows', c.workflowsStarted],
  ];
  $('counters').innerHTML = items
    .map(
      ([k, v]) =>
        `<div class="counter" data-counter="${esc(k)}"><b>${Number(v).toLocaleString()}</b><span>${esc(k)}</span></div>`,
    )
    .join('');
  const fleet = s.fleet ? ` · ${s.fleet.connected}/${s.fleet.devices} devices connected` : '';
  const dur = s.durationS ? ` of ${s.durationS}s` : '';
  $('run').textContent = `${Math.round(s.elapsedS)}s${dur}${fleet} · broker ${s.brokerUrl}`;
}

function renderList(id, items, render, empty) {
  $(id).innerHTML = items.length ? items.map(render).join('') : `<li class="muted">${esc(empty)}</li>`;
}

function renderLive(live) {
  renderCounters(live.status);
  renderList(
    'anomalies',
    live.anomalies,
    (a) =>
      `<li class="sev-${esc(a.severity)}">${time(a.ts)} <b>${esc(a.deviceId)}</b> ${esc(a.severity)} · score ${a.score.toFixed(3)} · ${esc(
        Object.keys(a.measures).join(', '),
      )}</li>`,
    'none yet',
  );
  renderList(
    'runs',
    live.runs,
    (r) =>
      `<li>${time(r.startedAt)} ${esc(r.workflow)} <b>${esc(r.status)}</b>${r.outcome ? ` → ${esc(r.outcome)}` : ''} <span class="muted">${esc(
        r.states[r.states.length - 1] ?? '',
      )}</span></li>`,
    'none yet',
  );
  renderList(
    'quarantine',
    live.quarantine,
    (q) => `<li>${time(q.receivedAt)} <span class="muted">${esc(q.source)}</span> ${esc(q.reason)}</li>`,
    'nothing quarantined',
  );
  renderList(
    'faults',
    live.status.groundTruth,
    (f) =>
      `<li><b>${esc(f.deviceId)}</b> ${esc(f.kind)} ${f.startMs ? `${time(f.startMs)} – ${time(f.endMs)}` : `${f.startS}s – ${f.endS}s`}</li>`,
    'no faults injected',
  );
}

function ensureChart(device) {
  let entry = charts.get(device.deviceId);
  if (!entry) {
    const el = document.createElement('div');
    el.className = 'device';
    el.dataset.device = device.deviceId;
    el.innerHTML = '<div class="name"><b></b><span class="health"></span></div><div class="chart"></div>';
    el.querySelector('b').textContent = device.deviceId;
    $('devices').appendChild(el);
    const plot = new uPlot(
      {
        width: 320,
        height: 140,
        legend: { show: false },
        scales: { x: { time: true } },
        axes: [{ stroke: '#8b98a5' }, { stroke: '#8b98a5', size: 50 }],
        series: [{}, { stroke: '#58a6ff', width: 1.5 }],
      },
      [[], []],
      el.querySelector('.chart'),
    );
    entry = { el, plot };
    charts.set(device.deviceId, entry);
  }
  const h = entry.el.querySelector('.health');
  h.className = `health ${device.health}`;
  h.textContent = device.health;
  return entry;
}

async function refreshDevices() {
  const measure = $('measure').value;
  const now = Date.now();
  const page = await getJson('/api/devices?limit=100');
  await Promise.all(
    page.items.slice(0, 24).map(async (d) => {
      const { plot } = ensureChart(d);
      const q = `from=${now - WINDOW_MS}&to=${now + 1000}&measure=${measure}&resolution=raw&limit=1000`;
      const t = await getJson(`/api/devices/${encodeURIComponent(d.deviceId)}/telemetry?${q}`);
      plot.setData([t.items.map((p) => p.t / 1000), t.items.map((p) => p.avg)]);
    }),
  );
}

async function tick() {
  try {
    renderLive(await getJson('/live'));
    await refreshDevices();
    document.body.dataset.ready = 'true';
  } catch (e) {
    $('run').textContent = `dashboard: ${e.message}`;
  }
}

$('measure').addEventListener('change', tick);
tick();
setInterval(tick, 2000);
