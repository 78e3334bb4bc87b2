// SPDX-License-Identifier: MIT
// The cards and the collector table. The cards come from the presentation model
// (/api/monitoring/layout): each field names its place in /current, its unit and its alert
// thresholds, so a plugin's series get a card with no line written here for that plugin.
import {DASH, fmt, fmtAuto, fmtBytes, fmtCount, fmtTrend, isNum} from './format.js';
import {$, el, setText, state} from './state.js';

// The value at a dotted /current path ("section.field", "section.group.field"); undefined if absent.
export function at(doc, path) {
  if (!path) return undefined;
  let v = doc;
  for (const key of path.split('.')) {
    if (v == null || typeof v !== 'object') return undefined;
    v = v[key];
  }
  return v;
}

// "2h 5m" for long durations, as the report prints them.
function fmtDuration(s) {
  if (Math.abs(s) < 120) return {number: fmtAuto(s), unit: 's'};
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return {number: h >= 48 ? Math.floor(h / 24) + 'd ' + (h % 24) + 'h' : h + 'h ' + m + 'm', unit: ''};
}

// A value for humans, number and unit apart so a card can size them differently.
export function formatValue(v, unit) {
  if (typeof v === 'boolean') v = v ? 1 : 0;
  if (!isNum(v)) return {number: DASH, unit: ''};
  switch (unit) {
    case 'percent': return {number: fmt(v, v !== 0 && Math.abs(v) < 10 ? 2 : 1), unit: '%'};
    case 'ratio': return {number: fmt(v * 100, 1), unit: '%'};
    case 'milliseconds': return {number: fmtAuto(v), unit: 'ms'};
    case 'seconds': return fmtDuration(v);
    case 'bytes': return {number: fmtBytes(v), unit: ''};
    case 'per_second': return {number: fmtAuto(v), unit: '/s'};
    case 'boolean': return {number: v ? 'yes' : 'no', unit: ''};
    default: return {number: fmtCount(v), unit: ''};
  }
}

// 0 none, 1 warning, 2 critical: the alert rules' levels that `v` crosses.
export function thresholdLevel(thresholds, v) {
  if (typeof v === 'boolean') v = v ? 1 : 0;
  if (!isNum(v)) return 0;
  const crossed = {'>': (a, b) => a > b, '>=': (a, b) => a >= b, '<': (a, b) => a < b, '<=': (a, b) => a <= b,
    '==': (a, b) => a === b};
  let level = 0;
  for (const t of thresholds || []) {
    if (crossed[t.op] && crossed[t.op](v, t.value)) level = Math.max(level, t.severity === 'critical' ? 2 : 1);
  }
  return level;
}

const LEVELS = ['', 'level-warning', 'level-critical'];

function setLevel(node, level) {
  for (const c of LEVELS.slice(1)) node.classList.toggle(c, LEVELS[level] === c);
}

function headlineNode(field, pair) {
  const span = el('span', 'headline');
  if (pair && field.unit !== 'boolean') span.append(el('span', 'label', field.label));
  const value = el('span', 'value placeholder', DASH);
  value.dataset.metric = field.metric;
  span.append(value, el('span', 'unit'));
  return span;
}

function cardNode(card) {
  const node = el('article', 'card');
  node.id = card.id;
  node.dataset.plugin = card.plugin;
  node.hidden = !card.fields.some((f) => f.current);
  const h2 = el('h2', '', card.title + ' ');
  h2.append(el('span', 'tag'));
  const heads = card.fields.filter((f) => f.headline && f.current);
  const big = el('div', 'big' + (heads.length > 1 ? ' pair' : ''));
  heads.forEach((f) => big.append(headlineNode(f, heads.length > 1)));
  const kv = el('dl', 'kv');
  for (const f of card.fields) {
    if (f.headline || !f.current) continue;
    const dd = el('dd', 'placeholder', DASH);
    dd.dataset.metric = f.metric;
    kv.append(el('dt', '', f.label), dd);
  }
  if (card.trend) {
    const dd = el('dd', 'placeholder trend', DASH);
    kv.append(el('dt', '', '5 min'), dd);
  }
  node.append(h2, big, kv);
  if (card.status) node.append(el('div', 'note status-note'));
  return node;
}

// The cards of the model, after the Status card; and the line naming what is not configured.
export function buildCards(layout) {
  const section = $('cards');
  section.querySelectorAll('.card[data-plugin]').forEach((n) => n.remove());
  for (const card of layout.cards) section.append(cardNode(card));
  const missing = layout.not_configured || [];
  $('unconfigured').hidden = !missing.length;
  setText('unconfigured-list', missing.join(', '));
}

// The collectors of one plugin that are down, from /current's collectors{}. Before the first run a
// collector is not up yet either: only a failure or a finished sample makes it "down".
function downCollectors(cur, plugin) {
  const sampled = isNum(cur.timestamp) && cur.timestamp > 0;
  return Object.entries(cur.collectors || {})
      .filter(([, c]) => c && c.plugin === plugin && c.up === false && (sampled || c.last_error))
      .map(([name, c]) => ({name, error: c.last_error || c.status || ''}));
}

// A card whose collector is down says so.
function markDown(node, cur) {
  const down = downCollectors(cur, node.dataset.plugin);
  node.classList.toggle('collector-down', down.length > 0);
  node.querySelector('.tag').textContent = down.length ? 'collector down' : '';
  let note = node.querySelector('.collector-note');
  if (!note && down.length) {
    note = el('div', 'note collector-note');
    node.append(note);
  }
  if (!note) return;
  // Collector errors usually start with the instance's name already.
  const text = down.map((d) => (!d.error ? d.name + ' is down' : d.error.startsWith(d.name) ? d.error
                                                                : d.name + ': ' + d.error)).join('; ');
  if (note.textContent !== text) note.textContent = text;
  note.title = text;
  note.hidden = !text;
}

// A card's only big value says what it counts: "7 active", "62 req/s" (a label ending in the unit
// replaces it); beside another one its label is already written before it.
function headlineUnit(node, field, unit) {
  if (node.closest('.big').classList.contains('pair') || field.unit === 'boolean') return unit;
  const label = field.label || '';
  return field.unit === 'count' || (unit && label.endsWith(unit)) ? label : unit;
}

function fillValue(node, field, v) {
  const f = formatValue(v, field.unit);
  const headline = node.parentElement.classList.contains('headline');
  let text = f.number;
  // A yes/no headline reads better as its label: "connected" or "not connected".
  if (headline && field.unit === 'boolean' && f.number !== DASH) text = f.number === 'yes' ? field.label : 'not ' + field.label;
  if (!headline && f.unit) text += ' ' + f.unit;
  if (node.textContent !== text) node.textContent = text;
  node.classList.toggle('placeholder', f.number === DASH);
  if (headline) node.nextElementSibling.textContent = f.number === DASH ? '' : headlineUnit(node, field, f.unit);
  setLevel(node, thresholdLevel(field.thresholds, v));
}

// The Status card: "warning" while a warning alert fires and nothing worse is wrong, which the
// original API's "ok" | "degraded" cannot say.
function renderStatus(cur) {
  const active = (Array.isArray(cur.alerts) ? cur.alerts : []).filter((a) => !a.resolved_at &&
      (a.state === undefined || a.state === 'firing' || a.state === 'flapping'));
  const word = cur.status === 'ok' && active.length ? 'warning' : cur.status || '';
  const status = $('status');
  status.dataset.status = word;
  setText('status', word || DASH);
  // The tab title carries the status, so a degraded service shows in a background tab too.
  const title = (word ? word + ' \u00b7 ' : '') + 'resync-mon ' + location.host;
  if (document.title !== title) document.title = title;
  setText('uptime', cur.uptime || DASH);
  setText('version', cur.version || DASH);
  setText('last-update', isNum(cur.timestamp) && cur.timestamp > 0 ? cur.last_update : DASH);
}

export function renderCards(cur) {
  renderStatus(cur);
  if (!state.layout) return;
  for (const card of state.layout.cards) {
    const node = $(card.id);
    if (!node) continue;
    for (const field of card.fields) {
      const target = field.current && node.querySelector(`[data-metric="${field.metric}"]`);
      if (target) fillValue(target, field, at(cur, field.current));
    }
    const trend = node.querySelector('.trend');
    if (trend) {
      trend.textContent = fmtTrend(at(cur, card.trend));
      trend.classList.toggle('placeholder', trend.textContent === DASH);
    }
    const note = node.querySelector('.status-note');
    if (note) note.textContent = at(cur, card.status) || '';
    markDown(node, cur);
  }
}

export function renderSamples() {
  const h = state.health;
  setText('samples', h ? fmtCount(h.samples_collected) + ' / ' + fmtCount(h.max_samples) : DASH);
}

function healthRow(name, c) {
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
  // A collector that recovered keeps its last error for the record, but not in red.
  const recovered = c.up && c.last_error;
  const error = el('td', recovered ? 'error recovered' : 'error',
                   recovered ? 'recovered; was: ' + c.last_error : c.last_error || '');
  error.title = c.last_error || '';
  tr.append(error);
  return tr;
}

export function renderHealth() {
  const live = (state.current && state.current.collectors) || {};
  const detail = (state.health && state.health.collectors) || {};
  const names = Object.keys(live).length ? Object.keys(live) : Object.keys(detail);
  const rows = names.map((name) => healthRow(name, Object.assign({}, detail[name] || {}, live[name] || {})));
  if (!rows.length) {
    const tr = el('tr');
    const td = el('td', 'empty', 'No collector has reported yet');
    td.colSpan = 7;
    tr.append(td);
    rows.push(tr);
  }
  $('health').tBodies[0].replaceChildren(...rows);
}

// What serve's discovery found (/health's discovery{}): what it enabled, and what needs a
// password with the configuration entry to add. Plain data from the server: nothing here knows a
// plugin.
export function renderDiscovery() {
  const d = state.health && state.health.discovery;
  const enabled = (d && d.enabled) || [];
  const pending = (d && d.needs_credentials) || [];
  $('discovery').hidden = !enabled.length && !pending.length;
  $('discovery-enabled').hidden = !enabled.length;
  setText('discovery-enabled-list', enabled.join(', '));
  $('discovery-pending').hidden = !pending.length;
  $('discovery-pending-list').replaceChildren(...pending.map((p) => {
    const li = el('li');
    li.append(el('span', 'what', p.what || ''));
    if (p.how) li.append(el('span', 'how', ' \u2014 ' + p.how));
    const pre = el('pre');
    // One entry of the collectors: list, as it is pasted there.
    const entry = p.config || '';
    pre.append(el('code', '', entry.startsWith('-') ? entry : '- ' + entry));
    li.append(pre);
    return li;
  }));
}

export function updateAge() {
  const cur = state.current;
  if (!cur || !isNum(cur.timestamp) || cur.timestamp <= 0) return setText('last-age', '');
  const age = Math.max(0, Math.round(Date.now() / 1000 - cur.timestamp));
  setText('last-age', '(' + age + ' s ago)');
}
