// SPDX-License-Identifier: MIT
// The uPlot charts: filled from /history, then extended by each new /current document.
import {DASH, clock, fmtAuto, isNum} from './format.js';
import {$, getJSON, state} from './state.js';

const MAX_CHART_MINUTES = 120;

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

// Whole seconds at least: in the first seconds after a start uPlot would otherwise tick every
// 200 ms, and the labels repeat ("12:00:01 12:00:01 12:00:02").
const TIME_INCREMENTS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

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

// uPlot centres each time label on its tick, and by default leaves the right edge only half of a
// 50 px axis: a tick near the end had its "HH:MM:SS" cut off. Leave half the widest label instead.
function rightPadding(font) {
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = font;
  return Math.ceil(ctx.measureText('00:00:00').width / 2) + 4;
}

export function createCharts() {
  const muted = cssVar('--muted'), grid = cssVar('--grid');
  const font = '11px ' + getComputedStyle(document.body).fontFamily;
  const axis = {stroke: muted, font, grid: {stroke: grid, width: 1}, ticks: {stroke: grid, width: 1, size: 4}};
  const padRight = rightPadding(font);
  for (const def of CHARTS) {
    const figure = $(def.id);
    const plot = figure.querySelector('.plot');
    const columns = def.series.map(() => []);
    // The figure may be hidden (its collector not known yet): take the height from the stylesheet,
    // and the width from the grid once it is shown (the ResizeObserver below).
    const height = parseFloat(getComputedStyle(plot).height) || 148;
    const options = {
      width: Math.max(plot.clientWidth, 200),
      height: Math.max(height - 22, 80),
      padding: [null, padRight, null, null],
      cursor: {drag: {x: false, y: false}},
      legend: {show: true, live: true},
      scales: {
        x: {time: true},
        // Percentages keep their 0..100 scale; other series start at zero so a flat line
        // near its maximum does not look like a swing.
        y: def.percent ? {range: [0, 100]} : {range: (u, min, max) => [0, isNum(max) && max > 0 ? max * 1.15 : 1]},
      },
      axes: [
        Object.assign({}, axis, {space: 70, size: 26, incrs: TIME_INCREMENTS, values: timeTicks}),
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
        if (!c.plot.clientWidth) continue;  // hidden: keep the size it had
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

export function loadHistory(doc) {
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

export function appendSample(cur) {
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

// /history accepts 1..window minutes: ask for the charts' two hours, or the whole window.
export function historyPath() {
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
