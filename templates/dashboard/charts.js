// SPDX-License-Identifier: MIT
// The uPlot charts, one per chart of the presentation model (/api/monitoring/layout): filled from
// /history, then extended by each new /current document. A line names its /current and /history
// paths; a counter is drawn as its rate, and the alert rules' thresholds as dashed lines.
import {at} from './cards.js';
import {DASH, clock, fmtAuto, isNum} from './format.js';
import {$, el, getJSON, state} from './state.js';

const MAX_CHART_MINUTES = 120;

// One time column shared by every chart; each chart owns its value columns.
const times = [];
const charts = [];

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function pick(fn, doc) {
  try {
    const v = fn(doc);
    if (typeof v === 'boolean') return v ? 1 : 0;
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

// The dashed lines of the rules' thresholds, drawn over the plot in the severity's colour.
function drawThresholds(def) {
  return (u) => {
    const ctx = u.ctx, {left, top, width, height} = u.bbox;
    for (const t of def.thresholds) {
      const y = Math.round(u.valToPos(t.value, 'y', true));
      if (y < top || y > top + height) continue;
      ctx.save();
      ctx.strokeStyle = cssVar(t.severity === 'critical' ? '--crit' : '--warn');
      ctx.lineWidth = Math.max(1, devicePixelRatio);
      ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + width, y);
      ctx.stroke();
      ctx.restore();
    }
  };
}

// Values start at zero so a flat line near its maximum does not look like a swing. Percentages keep
// 0..100, except a small one with alert thresholds (an error rate), which zooms in to its
// thresholds at least, so that 2 % and 5 % do not both sit on the floor; as in the report. Other
// scales follow the values, not the thresholds: a threshold far above them would flatten the
// lines, so its dashed line shows once the values come near it.
const SMALL_PERCENT = 40;
function yRange(def) {
  const thresholds = def.thresholds.length ? Math.max(...def.thresholds.map((t) => t.value)) : null;
  return {range: (u, min, max) => {
    const top = Math.max(isNum(max) ? max : 0, def.percent && thresholds !== null ? thresholds : 0);
    if (def.percent && (thresholds === null || top > SMALL_PERCENT)) return [0, 100];
    return [0, top > 0 ? top * 1.15 : 1];
  }};
}

function figureOf(def) {
  const figure = el('figure', 'chart');
  figure.id = def.id;
  figure.dataset.plugin = def.plugin;
  figure.dataset.thresholds = String(def.thresholds.length);
  const unit = def.symbol || (def.unit === 'count' ? '' : def.unit);
  const named = def.title.endsWith(unit) || def.title.endsWith('(' + unit + ')');
  const caption = el('figcaption', '', def.title + (unit && !named ? ' ' + unit : ''));
  figure.append(caption, el('div', 'plot'));
  $('charts').append(figure);
  return figure;
}

export function createCharts(layout) {
  $('charts').replaceChildren();
  charts.length = 0;
  const muted = cssVar('--muted'), grid = cssVar('--grid');
  const font = '11px ' + getComputedStyle(document.body).fontFamily;
  const axis = {stroke: muted, font, grid: {stroke: grid, width: 1}, ticks: {stroke: grid, width: 1, size: 4}};
  const padRight = rightPadding(font);
  for (const def of layout.charts) {
    const figure = figureOf(def);
    const plot = figure.querySelector('.plot');
    const columns = def.lines.map(() => []);
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
        y: yRange(def),
      },
      hooks: {draw: [drawThresholds(def)]},
      axes: [
        Object.assign({}, axis, {space: 70, size: 26, incrs: TIME_INCREMENTS, values: timeTicks}),
        Object.assign({}, axis, {size: 46, values: (u, ticks) => ticks.map(fmtAuto)}),
      ],
      series: [{label: 'time', value: legendValue((v) => clock(v, true))}].concat(
        def.lines.map((s) => {
          const color = cssVar('--series-' + s.color);
          return {
            label: s.label,
            stroke: color,
            width: 1.5,
            fill: def.lines.length === 1 ? color + '22' : undefined,
            points: {show: false},
            value: legendValue(fmtAuto),
          };
        })),
    };
    const chart = new uPlot(options, [times].concat(columns), plot);
    charts.push({def, chart, columns, plot, last: def.lines.map(() => null)});
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
  for (const c of charts) c.def.lines.forEach((line, i) => c.columns[i].push(valueOf(c, line, i)));
}

// A counter's rate from two cumulative values; a reset of its source (the value fell) is no rate.
function rateOf(c, i, t, v) {
  const last = c.last[i];
  c.last[i] = isNum(v) ? {t, v} : null;
  if (!last || !isNum(v) || v < last.v || t <= last.t) return null;
  return (v - last.v) / (t - last.t);
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

// A /history column as the chart draws it (every line has one: its section's column, or its stored
// values in `series`): a counter's increase per sample, or its cumulative values, become a rate.
function historyColumn(doc, c, line, i, epoch) {
  const col = at(doc, line.history);
  if (!Array.isArray(col)) return epoch.map(() => null);
  if (!line.rate) return col.map((v) => (isNum(v) ? v : null));
  if (line.increase) {
    const step = isNum(doc.interval_seconds) && doc.interval_seconds > 0 ? doc.interval_seconds : state.interval;
    return col.map((v) => (isNum(v) && v >= 0 ? v / step : null));
  }
  c.last[i] = null;
  return col.map((v, row) => rateOf(c, i, epoch[row], v));
}

export function loadHistory(doc) {
  const epoch = Array.isArray(doc.epoch) ? doc.epoch : [];
  times.length = 0;
  const columns = new Map();
  for (const c of charts) {
    c.columns.forEach((col) => (col.length = 0));
    c.def.lines.forEach((line, i) => columns.set(line, historyColumn(doc, c, line, i, epoch)));
  }
  epoch.forEach((t, row) => pushRow(t, (c, line) => {
    const v = columns.get(line)[row];
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
    for (const c of charts) c.last.fill(null);
    reloadHistory();
  }
  state.lastTs = t;
  pushRow(t, (c, line, i) => {
    const v = pick(() => at(cur, line.current), cur);
    return line.rate ? rateOf(c, i, t, v) : v;
  });
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
