// SPDX-License-Identifier: MIT
// Browser notifications of new critical alerts, opt-in: permission is asked only when the user
// clicks the button, and the choice is remembered in localStorage. One notification per alert
// episode (type + instance + started_at); alerts already there when the page loaded are not new.
import {alertState, episodeKey, severityOf} from './alerts.js';
import {$} from './state.js';

const STORAGE_KEY = 'resync-mon.notify';

// Episodes already seen firing; null until the first alert document after the page loaded.
let seen = null;

function supported() {
  return typeof window.Notification === 'function';
}

function stored() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch (e) {
    return null;  // storage disabled: the choice lasts as long as the page
  }
}

let choice = stored();

function remember(value) {
  choice = value;
  try {
    localStorage.setItem(STORAGE_KEY, value);
  } catch (e) {
    // Not persisted, still applied.
  }
}

function enabled() {
  return choice === 'on' && supported() && Notification.permission === 'granted';
}

function renderButton() {
  const button = $('notify');
  button.hidden = false;
  if (!supported()) {
    button.disabled = true;
    button.textContent = 'Notifications unavailable';
    button.title = window.isSecureContext ? 'This browser has no notifications.'
                                          : 'Browsers allow notifications only on https or localhost.';
    button.setAttribute('aria-pressed', 'false');
    return;
  }
  if (Notification.permission === 'denied') {
    button.disabled = true;
    button.textContent = 'Notifications blocked';
    button.title = 'Notifications are blocked for this site in the browser\'s settings.';
    button.setAttribute('aria-pressed', 'false');
    return;
  }
  const on = enabled();
  button.disabled = false;
  button.textContent = on ? 'Notifying of critical alerts' : 'Notify me of critical alerts';
  button.title = on ? 'Click to stop desktop notifications.'
                    : 'A desktop notification when a new critical alert fires.';
  button.setAttribute('aria-pressed', on ? 'true' : 'false');
}

async function toggle() {
  if (enabled()) {
    remember('off');
  } else {
    let permission = Notification.permission;
    if (permission !== 'granted') {
      try {
        permission = await Notification.requestPermission();
      } catch (e) {
        permission = 'denied';
      }
    }
    remember(permission === 'granted' ? 'on' : 'off');
  }
  renderButton();
}

export function setupNotifications() {
  const button = $('notify');
  button.addEventListener('click', () => {
    if (supported()) toggle();
  });
  renderButton();
}

function show(a) {
  const where = a.instance ? ' on ' + a.instance : '';
  try {
    const note = new Notification('Critical: ' + (a.type || 'alert') + where, {
      body: a.message || '',
      tag: 'resync-mon ' + episodeKey(a),
    });
    note.onclick = () => {
      window.focus();
      note.close();
    };
  } catch (e) {
    // Some browsers allow notifications only from a service worker; the page still shows the alert.
    console.warn('resync-mon: notification failed:', e.message);
  }
}

// `current`: the alerts pending, firing or flapping now (see splitAlerts).
export function notifyNewAlerts(current) {
  const firing = current.filter((a) => severityOf(a) === 'critical' &&
                                       ['firing', 'flapping'].includes(alertState(a)));
  if (seen === null) {
    seen = new Set(firing.map(episodeKey));
    return;
  }
  for (const a of firing) {
    const key = episodeKey(a);
    if (seen.has(key)) continue;
    seen.add(key);
    if (enabled()) show(a);
  }
  // Permission may change in the browser's settings while the page is open.
  renderButton();
}
