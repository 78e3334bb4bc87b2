// SPDX-License-Identifier: MIT
// The live dashboard's data path in real headless Chromium against a real `resync-mon serve`
// sampling the system collector every second: history, WebSocket pushes, polling while the socket
// is refused, basic auth, and nothing requested outside the server. Run by ctest
// (dashboard_transport_test); the options are those of helpers.mjs.
import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';

import {
  VIEWPORT, assertStaysOnTheServer, changeOf, eventually, launchBrowser, numberIn, screenshot, seriesPixels,
  startServer, text, watch,
} from './helpers.mjs';

let server = null;
let browser = null;
let origin = null;

before(async () => {
  server = await startServer();
  origin = server.origin;
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

describe('dashboard over the WebSocket', () => {
  let context, page, seen;

  before(async () => {
    context = await browser.newContext({viewport: VIEWPORT, colorScheme: 'dark', locale: 'en-US'});
    page = await context.newPage();
    seen = watch(page);
    const started = Date.now();
    const response = await page.goto(origin + '/monitoring', {waitUntil: 'load'});
    console.log(`# page loaded in ${Date.now() - started} ms`);
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-type'] || '', /^text\/html/);
  });

  after(async () => {
    if (page) await screenshot(page, 'dashboard-transport.png');
    if (context) await context.close();
  });

  test('connects over the WebSocket and says so', async () => {
    await page.waitForSelector('#conn[data-state="live"]', {timeout: 10000});
    assert.match(await text(page, '#conn-text'), /live/);
    assert.ok(seen.websockets.some((url) => url === origin.replace(/^http/, 'ws') + '/api/monitoring/ws'),
              `WebSocket URLs: ${JSON.stringify(seen.websockets)}`);
  });

  test('shows numeric host CPU and memory', async () => {
    const cpu = await numberIn(page, '[data-metric="host_cpu_percent"]');
    const memory = await numberIn(page, '[data-metric="host_memory_percent"]');
    assert.ok(cpu >= 0 && cpu <= 100, `CPU ${cpu} %`);
    assert.ok(memory > 0 && memory <= 100, `memory ${memory} %`);
    assert.match(await text(page, '[data-metric="process_rss_bytes"]'), /^\d+(\.\d)? (KiB|MiB|GiB)$/);
    await page.waitForFunction(() => document.querySelector('#status').textContent === 'ok', null, {timeout: 10000});
  });

  test('updates the numbers on every pushed sample', async () => {
    const clock = await changeOf(page, '#last-update', 8000);
    assert.match(clock.after, /^\d\d:\d\d:\d\d$/);
    // The samples counter comes from /health, refreshed every few seconds.
    const samples = await changeOf(page, '#samples', 12000);
    const count = (s) => Number(s.split('/')[0].trim().replaceAll(',', ''));
    assert.ok(count(samples.after) > count(samples.before), `${samples.before} -> ${samples.after}`);
  });

  test('draws the host chart with uPlot from history and pushes', async () => {
    await page.waitForFunction(() => document.querySelectorAll('#chart-system-host-cpu-memory-percent .uplot canvas').length === 1);
    let pixels;
    await eventually(async () => (pixels = await seriesPixels(page, 'chart-system-host-cpu-memory-percent')).series > 40,
                     'the CPU series drawn', 30000, 250).catch(() => {});  // judged just below
    assert.ok(pixels.width > 200 && pixels.height > 60, `canvas ${pixels.width}x${pixels.height}`);
    assert.ok(pixels.painted > 1000, `${pixels.painted} painted pixels`);
    assert.ok(pixels.series > 40, `${pixels.series} pixels in the CPU series colour`);
    assert.match(await text(page, '#chart-system-host-cpu-memory-percent .u-legend'), /CPU/);
  });

  test('lists the system collector as up', async () => {
    const row = '#health tbody tr[data-collector="system"]';
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === 'up', `${row} td.state`,
                               {timeout: 10000});
    assert.match(await text(page, `${row} td:nth-child(3)`), /^\d+(\.\d)? ms$/);
    assert.equal((await text(page, `${row} td.error`)).trim(), '');
  });

  test('shows an empty alert list', async () => {
    assert.equal(await text(page, '#alerts'), 'No active alerts');
    assert.equal(await page.isHidden('#alerts-history'), true);
    assert.equal(await text(page, '#alerts-active'), 'none');
  });

  test('makes no request outside the server and logs no error', () => {
    assertStaysOnTheServer(seen, origin);
    for (const asset of ['uplot.min.js', 'uplot.min.css', 'dashboard.css', 'dashboard.js', 'format.js', 'state.js',
                         'cards.js', 'charts.js', 'connection.js', 'alerts.js', 'notify.js']) {
      assert.ok(seen.requests.includes(`${origin}/monitoring/assets/${asset}`), asset);
    }
    assert.ok(seen.requests.some((url) => url.startsWith(`${origin}/api/monitoring/history?minutes=120`)));
  });
});

describe('dashboard without a WebSocket', () => {
  test('polls /current while the socket is refused, then reconnects', async () => {
    const context = await browser.newContext({viewport: VIEWPORT, locale: 'en-US'});
    try {
      const page = await context.newPage();
      const seen = watch(page);
      let refuse = true, attempts = 0;
      // As a proxy that does not pass upgrades: every socket is closed at once, until allowed.
      await page.routeWebSocket(/\/api\/monitoring\/ws$/, (ws) => {
        attempts++;
        if (refuse) ws.close({code: 1011, reason: 'refused by the test'});
        else ws.connectToServer();
      });
      await page.goto(origin + '/monitoring');
      await page.waitForSelector('#conn[data-state="polling"]', {timeout: 10000});
      await numberIn(page, '[data-metric="host_cpu_percent"]');
      const clock = await changeOf(page, '#last-update', 8000);
      assert.match(clock.after, /^\d\d:\d\d:\d\d$/);
      const polls = seen.requests.filter((url) => url === `${origin}/api/monitoring/current`).length;
      assert.ok(polls >= 2, `${polls} polls of /current`);
      assert.ok(attempts >= 1, 'the page tried a WebSocket');
      assert.match(await text(page, '#conn-text'), /polling/);

      // Backoff keeps trying; once the socket is let through the page goes live again.
      await eventually(() => attempts >= 2, 'a second WebSocket attempt', 30000, 100).catch(() => {});
      assert.ok(attempts >= 2, `reconnect attempts: ${attempts}`);
      refuse = false;
      await page.waitForSelector('#conn[data-state="live"]', {timeout: 20000});
      await changeOf(page, '#last-update', 8000);
      assertStaysOnTheServer(seen, origin);
    } finally {
      await context.close();
    }
  });
});

describe('dashboard behind basic auth', () => {
  const user = 'ops', password = 'dashboard-test-secret';
  let authServer = null;

  before(async () => {
    authServer = await startServer(['collectors:', '  - {plugin: system}', 'server:',
                                    `  auth: {user: ${user}, password: ${password}}`]);
  });

  after(async () => {
    if (authServer) await authServer.stop();
  });

  test('refuses the page without credentials', async () => {
    const response = await fetch(authServer.origin + '/monitoring');
    assert.equal(response.status, 401);
  });

  test('works live with the browser\'s credentials, WebSocket included', async () => {
    const context = await browser.newContext({viewport: VIEWPORT, locale: 'en-US',
                                              httpCredentials: {username: user, password}});
    try {
      const page = await context.newPage();
      const seen = watch(page);
      const response = await page.goto(authServer.origin + '/monitoring');
      assert.equal(response.status(), 200);
      await page.waitForSelector('#conn[data-state="live"]', {timeout: 10000});
      await numberIn(page, '[data-metric="host_cpu_percent"]');
      await changeOf(page, '#last-update', 8000);
      await page.waitForSelector('#health tbody tr[data-collector="system"]', {timeout: 10000});
      assertStaysOnTheServer(seen, authServer.origin);
    } finally {
      await context.close();
    }
  });
});
