// SPDX-License-Identifier: MIT
// What the parts of the dashboard share: the page's state and URL options, small DOM helpers and
// the JSON fetch. Every URL is relative to the page, so a reverse proxy prefix and auth in front of
// the server keep working.
import {DASH} from './format.js';

export const params = new URLSearchParams(location.search);
export const state = {
  interval: 5,            // seconds between samples, from /health
  windowSeconds: 7200,    // history kept by the server, from /health
  layout: null,           // the presentation model, from /api/monitoring/layout
  current: null,
  health: null,
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
  configLoadedAt: '',     // /health's config.loaded_at and reloads: a change means a reload
};

export const $ = (id) => document.getElementById(id);

function apiUrl(path) {
  return new URL(path, document.baseURI).toString();
}

export async function getJSON(path) {
  const response = await fetch(apiUrl(path), {cache: 'no-store', credentials: 'same-origin'});
  if (!response.ok) throw new Error(path + ': HTTP ' + response.status);
  return response.json();
}

// The placeholder class lets the stylesheet draw a missing value light and small: a dash in the
// bold big-number style reads as a heavy bar.
export function setText(id, text) {
  const node = $(id);
  if (!node) return;
  if (node.textContent !== text) node.textContent = text;
  node.classList.toggle('placeholder', text === DASH);
}

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function showNotice(text) {
  const box = $('notice');
  box.textContent = text || '';
  box.hidden = !text;
}
