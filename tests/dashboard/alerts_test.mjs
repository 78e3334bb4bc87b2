// SPDX-License-Identifier: MIT
// The alert panel in real headless Chromium: pending, firing and flapping alerts shown apart from
// the resolved history, with both shapes of /api/monitoring/alerts, and the opt-in browser
// notification of new critical alerts. Run by ctest (dashboard_alerts_test); the options are those
// of helpers.mjs.
import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';

import {alert, alertsDoc, closeRouted, routeAlerts} from './fixtures.mjs';
import {
  VIEWPORT, artifactPath, assertStaysOnTheServer, eventually, launchBrowser, screenshot, startServer, text, watch,
} from './helpers.mjs';

let browser = null;
let server = null;  // the system collector every second, no alert rule

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

const newContext = (options = {}) => browser.newContext({viewport: VIEWPORT, colorScheme: 'dark', locale: 'en-US',
                                                          ...options});

// What the alert list shows, item by item.
function listed(page, list) {
  return page.$$eval(`#${list} li.alert`, (items) => items.map((li) => ({
    state: li.dataset.state, severity: li.dataset.severity, key: li.dataset.key,
    badge: li.querySelector('.badge').innerText.trim().toLowerCase(),
    iconHidden: li.querySelector('.badge .icon').getAttribute('aria-hidden'),
    text: li.innerText,
  })));
}

describe('alerts of a real server', () => {
  let rules, page, context, seen;

  before(async () => {
    // host_cpu_percent is never negative: the first rule fires on the first sample. The second
    // holds too, but only for an hour does it fire: pending, where the server knows that state.
    rules = await startServer(['collectors:', '  - {plugin: system}', 'alerts:',
                               '  - {metric: host_cpu_percent, at_least: {critical: 0}}',
                               '  - {metric: host_memory_percent, above: {warning: 0}, for: 1h}']);
    context = await newContext();
    page = await context.newPage();
    seen = watch(page);
    await page.goto(rules.origin + '/monitoring');
    await page.waitForSelector('#alerts li.alert[data-state="firing"]', {timeout: 15000});
  });

  after(async () => {
    // The README's picture: the page of a new user with one alert rule firing.
    if (page) await screenshot(page, 'dashboard.png');
    if (context) await context.close();
    if (rules) await rules.stop();
  });

  test('shows the firing rule as firing and critical', async () => {
    const [first] = await listed(page, 'alerts');
    assert.equal(first.state, 'firing');
    assert.equal(first.severity, 'critical');
    assert.equal(first.badge, 'firing');
    assert.equal(first.iconHidden, 'true');
    assert.match(first.text, /critical host_cpu_percent \[system\]/i);
    assert.match(await text(page, '#alerts-summary'), /^1 firing/);
    assert.match(await text(page, '#alerts-active'), /^1 active/);
  });

  test('shows a rule waiting for its "for" time as pending, where the server reports it', async (t) => {
    const doc = await (await fetch(rules.origin + '/api/monitoring/alerts')).json();
    if (!Array.isArray(doc.current)) {
      t.skip('this server\'s /api/monitoring/alerts has no pending state yet');
      return;
    }
    await page.waitForSelector('#alerts li.alert[data-state="pending"]', {timeout: 10000});
    const pending = (await listed(page, 'alerts')).find((a) => a.state === 'pending');
    assert.equal(pending.badge, 'pending');
    assert.match(pending.text, /host_memory_percent/);
    assert.match(await text(page, '#alerts-active'), /1 pending/);
  });

  test('makes no request outside the server and logs no error', () => {
    assertStaysOnTheServer(seen, rules.origin);
  });
});

describe('alert states from a crafted document', () => {
  const now = Math.floor(Date.now() / 1000);
  const crafted = [
    alert({type: 'host_load1', state: 'pending', started: now - 20}),
    alert({type: 'cache_hit_ratio', instance: 'redis', state: 'flapping', started: now - 600}),
    alert({type: 'error_rate', instance: 'api', severity: 'critical', state: 'firing', started: now - 120}),
    alert({type: 'response_time_p95', instance: 'api', state: 'firing', started: now - 60}),
    alert({type: 'tws_connected', instance: 'tws', severity: 'critical', state: 'resolved', started: now - 900,
           resolved: now - 800}),
    alert({type: 'error_rate', instance: 'api', state: 'resolved', started: now - 1900, resolved: now - 1800}),
  ];

  async function open(doc) {
    const context = await newContext();
    const page = await context.newPage();
    const seen = watch(page);
    await routeAlerts(page, () => doc);
    await page.goto(server.origin + '/monitoring');
    await page.waitForSelector('#alerts li.alert', {timeout: 10000});
    return {context, page, seen};
  }

  test('shows firing, flapping and pending apart, each with its word and icon, history below', async () => {
    const {context, page, seen} = await open(alertsDoc(crafted));
    try {
      const current = await listed(page, 'alerts');
      assert.deepEqual(current.map((a) => [a.state, a.severity, a.badge]), [
        ['firing', 'critical', 'firing'], ['firing', 'warning', 'firing'], ['flapping', 'warning', 'flapping'],
        ['pending', 'warning', 'pending']]);
      assert.ok(current.every((a) => a.iconHidden === 'true'), 'icons are decoration; the word is read out');
      const history = await listed(page, 'alerts-history');
      assert.deepEqual(history.map((a) => [a.state, a.badge, a.key.split('|')[0]]),
                       [['resolved', 'resolved', 'tws_connected'], ['resolved', 'resolved', 'error_rate']]);
      assert.ok(await page.isVisible('#alerts-history-title'));
      assert.equal(await text(page, '#alerts-summary'),
                   '2 firing \u00b7 1 flapping \u00b7 1 pending \u00b7 2 in history');
      assert.equal(await text(page, '#alerts-active'), '3 active, 1 pending');

      // Not colour only: each state's badge differs in outline and icon shape too.
      const looks = await page.evaluate(() => Object.fromEntries(
          ['pending', 'firing', 'flapping', 'resolved'].map((s) => {
            const badge = document.querySelector(`.alerts li[data-state="${s}"] .badge`);
            const b = getComputedStyle(badge), i = getComputedStyle(badge.querySelector('.icon'));
            return [s, [b.borderTopStyle + ' ' + (b.backgroundImage !== 'none'),
                        i.backgroundColor + ' ' + i.backgroundImage + ' ' + i.borderTopWidth + ' ' + i.transform]];
          })));
      const outlines = new Set(Object.values(looks).map(([outline]) => outline));
      const icons = new Set(Object.values(looks).map(([, icon]) => icon));
      assert.equal(icons.size, 4, `icon shapes ${JSON.stringify(looks)}`);
      assert.ok(outlines.size >= 3, `badge outlines ${JSON.stringify(looks)}`);
      await page.locator('#alerts-panel').screenshot({path: artifactPath('dashboard-alerts.png')});
      assertStaysOnTheServer(seen, server.origin);
    } finally {
      await closeRouted(context);
    }
  });

  test('reads today\'s document shape: active until resolved_at, no current list', async () => {
    const old = crafted.map((a) => {
      const {state, rule, ...rest} = a;
      return state === 'pending' || state === 'flapping' ? null : rest;
    }).filter(Boolean);
    const {context, page} = await open(alertsDoc(old, 'old'));
    try {
      const current = await listed(page, 'alerts');
      assert.deepEqual(current.map((a) => [a.state, a.severity]), [['firing', 'critical'], ['firing', 'warning']]);
      const history = await listed(page, 'alerts-history');
      assert.deepEqual(history.map((a) => a.state), ['resolved', 'resolved']);
      assert.equal(await text(page, '#alerts-summary'), '2 firing \u00b7 2 in history');
    } finally {
      await closeRouted(context);
    }
  });
});

describe('browser notifications of new critical alerts', () => {
  const now = Math.floor(Date.now() / 1000);
  const old = alert({type: 'error_rate', instance: 'api', severity: 'critical', started: now - 300});
  let doc = alertsDoc([old]);
  let context, page;
  let delivered = 0;  // alert documents handed to the page so far

  // Records every Notification the page creates, lets the browser's own make it, and notes when
  // the browser reports it shown.
  const spy = () => {
    window.__notifications = [];
    window.__permissionRequests = 0;
    const Real = window.Notification;
    class Recorded extends Real {
      constructor(title, options) {
        const record = {title, body: options && options.body, tag: options && options.tag, shown: false};
        window.__notifications.push(record);
        super(title, options);
        this.addEventListener('show', () => (record.shown = true));
      }
      static get permission() {
        return Real.permission;
      }
      static requestPermission(...args) {
        window.__permissionRequests++;
        return Real.requestPermission(...args);
      }
    }
    window.Notification = Recorded;
  };
  const notifications = () => page.evaluate(() => window.__notifications);

  async function publish(list) {
    doc = alertsDoc(list);
    const key = list[list.length - 1];
    await page.waitForSelector(`#alerts li[data-key="${[key.type, key.instance, key.started_at].join('|')}"]`,
                               {timeout: 10000});
    await afterDocuments(2);  // the page has handled the document that drew it, and one more
  }

  // Resolves once the page has been handed `n` more alert documents (by /alerts, /current or the
  // WebSocket), so it has handled at least n - 1 of them: what the page did with the same document
  // is judged by documents delivered, not by a span of time a slow machine may not fill.
  async function afterDocuments(n) {
    const target = delivered + n;
    await eventually(() => delivered >= target, `${n} more alert documents delivered to the page`);
  }

  before(async () => {
    context = await newContext({permissions: ['notifications']});
    await context.addInitScript(spy);
    page = await context.newPage();
    await routeAlerts(page, () => {
      delivered += 1;
      return doc;
    });
    await page.goto(server.origin + '/monitoring');
    await page.waitForSelector('#alerts li.alert[data-state="firing"]', {timeout: 10000});
  });

  after(async () => {
    if (context) await closeRouted(context);
  });

  test('asks nothing until the button is clicked, then remembers the choice', async () => {
    assert.equal(await page.evaluate(() => window.__permissionRequests), 0);
    const button = page.locator('#notify');
    assert.equal(await button.getAttribute('aria-pressed'), 'false');
    assert.equal(await button.innerText(), 'Notify me of critical alerts');
    await button.click();
    await page.waitForSelector('#notify[aria-pressed="true"]');
    assert.equal(await page.evaluate(() => Notification.permission), 'granted');
    assert.equal(await page.evaluate(() => localStorage.getItem('resync-mon.notify')), 'on');
    assert.deepEqual(await notifications(), [], 'no notification for an alert there before the page loaded');
  });

  test('notifies once per new critical alert, not for warnings or pending ones', async () => {
    const fresh = alert({type: 'tws_connected', instance: 'tws', severity: 'critical', started: now - 5});
    const warning = alert({type: 'response_time_p95', instance: 'api', started: now - 4});
    const pending = alert({type: 'host_cpu_percent', severity: 'critical', state: 'pending', started: now - 3});
    await publish([old, fresh, warning, pending]);
    await page.waitForFunction(() => window.__notifications[0]?.shown, null, {timeout: 5000});
    let shown = await notifications();
    assert.equal(shown.length, 1, JSON.stringify(shown));
    assert.equal(shown[0].title, 'Critical: tws_connected on tws');
    assert.match(shown[0].body, /tws_connected \[tws\]/);
    assert.equal(shown[0].tag, 'resync-mon ' + [fresh.type, fresh.instance, fresh.started_at].join('|'));

    // The pending one fires: same episode, now notified; the first one is not notified again.
    const fired = {...pending, state: 'firing'};
    await publish([old, fresh, warning, fired]);
    await page.waitForFunction(() => window.__notifications.length === 2, null, {timeout: 10000});
    await afterDocuments(3);  // a few more pushes of the same document
    shown = await notifications();
    assert.deepEqual(shown.map((n) => n.title),
                     ['Critical: tws_connected on tws', 'Critical: host_cpu_percent on system']);
  });

  test('after a reload: still on, and quiet about the alerts already there', async () => {
    await page.reload();
    await page.waitForSelector('#alerts li.alert[data-state="firing"]', {timeout: 10000});
    await page.waitForSelector('#notify[aria-pressed="true"]');
    await afterDocuments(3);
    assert.deepEqual(await notifications(), []);
    assert.equal(await page.evaluate(() => window.__permissionRequests), 0);
  });

  test('turned off, notifies nothing', async () => {
    await page.click('#notify');
    await page.waitForSelector('#notify[aria-pressed="false"]');
    assert.equal(await page.evaluate(() => localStorage.getItem('resync-mon.notify')), 'off');
    const another = alert({type: 'agents_failed', instance: 'agents', severity: 'critical', started: now});
    await publish([...doc.alerts, another]);
    await afterDocuments(2);
    assert.deepEqual(await notifications(), []);
  });
});
