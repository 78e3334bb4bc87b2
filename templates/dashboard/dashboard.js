// SPDX-License-Identifier: MIT
// The live dashboard. It loads the window once from /history, then follows each new sample: pushed
// over the WebSocket, or polled from /current while the socket is down. Every URL is relative to
// the page, so a reverse proxy prefix and auth in front of the server keep working.
(function () {
  'use strict';

  const DASH = '\u2013';
  const MAX_CHART_MINUTES = 120;
  const RECONNECT_MAX_MS = 30000;
  const HEALTH_REFRESH_MS = 5000;
  const ALERTS_REFRESH_MS = 60000;

  const params = new URLSearchParams(location.search);
  const state = {
    interval: 5,            // seconds between samples, from /health
    windowSeconds: 7200,    // history kept by the server, from /health
    plugins: new Set(),     // plugins of the configured collectors, from /current
    current: null,
    health: null,
    alerts: null,
    historyLoaded: false,
    pending: [],            // documents pushed before the history arrived
    lastTs: 0,
    ws: null,
    wsFailures: 0,
    reloading: false,
    reconnectTimer: null,
    reconnectAt: 0,
    staleTimer: null,
    pollTimer: null,
    pollOk: null,
    alertsKey: null,
    alertsFetchedAt: 0,
    healthFetchedAt: 0,
  };

  const $ = (id) => document.getElementById(id);

  function apiUrl(path) {
    return new URL(path, document.baseURI).toString();
  }

  async function getJSON(path) {
    const response = await fetch(apiUrl(path), {cache: 'no-store', credentials: 'same-origin'});
    if (!response.ok) throw new Error(path + ': HTTP ' + response.status);
    return response.json();
  }

  // --- formatting: a missing value (JSON null) is a dash, never a zero ---

  function isNum(v) {
    return typeof v === 'number' && Number.isFinite(v);
  }

  function fmt(v, digits) {
    if (!isNum(v)) return DASH;
    return v.toLocaleString('en-US', {minimumFractionDigits: digits, maximumFractionDigits: digits});
  }

  // Two or three significant digits, whatever the magnitude: 0.42, 4.2, 42, 420.
  function fmtAuto(v) {
    if (!isNum(v)) return DASH;
    const a = Math.abs(v);
    return fmt(v, a >= 100 || Number.isInteger(v) ? 0 : a >= 10 ? 1 : 2);
  }

  function fmtCount(v) {
    if (!isNum(v)) return DASH;
    const a = Math.abs(v);
    if (a >= 1e9) return fmt(v / 1e9, 2) + ' G';
    if (a >= 1e6) return fmt(v / 1e6, 2) + ' M';
    return fmt(v, Number.isInteger(v) ? 0 : 1);
  }

  function fmtBytes(v) {
    if (!isNum(v)) return DASH;
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (Math.abs(v) >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return fmt(v, i === 0 ? 0 : 1) + ' ' + units[i];
  }

  function fmtTrend(v) {
    if (!isNum(v)) return DASH;
    if (v === 0) return '0 %';
    return (v > 0 ? '+' : '\u2212') + fmt(Math.abs(v), 1) + ' %';
  }

  function fmtTime(iso) {
    if (!iso) return DASH;
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return DASH;
    const sameDay = d.toDateString() === new Date().toDateString();
    return sameDay ? d.toLocaleTimeString('en-GB') : d.toLocaleString('en-GB');
  }

  function setText(id, text) {
    const el = $(id);
    if (el && el.textContent !== text) el.textContent = text;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function showNotice(text) {
    const box = $('notice');
    box.textContent = text || '';
    box.hidden = !text;
  }

  // --- cards ---

  // A series no collector provides comes as 0 in /current (the original API's shape); show it
  // as "not configured" rather than as a measured zero.
  function markConfigured() {
    document.querySelectorAll('[data-plugin]').forEach((node) => {
      const on = state.plugins.has(node.dataset.plugin);
      node.classList.toggle('off', !on);
      const tag = node.querySelector('.tag');
      if (tag) tag.textContent = on ? '' : 'not configured';
      if (node.classList.contains('chart')) {
        node.dataset.off = on ? '' : 'no ' + node.dataset.plugin + ' collector configured';
      }
    });
  }

  function fill(plugin, values) {
    const on = state.plugins.has(plugin);
    for (const [id, text] of Object.entries(values)) setText(id, on ? text : DASH);
  }

  function renderCards(cur) {
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
  }

  function renderSamples() {
    const h = state.health;
    setText('samples', h ? fmtCount(h.samples_collected) + ' / ' + fmtCount(h.max_samples) : DASH);
  }

  // --- charts ---

  const CHARTS = [
    {id: 'chart-rps', plugin: 'api', series: [
      {label: 'req/s', color: 1, now: (c) => c.api.requests_per_sec, past: (h) => h.api.requests_per_sec}]},
    {id: 'chart-errors', plugin: 'api', series: [
      {label: 'errors %', color: 6, now: (c) => c.api.error_rate, past: (h) => h.api.error_rate}]},
    {id: 'chart-latency', plugin: 'api', series: [
      {label: 'p50', color: 1, now: (c) => c.api.response_time_p50, past: (h) => h.api.response_time_p50},
      {label: 'p95', color: 2, now: (c) => c.api.response_time_p95, past: (h) => h.api.response_time_p95}]},
    {id: 'chart-cache', plugin: 'cache', percent: true, series: [
      {label: 'hit %', color: 4, now: (c) => c.cache.hit_ratio, past: (h) => h.cache.hit_ratio}]},
    {id: 'chart-tws', plugin: 'tws', series: [
      {label: 'latency ms', color: 3, now: (c) => c.tws.latency_ms, past: (h) => h.tws.latency}]},
    {id: 'chart-host', plugin: 'system', percent: true, series: [
      {label: 'CPU %', color: 1, now: (c) => c.host.cpu_percent, past: (h) => h.host && h.host.cpu_percent},
      {label: 'memory %', color: 3, now: (c) => c.host.memory_percent, past: (h) => h.host && h.host.memory_percent}]},
  ];

  // One time column shared by every chart; each chart owns its value columns.
  const times = [];
  const charts = [];

  function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function pick(fn, doc) {
    try {
      const v = fn(doc);
      return isNum(v) ? v : null;
    } catch (e) {
      return null;
    }
  }

  function clock(epoch, seconds) {
    const d = new Date(epoch * 1000);
    const pad = (n) => String(n).padStart(2, '0');
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + (seconds ? ':' + pad(d.getSeconds()) : '');
  }

  // One line of 24-hour clock labels; seconds only when the visible span is short.
  function timeTicks(u, ticks) {
    const span = u.scales.x.max - u.scales.x.min;
    return ticks.map((t) => clock(t, span < 600));
  }

  // The legend shows the hovered sample, and the newest one when the cursor is elsewhere (uPlot
  // passes a null index then), so a glance at a chart gives its current value.
  function legendValue(format) {
    return (u, v, seriesIndex, index) => {
      if (index == null) {
        const column = u.data[seriesIndex] || [];
        v = null;
        for (let i = column.length - 1; i >= 0 && v == null; i--) v = column[i];
      }
      return v == null ? DASH : format(v);
    };
  }

  function createCharts() {
    const muted = cssVar('--muted'), grid = cssVar('--grid');
    const axis = {stroke: muted, grid: {stroke: grid, width: 1}, ticks: {stroke: grid, width: 1, size: 4}};
    for (const def of CHARTS) {
      const figure = $(def.id);
      const plot = figure.querySelector('.plot');
      const columns = def.series.map(() => []);
      const options = {
        width: Math.max(plot.clientWidth, 200),
        height: Math.max(plot.clientHeight - 22, 80),
        cursor: {drag: {x: false, y: false}},
        legend: {show: true, live: true},
        scales: {
          x: {time: true},
          // Percentages keep their 0..100 scale; other series start at zero so a flat line
          // near its maximum does not look like a swing.
          y: def.percent ? {range: [0, 100]} : {range: (u, min, max) => [0, isNum(max) && max > 0 ? max * 1.15 : 1]},
        },
        axes: [
          Object.assign({}, axis, {space: 70, size: 26, values: timeTicks}),
          Object.assign({}, axis, {size: 46, values: (u, ticks) => ticks.map(fmtAuto)}),
        ],
        series: [{label: 'time', value: legendValue((v) => clock(v, true))}].concat(
          def.series.map((s) => {
            const color = cssVar('--series-' + s.color);
            return {
              label: s.label,
              stroke: color,
              width: 1.5,
              fill: def.series.length === 1 ? color + '22' : undefined,
              points: {show: false},
              value: legendValue(fmtAuto),
            };
          })),
      };
      const chart = new uPlot(options, [times].concat(columns), plot);
      charts.push({def, chart, columns, plot});
    }
    // The grid decides the chart widths; follow it when the window changes size.
    if (typeof ResizeObserver === 'function') {
      const observer = new ResizeObserver(() => {
        for (const c of charts) {
          const width = Math.max(c.plot.clientWidth, 200);
          if (width !== c.chart.width) c.chart.setSize({width, height: c.chart.height});
        }
      });
      charts.forEach((c) => observer.observe(c.plot));
    }
  }

  function redrawCharts() {
    for (const c of charts) c.chart.setData([times].concat(c.columns));
  }

  function pushRow(t, valueOf) {
    times.push(t);
    for (const c of charts) {
      const on = state.plugins.has(c.def.plugin);
      c.def.series.forEach((s, i) => c.columns[i].push(on ? valueOf(s) : null));
    }
  }

  function trimWindow() {
    if (!times.length) return;
    const cutoff = times[times.length - 1] - state.windowSeconds;
    let drop = 0;
    while (drop < times.length && times[drop] <= cutoff) drop++;
    if (!drop) return;
    times.splice(0, drop);
    for (const c of charts) c.columns.forEach((col) => col.splice(0, drop));
  }

  function loadHistory(doc) {
    const epoch = Array.isArray(doc.epoch) ? doc.epoch : [];
    times.length = 0;
    for (const c of charts) c.columns.forEach((col) => (col.length = 0));
    const columns = new Map();
    for (const c of charts) {
      for (const s of c.def.series) {
        const col = (() => {
          try {
            return s.past(doc);
          } catch (e) {
            return null;
          }
        })();
        columns.set(s, Array.isArray(col) ? col : []);
      }
    }
    epoch.forEach((t, row) => pushRow(t, (s) => {
      const v = columns.get(s)[row];
      return isNum(v) ? v : null;
    }));
    state.lastTs = epoch.length ? epoch[epoch.length - 1] : 0;
    trimWindow();
    redrawCharts();
  }

  function appendSample(cur) {
    const t = cur.timestamp;
    if (!isNum(t) || t <= 0 || t <= state.lastTs) return false;
    // After a gap (socket and polling both down for a while) the server still has the samples we
    // missed: fetch them. Until they arrive a null breaks the line instead of drawing a straight
    // segment across time nobody saw.
    if (state.lastTs && t - state.lastTs > 2.5 * state.interval) {
      pushRow(state.lastTs + state.interval, () => null);
      reloadHistory();
    }
    state.lastTs = t;
    pushRow(t, (s) => pick(s.now, cur));
    trimWindow();
    redrawCharts();
    return true;
  }

  // --- alerts and collector health ---

  function renderAlerts(doc) {
    state.alerts = doc;
    const list = $('alerts');
    const alerts = Array.isArray(doc.alerts) ? doc.alerts : [];
    const active = alerts.filter((a) => !a.resolved_at).length;
    setText('alerts-summary', alerts.length ? active + ' active \u00b7 ' + alerts.length + ' recent' : '');
    setText('alerts-active', active ? active + ' active' : 'none');
    const items = alerts.map((a) => {
      const severity = a.severity === 'critical' ? 'critical' : 'warning';
      const li = el('li', 'sev-' + severity + (a.resolved_at ? ' resolved' : ' active'));
      li.append(el('span', 'sev', severity));
      const body = el('div', 'body');
      body.append(el('div', 'msg', a.message || a.type || DASH));
      const when = el('div', 'when');
      const where = [a.type, a.instance].filter(Boolean).join(' \u00b7 ');
      const since = 'since ' + fmtTime(a.started_at) + ' \u00b7 ';
      when.append(document.createTextNode((where ? where + ' \u00b7 ' : '') + since));
      when.append(a.resolved_at ? el('span', 'state-resolved', 'resolved ' + fmtTime(a.resolved_at))
                                : el('span', 'state-active', 'active'));
      body.append(when);
      li.append(body);
      return li;
    });
    if (!items.length) items.push(el('li', 'empty', 'No alerts'));
    list.replaceChildren(...items);
  }

  function renderHealth() {
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

  function applyHealth(doc) {
    state.health = doc;
    state.healthFetchedAt = Date.now();
    if (isNum(doc.sample_interval) && doc.sample_interval > 0) {
      const changed = doc.sample_interval !== state.interval;
      state.interval = doc.sample_interval;
      if (changed && state.pollTimer) {
        stopPolling();
        startPolling();
      }
    }
    if (isNum(doc.history_window) && doc.history_window > 0) state.windowSeconds = doc.history_window;
    renderSamples();
    renderHealth();
  }

  function refreshHealth() {
    state.healthFetchedAt = Date.now();
    getJSON('api/monitoring/health').then(applyHealth, (e) => console.warn('resync-mon:', e.message));
  }

  function refreshAlerts() {
    state.alertsFetchedAt = Date.now();
    getJSON('api/monitoring/alerts').then(renderAlerts, (e) => console.warn('resync-mon:', e.message));
  }

  // --- one new /current document, from the socket or from polling ---

  function onCurrent(cur) {
    if (!cur || typeof cur !== 'object') return;
    const plugins = new Set(Object.values(cur.collectors || {}).map((c) => c.plugin).filter(Boolean));
    if ([...plugins].join() !== [...state.plugins].join()) {
      state.plugins = plugins;
      markConfigured();
    }
    state.current = cur;
    renderCards(cur);
    renderHealth();
    if (state.historyLoaded) {
      appendSample(cur);
    } else if (state.pending.push(cur) > 1000) {
      state.pending.shift();
    }
    // /current carries the newest five alerts: when they change, fetch the full list.
    const key = (cur.alerts || []).map((a) => [a.type, a.instance, a.timestamp, a.resolved_at].join('|')).join(';');
    if (key !== state.alertsKey || Date.now() - state.alertsFetchedAt > ALERTS_REFRESH_MS) {
      state.alertsKey = key;
      refreshAlerts();
    }
    if (Date.now() - state.healthFetchedAt > HEALTH_REFRESH_MS) refreshHealth();
    updateAge();
  }

  function updateAge() {
    const cur = state.current;
    if (!cur || !isNum(cur.timestamp) || cur.timestamp <= 0) return setText('last-age', '');
    const age = Math.max(0, Math.round(Date.now() / 1000 - cur.timestamp));
    setText('last-age', '(' + age + ' s ago)');
  }

  // --- transport: WebSocket first, polling while it is down ---

  function setConnection(mode) {
    const box = $('conn');
    let text;
    const retry = state.reconnectAt ? Math.max(0, Math.ceil((state.reconnectAt - Date.now()) / 1000)) : 0;
    if (mode === 'live') {
      text = 'live \u00b7 WebSocket';
    } else if (mode === 'polling') {
      text = 'polling every ' + fmtAuto(state.interval) + ' s';
      if (params.get('transport') !== 'poll') text += ' \u00b7 WebSocket retry in ' + retry + ' s';
    } else if (mode === 'offline') {
      text = 'offline \u00b7 retry in ' + retry + ' s';
    } else {
      text = 'connecting\u2026';
    }
    box.dataset.state = mode;
    setText('conn-text', text);
  }

  function refreshConnection() {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) setConnection('live');
    else if (state.pollOk === true) setConnection('polling');
    else if (state.pollOk === false) setConnection('offline');
    else setConnection('connecting');
  }

  async function pollOnce() {
    try {
      const cur = await getJSON('api/monitoring/current');
      state.pollOk = true;
      onCurrent(cur);
    } catch (e) {
      state.pollOk = false;
    }
    refreshConnection();
  }

  function startPolling() {
    if (state.pollTimer) return;
    pollOnce();
    state.pollTimer = setInterval(pollOnce, Math.max(1, state.interval) * 1000);
  }

  function stopPolling() {
    clearInterval(state.pollTimer);
    state.pollTimer = null;
  }

  // An open socket that stops delivering (a proxy that buffers, a half-open TCP connection) is
  // as good as closed: drop it so polling takes over and a fresh connection is tried.
  function armStaleCheck() {
    clearTimeout(state.staleTimer);
    state.staleTimer = setTimeout(() => {
      if (state.ws) state.ws.close();
    }, Math.max(3 * state.interval, 15) * 1000);
  }

  function scheduleReconnect() {
    clearTimeout(state.reconnectTimer);
    // Exponential backoff with jitter, so a restarted server is not hit by every tab at once.
    const base = Math.min(RECONNECT_MAX_MS, 1000 * Math.pow(2, state.wsFailures));
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    state.wsFailures = Math.min(state.wsFailures + 1, 10);
    state.reconnectAt = Date.now() + delay;
    state.reconnectTimer = setTimeout(connect, delay);
  }

  function connect() {
    state.reconnectAt = 0;
    const url = new URL('api/monitoring/ws', document.baseURI);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    url.search = '';
    let ws;
    try {
      ws = new WebSocket(url.toString());
    } catch (e) {
      startPolling();
      scheduleReconnect();
      return;
    }
    state.ws = ws;
    ws.onopen = () => {
      stopPolling();
      armStaleCheck();
      refreshConnection();
    };
    ws.onmessage = (event) => {
      // Only a delivered sample proves the connection works; an open that closes at once
      // (a proxy refusing upgrades) must keep backing off.
      state.wsFailures = 0;
      armStaleCheck();
      let doc;
      try {
        doc = JSON.parse(event.data);
      } catch (e) {
        console.warn('resync-mon: ignoring a WebSocket message that is not JSON');
        return;
      }
      onCurrent(doc);
    };
    ws.onclose = () => {
      if (state.ws !== ws) return;
      state.ws = null;
      clearTimeout(state.staleTimer);
      startPolling();
      scheduleReconnect();
      refreshConnection();
    };
  }

  // --- start ---

  // /history accepts 1..window minutes: ask for the charts' two hours, or the whole window.
  function historyPath() {
    const minutes = Math.max(1, Math.min(MAX_CHART_MINUTES, Math.floor(state.windowSeconds / 60)));
    return 'api/monitoring/history?minutes=' + minutes;
  }

  function reloadHistory() {
    if (state.reloading || !state.historyLoaded) return;
    state.reloading = true;
    getJSON(historyPath()).then((doc) => {
      loadHistory(doc);
      if (state.current) appendSample(state.current);
    }, (e) => console.warn('resync-mon:', e.message)).finally(() => {
      state.reloading = false;
    });
  }

  async function loadAll() {
    try {
      const [health, cur] = await Promise.all([getJSON('api/monitoring/health'), getJSON('api/monitoring/current')]);
      applyHealth(health);
      onCurrent(cur);
      const history = await getJSON(historyPath());
      loadHistory(history);
      state.historyLoaded = true;
      for (const doc of state.pending.splice(0)) appendSample(doc);
      appendSample(cur);
      showNotice('');
    } catch (e) {
      showNotice('Could not load the dashboard data (' + e.message + '); retrying.');
      setTimeout(loadAll, 5000);
    }
  }

  function start() {
    setText('host-name', location.host);
    createCharts();
    markConfigured();
    renderHealth();
    if (params.get('transport') === 'poll') {
      startPolling();
    } else {
      connect();
    }
    loadAll();
    setInterval(() => {
      updateAge();
      refreshConnection();
    }, 1000);
  }

  if (typeof uPlot !== 'function') {
    showNotice('The chart library did not load (monitoring/assets/uplot.min.js).');
    return;
  }
  start();
})();
