// SPDX-License-Identifier: MIT
// The cards and the collector table, filled from /current and /health.
import {DASH, fmt, fmtAuto, fmtBytes, fmtCount, fmtTrend, isNum} from './format.js';
import {$, el, setText, state} from './state.js';

// How the not-configured line names each plugin, in page order.
const PLUGIN_NAMES = {api: 'API', cache: 'cache', agents: 'agents', tws: 'Workload Automation', system: 'host'};

// A series no collector provides comes as 0 in /current (the original API's shape). Rather than
// greyed cards and empty charts, what is not configured collapses into one line that says how to
// add it. Until the first /current says which collectors exist, no plugin's card is shown.
export function markConfigured() {
  const missing = [];
  document.querySelectorAll('[data-plugin]').forEach((node) => {
    const plugin = node.dataset.plugin;
    const on = state.plugins.has(plugin);
    node.hidden = !on;
    if (!on && state.pluginsKnown && !missing.includes(plugin)) missing.push(plugin);
  });
  const line = $('unconfigured');
  line.hidden = !missing.length;
  setText('unconfigured-list', missing.map((p) => PLUGIN_NAMES[p] || p).join(', '));
}

// The collectors of one plugin that are down, from /current's collectors{}. Before the first run a
// collector is not up yet either: only a failure or a finished sample makes it "down".
function downCollectors(cur, plugin) {
  const sampled = isNum(cur.timestamp) && cur.timestamp > 0;
  return Object.entries(cur.collectors || {})
      .filter(([, c]) => c && c.plugin === plugin && c.up === false && (sampled || c.last_error))
      .map(([name, c]) => ({name, error: c.last_error || c.status || ''}));
}

// A card whose collector is down says so, as the Workload Automation card does for its engine.
function markDown(cur) {
  document.querySelectorAll('.card[data-plugin]').forEach((card) => {
    const down = state.plugins.has(card.dataset.plugin) ? downCollectors(cur, card.dataset.plugin) : [];
    card.classList.toggle('collector-down', down.length > 0);
    const tag = card.querySelector('.tag');
    if (tag) tag.textContent = down.length ? 'collector down' : '';
    let note = card.querySelector('.collector-note');
    if (!note && down.length) {
      note = el('div', 'note collector-note');
      card.append(note);
    }
    if (!note) return;
    // Collector errors usually start with the instance's name already.
    const text = down.map((d) => (!d.error ? d.name + ' is down' : d.error.startsWith(d.name) ? d.error
                                                                  : d.name + ': ' + d.error)).join('; ');
    if (note.textContent !== text) note.textContent = text;
    note.title = text;
    note.hidden = !text;
  });
}

function fill(plugin, values) {
  const on = state.plugins.has(plugin);
  for (const [id, text] of Object.entries(values)) setText(id, on ? text : DASH);
}

export function renderCards(cur) {
  const api = cur.api || {}, cache = cur.cache || {}, agents = cur.agents || {}, llm = cur.llm || {};
  const tws = cur.tws || {}, jobs = tws.jobs || {}, host = cur.host || {}, system = cur.system || {};

  const status = $('status');
  status.dataset.status = cur.status || '';
  setText('status', cur.status || DASH);
  // The tab title carries the status, so a degraded service shows in a background tab too.
  const title = (cur.status ? cur.status + ' \u00b7 ' : '') + 'resync-mon ' + location.host;
  if (document.title !== title) document.title = title;
  setText('uptime', cur.uptime || DASH);
  setText('version', cur.version || DASH);
  setText('last-update', isNum(cur.timestamp) && cur.timestamp > 0 ? cur.last_update : DASH);

  fill('api', {
    'api-rps': fmtAuto(api.requests_per_sec),
    'api-total': fmtCount(api.requests_total),
    'api-trend': fmtTrend(api.trend),
    'api-error-rate': fmt(api.error_rate, 2),
    'api-errors': fmtCount(api.error_count),
    'api-p50': fmtAuto(api.response_time_p50),
    'api-p95': fmtAuto(api.response_time_p95),
    'api-avg': isNum(api.response_time_avg) ? fmtAuto(api.response_time_avg) + ' ms' : DASH,
  });
  fill('cache', {
    'cache-hit-ratio': fmt(cache.hit_ratio, 1),
    'cache-hits': fmtCount(cache.hits),
    'cache-misses': fmtCount(cache.misses),
    'cache-size': fmtCount(cache.size),
    'cache-evictions': fmtCount(cache.evictions),
  });
  fill('agents', {
    'agents-active': fmtCount(agents.active),
    'agents-created': fmtCount(agents.created_total),
    'agents-failed': fmtCount(agents.failed_total),
    'llm-requests': fmtCount(llm.requests),
    'llm-tokens': fmtCount(llm.tokens_used),
    'llm-errors': fmtCount(llm.errors),
  });
  const twsOn = state.plugins.has('tws');
  fill('tws', {
    'tws-connected': tws.connected ? 'connected' : 'down',
    'tws-latency': fmtAuto(tws.latency_ms),
    'tws-jobs-error': fmtCount(jobs.error),
    'tws-jobs-running': fmtCount(jobs.running),
    'tws-jobs-waiting': fmtCount(jobs.waiting),
    'tws-jobs-done': fmtCount(jobs.done),
  });
  $('tws-connected').dataset.connected = !twsOn ? '' : tws.connected ? 'yes' : 'no';
  setText('tws-status', twsOn ? tws.status || '' : '');
  fill('system', {
    'host-cpu': fmt(host.cpu_percent, 1),
    'host-mem': fmt(host.memory_percent, 1),
    'host-load': fmt(host.load1, 2),
    'host-rss': fmtBytes(host.process_rss_bytes),
    'host-availability': isNum(system.availability) ? fmt(system.availability, 1) + ' %' : DASH,
    'host-async': fmtCount(system.async_operations),
  });
  markDown(cur);
}

export function renderSamples() {
  const h = state.health;
  setText('samples', h ? fmtCount(h.samples_collected) + ' / ' + fmtCount(h.max_samples) : DASH);
}

export function renderHealth() {
  const live = (state.current && state.current.collectors) || {};
  const detail = (state.health && state.health.collectors) || {};
  const names = Object.keys(live).length ? Object.keys(live) : Object.keys(detail);
  const rows = names.map((name) => {
    const c = Object.assign({}, detail[name] || {}, live[name] || {});
    const tr = el('tr');
    tr.dataset.collector = name;
    const nameCell = el('td', 'name', name);
    if (c.plugin && c.plugin !== name) nameCell.append(el('span', 'plugin', ' (' + c.plugin + ')'));
    tr.append(nameCell);
    tr.append(el('td', 'state ' + (c.up ? 'up' : 'down'), c.up ? 'up' : 'down'));
    tr.append(el('td', 'num', isNum(c.duration_ms) ? fmt(c.duration_ms, 1) + ' ms' : DASH));
    tr.append(el('td', 'status', c.status || DASH));
    tr.append(el('td', 'num', fmtCount(c.runs)));
    tr.append(el('td', 'num', fmtCount(c.failures)));
    const error = el('td', 'error', c.last_error || '');
    error.title = c.last_error || '';
    tr.append(error);
    return tr;
  });
  if (!rows.length) {
    const tr = el('tr');
    const td = el('td', 'empty', 'No collector has reported yet');
    td.colSpan = 7;
    tr.append(td);
    rows.push(tr);
  }
  $('health').tBodies[0].replaceChildren(...rows);
}

export function updateAge() {
  const cur = state.current;
  if (!cur || !isNum(cur.timestamp) || cur.timestamp <= 0) return setText('last-age', '');
  const age = Math.max(0, Math.round(Date.now() / 1000 - cur.timestamp));
  setText('last-age', '(' + age + ' s ago)');
}
