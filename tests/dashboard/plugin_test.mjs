// SPDX-License-Identifier: MIT
// Issue 16: a plugin no host code was written for (examples/plugins/queue_depth, built in the tree
// like a third party would build it, with no presentation hints) gets a card and a chart on the
// live dashboard and in the report, both drawn from /api/monitoring/layout, with its alert rule's
// thresholds as dashed lines. Run by ctest (dashboard_plugin_test); options as in helpers.mjs plus
// --example-plugin, the built queue_depth.so.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';

import {
  VIEWPORT, assertStaysOnTheServer, eventually, launchBrowser, requireOption, screenshot, seriesPixels, startServer, text,
  watch,
} from './helpers.mjs';

const CARD = '#card-queue-depth-queue-depth';
const DEPTH = `${CARD} [data-metric="queue_depth"]`;
const COUNT_CHART = 'chart-queue-depth-queue-depth-count';
const AGE_CHART = 'chart-queue-depth-queue-depth-seconds';

let browser = null, server = null, dir = null;

// The bundled plugins and the example side by side in one plugin_dir, as after installing it.
function pluginFolder() {
  const folder = path.join(dir, 'plugins');
  fs.mkdirSync(folder);
  const bundled = requireOption('plugin-dir');
  for (const name of fs.readdirSync(bundled).filter((f) => f.endsWith('.so')))
    fs.symlinkSync(path.join(bundled, name), path.join(folder, name));
  fs.symlinkSync(requireOption('example-plugin'), path.join(folder, 'queue_depth.so'));
  return folder;
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resync-plugin-test-'));
  const spool = path.join(dir, 'spool');
  fs.mkdirSync(spool);
  for (let i = 1; i <= 5; i++) fs.writeFileSync(path.join(spool, `${i}.msg`), `item ${i}\n`);
  server = await startServer(['collectors:', '  - {plugin: system}',
                              `  - {plugin: queue_depth, name: outbox, path: ${JSON.stringify(spool)}, suffix: .msg}`,
                              'alerts:', '  - {metric: queue_depth, above: {warning: 3, critical: 100}}'],
                             pluginFolder());
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
  if (dir) fs.rmSync(dir, {recursive: true, force: true});
});

describe('the layout document', () => {
  test('names the example\'s card and charts, one unit each, and revalidates with its ETag', async () => {
    const response = await fetch(server.origin + '/api/monitoring/layout');
    assert.equal(response.status, 200);
    const etag = response.headers.get('etag');
    assert.match(etag, /^"[^"]+"$/);
    const layout = await response.json();
    const card = layout.cards.find((c) => c.plugin === 'queue_depth');
    assert.ok(card, JSON.stringify(layout.cards.map((c) => c.id)));
    assert.equal(card.fields.find((f) => f.headline).metric, 'queue_depth');
    const charts = layout.charts.filter((c) => c.plugin === 'queue_depth');
    assert.deepEqual(charts.map((c) => c.id), [COUNT_CHART, AGE_CHART]);
    assert.deepEqual(charts[0].thresholds.map((t) => t.value), [3, 100]);
    const again = await fetch(server.origin + '/api/monitoring/layout', {headers: {'If-None-Match': etag}});
    assert.equal(again.status, 304);
  });
});

describe('the live dashboard', () => {
  let context, page, seen;

  before(async () => {
    context = await browser.newContext({viewport: VIEWPORT, colorScheme: 'dark', locale: 'en-US'});
    page = await context.newPage();
    seen = watch(page);
    await page.goto(server.origin + '/monitoring');
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === '5', DEPTH, {timeout: 15000});
  });

  after(async () => {
    if (page) await screenshot(page, 'dashboard-queue-depth.png');
    if (context) await context.close();
  });

  test('shows the example\'s card with its value in the rule\'s warning colour', async () => {
    assert.ok(await page.isVisible(CARD));
    assert.match(await page.locator(`${CARD} h2`).textContent(), /^Queue depth/);
    assert.ok(await page.locator(DEPTH).evaluate((n) => n.classList.contains('level-warning')));
    assert.match(await text(page, `${CARD} .kv`), /oldest age seconds/);
  });

  test('draws the example\'s chart from its samples, with the thresholds as dashed lines', async () => {
    assert.ok(await page.isVisible('#' + COUNT_CHART));
    assert.equal(await page.getAttribute('#' + COUNT_CHART, 'data-thresholds'), '2');
    // One sample a second: wait for a line, not for a time.
    await page.waitForFunction(async (id) => {
      const canvas = document.querySelector(`#${id} canvas`);
      return canvas && canvas.width > 0;
    }, COUNT_CHART, {timeout: 15000});
    let pixels = {series: 0};
    const deadline = Date.now() + 15000;
    while (pixels.series < 20 && Date.now() < deadline) {
      pixels = await seriesPixels(page, COUNT_CHART);
      if (pixels.series < 20) await page.waitForTimeout(200);
    }
    assert.ok(pixels.series >= 20, `the queue_depth line: ${JSON.stringify(pixels)}`);
    assert.match(await text(page, `#${COUNT_CHART} .u-legend`), /queue depth|depth/);
  });

  test('makes no request outside the server and logs no error', () => {
    assertStaysOnTheServer(seen, server.origin);
  });
});

// The age has no /history field of its own: /history lists its values under `series`, and the
// page draws both charts from /history alone. No sample reaches the page after it: the WebSocket
// is refused and every poll of /current answers the same document.
describe('the charts at load', () => {
  let context, page;

  before(async () => {
    const health = async () => (await fetch(server.origin + '/api/monitoring/health')).json();
    await eventually(async () => (await health()).samples_collected >= 8, 'eight samples', 30000, 200);
    const frozen = await (await fetch(server.origin + '/api/monitoring/current')).json();
    context = await browser.newContext({viewport: VIEWPORT, colorScheme: 'dark', locale: 'en-US'});
    page = await context.newPage();
    await page.route('**/api/monitoring/current', (route) => route.fulfill({json: frozen}));
    await page.routeWebSocket(/\/api\/monitoring\/ws$/, (ws) => ws.close({code: 1011, reason: 'no live samples'}));
    await page.goto(server.origin + '/monitoring');
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === '5', DEPTH, {timeout: 15000});
  });

  after(async () => {
    if (page) await screenshot(page, 'dashboard-queue-depth-at-load.png');
    if (context) await context.close();
  });

  test('/history carries the age, which has no field there, by series', async () => {
    const history = await (await fetch(server.origin + '/api/monitoring/history')).json();
    assert.equal(history.series.queue_oldest_age_seconds.length, history.sample_count);
    assert.equal(history.queue.oldest_age_seconds, undefined);
  });

  test('draws both of the example\'s charts from /history', async () => {
    for (const id of [COUNT_CHART, AGE_CHART]) {
      let pixels = null;
      await eventually(async () => (pixels = await seriesPixels(page, id)).series >= 20,
                       `a line on ${id}`, 15000, 100).catch(() => {});
      assert.ok(pixels.series >= 20, `${id}: ${JSON.stringify(pixels)}`);
    }
  });
});

describe('the report', () => {
  let context, page;

  before(async () => {
    // The report needs no script: JavaScript off, as in a mail reader.
    context = await browser.newContext({viewport: VIEWPORT, colorScheme: 'light', javaScriptEnabled: false,
                                        locale: 'en-US'});
    page = await context.newPage();
    await page.goto(server.origin + '/api/monitoring/report');
  });

  after(async () => {
    if (page) await screenshot(page, 'report-queue-depth.png');
    if (context) await context.close();
  });

  test('shows the example\'s card and its charts, one unit each, with the thresholds', async () => {
    assert.match(await text(page, `${CARD} .big`), /^5\s+depth$/);
    assert.ok(await page.locator(`${CARD} .level-warning`).count() === 1);
    const chart = page.locator('#' + COUNT_CHART);
    assert.ok(await chart.isVisible());
    assert.ok(await chart.locator('path.line').count() === 1);
    // Warning at 3 is within the values' scale; critical at 100 is far above it.
    assert.equal(await chart.locator('path.threshold.warn').count(), 1);
    assert.equal(await page.locator(`#${AGE_CHART} path.line`).count(), 1);
    assert.equal(await page.locator('.card .tag', {hasText: 'not configured'}).count(), 0);
  });
});
