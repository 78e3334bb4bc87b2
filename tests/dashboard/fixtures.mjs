// SPDX-License-Identifier: MIT
// Crafted API documents for the dashboard's browser tests, and the playwright routes that serve
// them in place of the real server's: for states the server under test cannot be made to produce
// on demand (a flapping alert, a new critical alert at a chosen moment, every collector configured,
// a time axis that ends on a tick). Shapes follow SPEC.md section 7.

const iso = (epoch) => new Date(epoch * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
const pad = (n) => String(n).padStart(2, '0');
const clock = (epoch) => {
  const d = new Date(epoch * 1000);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
};

// One alert in the later document shape (with `state`); `shape: 'old'` leaves `state` and `rule`
// out, as the alert engine of today does.
export function alert({type, instance = 'system', severity = 'warning', state = 'firing', started,
                       resolved = null, value = 1, shape = 'new'}) {
  const a = {
    type, severity,
    message: `${type} [${instance}] is ${value} (${severity} when > 0)`,
    timestamp: iso(resolved || started), started_at: iso(started), resolved_at: resolved ? iso(resolved) : null,
    instance, value, active: state !== 'resolved',
  };
  if (shape === 'new') Object.assign(a, {state, rule: type});
  return a;
}

// The /api/monitoring/alerts document of either shape: `current` only in the later one.
export function alertsDoc(list, shape = 'new') {
  const active = list.filter((a) => a.active);
  const doc = {alerts: list, count: list.length, active: active.length};
  if (shape === 'new') doc.current = active;
  return doc;
}

// Serves `source()` (called on every request) as /api/monitoring/alerts, and puts its newest five
// alerts into every /current document, polled or pushed, as the server does with its own.
export async function routeAlerts(page, source) {
  const inject = (text) => {
    const doc = JSON.parse(text);
    doc.alerts = source().alerts.slice(0, 5);
    return JSON.stringify(doc);
  };
  await page.route('**/api/monitoring/alerts', (route) => route.fulfill({json: source()}));
  await page.route('**/api/monitoring/current', async (route) => {
    const response = await route.fetch();
    await route.fulfill({response, body: inject(await response.text())});
  });
  await page.routeWebSocket(/\/api\/monitoring\/ws$/, (ws) => {
    const server = ws.connectToServer();
    server.onMessage((message) => ws.send(inject(String(message))));
  });
}

// Closes a context whose pages routeAlerts serves once the handlers in flight have answered: a
// handler cut off by the close rejects after its test has ended (its fetched response disposed).
export async function closeRouted(context) {
  await Promise.all(context.pages().map((page) => page.unrouteAll({behavior: 'wait'})));
  await context.close();
}

const wave = (i, base, swing, period = 40) => +(base + swing * Math.sin(i / period * 2 * Math.PI)).toFixed(2);

// A /history document of `minutes` minutes at `step` seconds ending at `end`, every series filled.
export function craftedHistory(end, minutes, step = 5) {
  const epoch = [];
  for (let t = end - minutes * 60; t <= end; t += step) epoch.push(t);
  const col = (base, swing, period) => epoch.map((t, i) => wave(i, base, swing, period));
  // A counter's cumulative values, growing by a wandering rate per second.
  const counter = (start, rate, swing) => {
    let total = start;
    return epoch.map((t, i) => (total += wave(i, rate, swing) * step));
  };
  return {
    timestamps: epoch.map(clock), epoch, sample_count: epoch.length, interval_seconds: step,
    api: {requests_per_sec: col(60, 25), error_rate: col(2, 1.5, 13), response_time_p50: col(24, 6),
          response_time_p95: col(60, 20, 17)},
    cache: {hit_ratio: col(92, 4, 9), operations: col(400, 80)},
    agents: {active: col(6, 2), created: col(120, 10)},
    tws: {latency: col(35, 10, 11), connected: epoch.map(() => 1)},
    host: {cpu_percent: col(30, 15), memory_percent: col(42, 2)},
    // The chart lines with no column above, by series (the cache lookups are summed above).
    series: {cache_hits: counter(60000, 12, 3), cache_misses: counter(4000, 1, 0.5), llm_requests: counter(800, 0.3, 0.2),
             tws_jobs_error: col(1, 1, 29), tws_jobs_running: col(4, 2), tws_jobs_waiting: col(12, 4)},
  };
}

// A /current document at `end` in which every collector is configured and up.
export function craftedCurrent(end) {
  const collector = (plugin) => ({plugin, up: true, last_error: '', duration_ms: 0.4, status: 'ok'});
  return {
    status: 'ok', uptime: '2h 0m', uptime_seconds: 7200, version: '0.1.0', last_update: clock(end), timestamp: end,
    api: {requests_per_sec: 68.2, requests_total: 42363, error_rate: 2.94, error_count: 1187, response_time_p50: 24,
          response_time_p95: 57, response_time_avg: 26.8, trend: 26.7},
    cache: {hit_ratio: 93.1, hits: 65956, misses: 4862, size: 400, evictions: 0, trend: 0},
    agents: {active: 6, created_total: 131, failed_total: 2, trend: 0},
    llm: {requests: 912, tokens_used: 1.2e6, errors: 3},
    tws: {connected: 1, latency_ms: 35, requests_success: 240, requests_failed: 0, status: 'ok',
          jobs: {error: 1, running: 4, waiting: 12, done: 310}},
    system: {availability: 100, async_operations: 0, correlation_ids: 0},
    host: {cpu_percent: 30.5, memory_percent: 42.1, load1: 0.8, process_rss_bytes: 13.5 * 1048576},
    alerts: [],
    collectors: {api: collector('api'), redis: collector('cache'), agents: collector('agents'),
                 tws: collector('tws'), system: collector('system')},
  };
}

// The page sees only the crafted window: /history and /current are answered here, and the
// WebSocket is refused, so the page polls /current and gets the same last sample again.
export async function routeCraftedWindow(page, end, minutes) {
  await page.route('**/api/monitoring/history*', (route) => route.fulfill({json: craftedHistory(end, minutes)}));
  await page.route('**/api/monitoring/current', (route) => route.fulfill({json: craftedCurrent(end)}));
  await page.routeWebSocket(/\/api\/monitoring\/ws$/, (ws) => ws.close({code: 1011, reason: 'crafted window'}));
}
