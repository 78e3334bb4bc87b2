// SPDX-License-Identifier: MIT
// The alert panel, filled from /api/monitoring/alerts: what is pending, firing or flapping now,
// then the history. Works with both shapes of the document: `{alerts, count, active}`, where an
// alert is active until it has a `resolved_at`, and the later one that adds a `state` to every
// alert and lists the active and pending ones apart in `current`.
import {DASH, fmtTime} from './format.js';
import {$, el, setText} from './state.js';

export const STATES = ['pending', 'firing', 'flapping', 'resolved'];

// What each state means, for the badge's tooltip; the badge itself carries the word.
const STATE_HELP = {
  pending: 'The condition holds; the alert fires if it still holds after the rule\'s "for" time.',
  firing: 'The condition holds.',
  flapping: 'Changing state too often; notifications pause until it settles.',
  resolved: 'The condition cleared.',
};

// Firing first, then flapping, then pending; within each, critical first.
const STATE_ORDER = {firing: 0, flapping: 1, pending: 2, resolved: 3};

export function alertState(a) {
  if (STATES.includes(a.state)) return a.state;
  return a.resolved_at || a.active === false ? 'resolved' : 'firing';
}

export function severityOf(a) {
  return a.severity === 'critical' ? 'critical' : 'warning';
}

// One alert episode: a rule on one instance from the moment it started.
export function episodeKey(a) {
  return [a.type, a.instance, a.started_at].join('|');
}

function epoch(iso) {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

// Splits a document into what is going on now and what is history, newest first.
export function splitAlerts(doc) {
  const all = (Array.isArray(doc && doc.alerts) ? doc.alerts : []).filter((a) => a && typeof a === 'object');
  const listed = Array.isArray(doc && doc.current) ? doc.current.filter((a) => a && typeof a === 'object') : all;
  const current = listed.filter((a) => alertState(a) !== 'resolved');
  const currentKeys = new Set(current.map(episodeKey));
  const history = all.filter((a) => alertState(a) === 'resolved' || !currentKeys.has(episodeKey(a)));
  current.sort((a, b) => STATE_ORDER[alertState(a)] - STATE_ORDER[alertState(b)] ||
                        (severityOf(a) === 'critical' ? 0 : 1) - (severityOf(b) === 'critical' ? 0 : 1) ||
                        epoch(b.started_at) - epoch(a.started_at));
  history.sort((a, b) => epoch(b.resolved_at || b.timestamp) - epoch(a.resolved_at || a.timestamp));
  return {current, history};
}

function badge(stateName) {
  const node = el('span', 'badge badge-' + stateName);
  node.title = STATE_HELP[stateName];
  const icon = el('span', 'icon');
  icon.setAttribute('aria-hidden', 'true');
  node.append(icon, el('span', 'word', stateName));
  return node;
}

function when(a, stateName, inHistory) {
  const parts = [a.type, a.instance].filter(Boolean);
  if (stateName === 'resolved') {
    parts.push(fmtTime(a.started_at) + ' \u2192 ' + fmtTime(a.resolved_at || a.timestamp));
  } else if (inHistory) {
    // A past transition: the later document shape logs every one, not only resolutions.
    parts.push(stateName + ' at ' + fmtTime(a.timestamp || a.started_at));
  } else {
    parts.push((stateName === 'firing' ? 'since ' : stateName + ' since ') + fmtTime(a.started_at));
  }
  if (typeof a.rule === 'string' && a.rule && a.rule !== a.type) parts.push('rule ' + a.rule);
  return parts.join(' \u00b7 ');
}

function item(a, inHistory) {
  const stateName = alertState(a);
  const severity = severityOf(a);
  const li = el('li', 'alert sev-' + severity + ' st-' + stateName + (inHistory ? ' past' : ''));
  li.dataset.state = stateName;
  li.dataset.severity = severity;
  li.dataset.key = episodeKey(a);
  li.append(badge(stateName));
  const body = el('div', 'body');
  const msg = el('div', 'msg');
  msg.append(el('span', 'sev', severity), document.createTextNode(' ' + (a.message || a.type || DASH)));
  body.append(msg, el('div', 'when', when(a, stateName, inHistory)));
  li.append(body);
  return li;
}

function count(list, stateName) {
  return list.filter((a) => alertState(a) === stateName).length;
}

export function renderAlerts(doc) {
  const {current, history} = splitAlerts(doc);
  const firing = count(current, 'firing'), flapping = count(current, 'flapping');
  const pending = count(current, 'pending');
  const summary = [];
  if (firing) summary.push(firing + ' firing');
  if (flapping) summary.push(flapping + ' flapping');
  if (pending) summary.push(pending + ' pending');
  if (history.length) summary.push(history.length + ' in history');
  setText('alerts-summary', summary.join(' \u00b7 '));
  const active = firing + flapping;
  setText('alerts-active', (active ? active + ' active' : 'none') + (pending ? ', ' + pending + ' pending' : ''));

  const now = current.map((a) => item(a, false));
  if (!now.length) now.push(el('li', 'empty', 'No active alerts'));
  $('alerts').replaceChildren(...now);
  $('alerts-history-title').hidden = !history.length;
  $('alerts-history').hidden = !history.length;
  $('alerts-history').replaceChildren(...history.map((a) => item(a, true)));
  return current;
}
