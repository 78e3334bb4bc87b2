// SPDX-License-Identifier: MIT
// The live dashboard. It loads the window once from /history, then follows each new sample: pushed
// over the WebSocket, or polled from /current while the socket is down. This entry module wires the
// parts together; it runs after uplot.min.js, as module scripts run after deferred ones.
import {renderAlerts} from './alerts.js';
import {buildCards, renderCards, renderDiscovery, renderHealth, renderSamples, updateAge} from './cards.js';
import {appendSample, createCharts, historyPath, loadHistory} from './charts.js';
import {refreshConnection, startPolling, startTransport, stopPolling} from './connection.js';
import {DASH, isNum} from './format.js';
import {notifyNewAlerts, setupNotifications} from './notify.js';
import {getJSON, setText, showNotice, state} from './state.js';

const HEALTH_REFRESH_MS = 5000;
const ALERTS_REFRESH_MS = 60000;

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
  // A reload (SIGHUP) may have added or removed collectors: the cards and charts follow. The
  // counter tells a reload within the second the server started (loaded_at is in seconds).
  const loaded = doc.config && doc.config.loaded_at ? doc.config.loaded_at + '#' + doc.config.reloads : '';
  if (loaded && state.configLoadedAt && loaded !== state.configLoadedAt) relayout();
  if (loaded) state.configLoadedAt = loaded;
  renderSamples();
  renderHealth();
  renderDiscovery();
}

function refreshHealth() {
  state.healthFetchedAt = Date.now();
  getJSON('api/monitoring/health').then(applyHealth, (e) => console.warn('resync-mon:', e.message));
}

function refreshAlerts() {
  state.alertsFetchedAt = Date.now();
  getJSON('api/monitoring/alerts').then((doc) => notifyNewAlerts(renderAlerts(doc)),
                                        (e) => console.warn('resync-mon:', e.message));
}

// One new /current document, from the socket or from polling.
function onCurrent(cur) {
  if (!cur || typeof cur !== 'object') return;
  state.current = cur;
  renderCards(cur);
  renderHealth();
  if (state.historyLoaded) {
    appendSample(cur);
  } else if (state.pending.push(cur) > 1000) {
    state.pending.shift();
  }
  // /current carries the newest five alerts: when they change, fetch the full list.
  const alerts = Array.isArray(cur.alerts) ? cur.alerts : [];
  const key = alerts.map((a) => [a.type, a.instance, a.timestamp, a.resolved_at, a.state].join('|')).join(';');
  if (key !== state.alertsKey || Date.now() - state.alertsFetchedAt > ALERTS_REFRESH_MS) {
    state.alertsKey = key;
    refreshAlerts();
  }
  if (Date.now() - state.healthFetchedAt > HEALTH_REFRESH_MS) refreshHealth();
  updateAge();
}

// The cards and charts, once: the model changes only with the configuration.
async function loadLayout() {
  if (state.layout) return;
  const layout = await getJSON('api/monitoring/layout');
  state.layout = layout;
  buildCards(layout);
  createCharts(layout);
}

// After a reload of the server's configuration: the new model, and the history drawn in it.
async function relayout() {
  try {
    const layout = await getJSON('api/monitoring/layout');
    if (JSON.stringify(layout) === JSON.stringify(state.layout)) return;
    state.layout = layout;
    buildCards(layout);
    createCharts(layout);
    loadHistory(await getJSON(historyPath()));
    if (state.current) {
      renderCards(state.current);
      appendSample(state.current);
    }
  } catch (e) {
    console.warn('resync-mon:', e.message);
  }
}

async function loadAll() {
  try {
    await loadLayout();
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
  // The page's initial dashes get the placeholder style too (setText gives it to later ones).
  document.querySelectorAll('main .value, main .status-word, main dd').forEach((node) => {
    node.classList.toggle('placeholder', node.textContent === DASH);
  });
  setupNotifications();
  renderHealth();
  startTransport(onCurrent);
  loadAll();
  setInterval(() => {
    updateAge();
    refreshConnection();
  }, 1000);
}

if (typeof uPlot !== 'function') {
  showNotice('The chart library did not load (monitoring/assets/uplot.min.js).');
} else {
  start();
}
