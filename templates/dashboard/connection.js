// SPDX-License-Identifier: MIT
// The transport: WebSocket first, polling /current while it is down, reconnecting with backoff.
import {fmtAuto} from './format.js';
import {$, getJSON, params, setText, state} from './state.js';

const RECONNECT_MAX_MS = 30000;

// Where each new /current document goes, set once by startTransport().
let onCurrent = () => {};

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

export function refreshConnection() {
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

export function startPolling() {
  if (state.pollTimer) return;
  pollOnce();
  state.pollTimer = setInterval(pollOnce, Math.max(1, state.interval) * 1000);
}

export function stopPolling() {
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

// Starts following the server: the WebSocket, or polling only when the page's URL asks for it
// (?transport=poll). `handler` receives every /current document, from either path.
export function startTransport(handler) {
  onCurrent = handler;
  if (params.get('transport') === 'poll') {
    startPolling();
  } else {
    connect();
  }
}
