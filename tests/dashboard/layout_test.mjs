// SPDX-License-Identifier: MIT
// What the dashboard looks like, in real headless Chromium: what a new user sees with the
// embedded default configuration (only the host), a card whose collector is down, the missing-value
// placeholder, and the time axis of every chart. Run by ctest (dashboard_layout_test); the options
// are those of helpers.mjs.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import {after, before, describe, test} from 'node:test';

import {routeCraftedWindow} from './fixtures.mjs';
import {
  DASH, VIEWPORT, assertStaysOnTheServer, canConnect, eventually, freePort, launchBrowser, numberIn, screenshot,
  startServer, text, watch,
} from './helpers.mjs';

// Ids the presentation model gives the bundled plugins' cards and charts (plugin, title, unit).
const PLUGIN_CARDS = ['card-api-requests', 'card-api-error-rate', 'card-api-latency', 'card-cache-cache',
  'card-agents-agents', 'card-tws-workload-automation', 'card-system-host'];
const CHARTS = ['chart-api-requests-per-second', 'chart-api-error-rate-percent', 'chart-api-latency-milliseconds',
  'chart-cache-cache-hit-ratio-percent', 'chart-cache-cache-lookups-per-second', 'chart-agents-active-agents-count',
  'chart-agents-llm-calls-per-second', 'chart-tws-workload-automation-latency-milliseconds', 'chart-tws-jobs-count',
  'chart-system-host-cpu-memory-percent'];
const HOST_CHART = 'chart-system-host-cpu-memory-percent';
const CPU = '[data-metric="host_cpu_percent"]';
const HIT_RATIO = '[data-metric="cache_hit_ratio"]';

let browser = null;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
});

async function visibleIds(page, ids) {
  const shown = [];
  for (const id of ids) if (await page.isVisible('#' + id)) shown.push(id);
  return shown;
}

describe('a new user\'s first view (embedded default configuration)', () => {
  let server, context, page, seen;

  before(async () => {
    server = await startServer(null);
    context = await browser.newContext({viewport: VIEWPORT, colorScheme: 'dark', locale: 'en-US'});
    page = await context.newPage();
    seen = watch(page);
    await page.goto(server.origin + '/monitoring');
    // The embedded default samples every 5 s: wait for the first sample.
    await numberIn(page, CPU);
  });

  after(async () => {
    if (page) await screenshot(page, 'dashboard-default.png');
    if (context) await context.close();
    if (server) await server.stop();
  });

  test('shows the status and host cards and the host chart only', async () => {
    assert.deepEqual(await visibleIds(page, PLUGIN_CARDS), ['card-system-host']);
    assert.ok(await page.isVisible('#card-status'));
    assert.deepEqual(await visibleIds(page, CHARTS), [HOST_CHART]);
    assert.equal(await page.locator('.card').count(), 2, 'no card for what is not configured');
    assert.equal(await page.locator('.chart').count(), 1, 'no chart for what is not configured');
    assert.equal(await page.locator('.card .tag', {hasText: 'not configured'}).count(), 0);
    assert.equal(await page.locator('[data-off]').count(), 0, 'no chart overlay');
  });

  test('collapses what is not configured into one line that says how to add it', async () => {
    const line = page.locator('#unconfigured');
    assert.ok(await line.isVisible());
    const words = (await line.innerText()).replace(/\s+/g, ' ').trim();
    assert.match(words, /^Not configured: agents, api, cache, tws — add them under collectors: /);
    assert.match(words, /docs\/collectors\.md/);
    const box = await line.boundingBox();
    assert.ok(box.height < 40, `one line, ${box.height} px high`);
  });

  test('keeps the host chart at the height of a full dashboard', async () => {
    const canvas = await page.locator(`#${HOST_CHART} canvas`).boundingBox();
    assert.ok(canvas.height >= 120, `canvas ${canvas.width}x${canvas.height}`);
    assert.ok(canvas.width >= 300, `canvas ${canvas.width}x${canvas.height}`);
  });

  test('makes no request outside the server and logs no error', () => {
    assertStaysOnTheServer(seen, server.origin);
  });
});

// A real redis-server on a free port, `args` added; killed by PID.
async function startRedis(args = []) {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', ...args],
                      {stdio: 'ignore'});
  process.once('exit', () => child.kill('SIGKILL'));
  await eventually(() => canConnect(port), `redis-server on ${port}`);
  return {port, stop: () => child.kill('SIGTERM')};
}

describe('what discovery found on the embedded default', () => {
  let open, locked, server, context, page;

  before(async () => {
    open = await startRedis();
    locked = await startRedis(['--requirepass', 's3cret']);
    const nothing = await freePort();
    server = await startServer(null, null, {env: {
      RESYNC_MON_DISCOVER: `redis=${open.port},${locked.port};http=${nothing};logs=;tws=${nothing}`,
    }});
    context = await browser.newContext({viewport: VIEWPORT, colorScheme: 'light', locale: 'en-US'});
    page = await context.newPage();
    await page.goto(server.origin + '/monitoring');
    await page.waitForSelector('#discovery', {state: 'visible', timeout: 15000});
  });

  after(async () => {
    if (page) await screenshot(page, 'dashboard-discovery.png');
    if (context) await context.close();
    if (server) await server.stop();
    if (open) open.stop();
    if (locked) locked.stop();
  });

  test('says what it enabled', async () => {
    const words = (await text(page, '#discovery-enabled')).replace(/\s+/g, ' ');
    assert.match(words, new RegExp(`^Found on this host: .*127\\.0\\.0\\.1:${open.port}`));
  });

  test('lists what needs a password with the configuration entry to add', async () => {
    const items = page.locator('#discovery-pending-list li');
    assert.equal(await items.count(), 1);
    assert.match(await items.first().innerText(), new RegExp(`127\\.0\\.0\\.1:${locked.port}`));
    const entry = await items.first().locator('pre code').innerText();
    assert.match(entry, /plugin: cache/);
    assert.match(entry, new RegExp(`address: "127\\.0\\.0\\.1:${locked.port}", password: "\\$\\{REDIS_PASSWORD\\}"`));
    assert.match(await text(page, '#discovery-pending'), /needs credentials/);
  });
});

describe('a reload of the configuration (SIGHUP)', () => {
  let redis, server, context, page, seen;

  before(async () => {
    redis = await startRedis();
    server = await startServer(['collectors:', '  - {plugin: system}']);
    context = await browser.newContext({viewport: VIEWPORT, colorScheme: 'dark', locale: 'en-US'});
    page = await context.newPage();
    seen = watch(page);
    await page.goto(server.origin + '/monitoring');
    await page.waitForSelector('#conn[data-state="live"]', {timeout: 10000});
    await numberIn(page, CPU);
  });

  after(async () => {
    if (page) await screenshot(page, 'dashboard-reloaded.png');
    if (context) await context.close();
    if (server) await server.stop();
    if (redis) redis.stop();
  });

  test('adds the new collector\'s card and chart, on the same WebSocket', async () => {
    assert.equal(await page.isVisible('#card-cache-cache'), false);
    const config = fs.readFileSync(server.configFile, 'utf8');
    fs.writeFileSync(server.configFile,
                     config + `  - {plugin: cache, name: redis, source: redis, address: "127.0.0.1:${redis.port}"}\n`);
    process.kill(server.pid, 'SIGHUP');
    await page.waitForSelector('#card-cache-cache', {state: 'visible', timeout: 30000});
    await page.waitForSelector('#chart-cache-cache-hit-ratio-percent', {state: 'visible', timeout: 10000});
    await page.waitForSelector('#health tbody tr[data-collector="redis"]', {timeout: 10000});
    assert.equal(seen.websockets.length, 1, 'one WebSocket, never reconnected');
    assert.equal(await page.getAttribute('#conn', 'data-state'), 'live');
    assert.match(server.readLog(), /configuration reloaded from .* collectors added: redis/);
  });
});

describe('a collector that is down', () => {
  let server, context, page;

  before(async () => {
    // Nothing listens on a port just found free: the cache collector fails on every run.
    const port = await freePort();
    server = await startServer(['collectors:', '  - {plugin: system}',
                                `  - {plugin: cache, name: redis, source: redis, address: "127.0.0.1:${port}"}`]);
    context = await browser.newContext({viewport: VIEWPORT, colorScheme: 'dark', locale: 'en-US'});
    page = await context.newPage();
    await page.goto(server.origin + '/monitoring');
    await page.waitForSelector('#card-cache-cache.collector-down', {timeout: 15000});
  });

  after(async () => {
    if (page) await screenshot(page, 'dashboard-collector-down.png');
    if (context) await context.close();
    if (server) await server.stop();
  });

  test('shows its card and says the collector is down, with the error', async () => {
    assert.equal(await text(page, '#card-cache-cache .tag'), 'collector down');
    assert.match(await text(page, '#card-cache-cache .collector-note'), /^redis\b.*refused/i);
    assert.ok(await page.isVisible('#chart-cache-cache-hit-ratio-percent'));
    assert.equal(await page.isVisible('#card-system-host .collector-note'), false);
    assert.equal(await text(page, '#card-system-host .tag'), '');
    const words = (await text(page, '#unconfigured')).replace(/\s+/g, ' ');
    assert.match(words, /Not configured: agents, api, tws —/);
  });

  test('draws a missing value as a light, small placeholder', async () => {
    assert.equal(await text(page, HIT_RATIO), DASH);
    const style = (sel) => page.evaluate((s) => {
      const cs = getComputedStyle(document.querySelector(s));
      return {weight: Number(cs.fontWeight), size: parseFloat(cs.fontSize), color: cs.color,
              placeholder: document.querySelector(s).classList.contains('placeholder')};
    }, sel);
    const dash = await style(HIT_RATIO);
    const number = await style(CPU);
    assert.ok(dash.placeholder, 'the dash has the placeholder class');
    assert.equal(number.placeholder, false);
    assert.ok(dash.weight <= 400, `placeholder weight ${dash.weight}`);
    assert.ok(number.weight >= 600, `number weight ${number.weight}`);
    assert.ok(dash.size < number.size, `placeholder ${dash.size} px, number ${number.size} px`);
    assert.notEqual(dash.color, number.color, 'the placeholder is muted');
    // The glyph itself: a thin stroke, not the 3 px bar of a bold 26 px en dash.
    const ink = await page.evaluate((sel) => {
      const node = document.querySelector(sel);
      const cs = getComputedStyle(node);
      const ctx = document.createElement('canvas').getContext('2d');
      ctx.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
      const m = ctx.measureText(node.textContent);
      return m.actualBoundingBoxAscent + m.actualBoundingBoxDescent;
    }, HIT_RATIO);
    assert.ok(ink <= 2, `the dash is ${ink} px thick`);
  });
});

// The pixels of a chart's x-axis labels (the bottom 16 CSS px of its canvas, below the tick
// marks), grouped into one horizontal run per label.
function axisLabelRuns(page, chartId) {
  return page.evaluate((id) => {
    const canvas = document.querySelector(`#${id} canvas`);
    const {width, height} = canvas;
    const pixels = canvas.getContext('2d').getImageData(0, 0, width, height).data;
    const top = height - Math.round(16 * devicePixelRatio);
    const inked = (x) => {
      for (let y = top; y < height; y++) if (pixels[(y * width + x) * 4 + 3] > 40) return true;
      return false;
    };
    const runs = [];
    for (let x = 0; x < width; x++) {
      if (!inked(x)) continue;
      const last = runs[runs.length - 1];
      // Glyphs of one label are a few pixels apart; labels are tens of pixels apart.
      if (last && x - last[1] <= 6 * devicePixelRatio) last[1] = x;
      else runs.push([x, x]);
    }
    return {width, runs};
  }, chartId);
}

describe('every collector configured, the time axis ending on a tick', () => {
  let server, context, page, seen;

  before(async () => {
    // Every bundled plugin configured, against ports nothing listens on: the layout has every card
    // and chart, and the crafted window below stands in for their data.
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    server = await startServer(['collectors:', '  - {plugin: system}', `  - {plugin: api, url: "${url}/metrics"}`,
                                `  - {plugin: cache, name: redis, source: redis, address: "127.0.0.1:${port}"}`,
                                `  - {plugin: agents, url: "${url}/metrics"}`, `  - {plugin: tws, url: "${url}"}`]);
    context = await browser.newContext({viewport: VIEWPORT, colorScheme: 'dark', locale: 'en-US'});
    page = await context.newPage();
    seen = watch(page);
    // Two minutes ending on a whole minute: a HH:MM:SS label every 30 s, the last one on the
    // right edge of the plot, where uPlot's default padding cut it off.
    const end = Math.floor(Date.now() / 60000) * 60;
    await routeCraftedWindow(page, end, 2);
    await page.goto(server.origin + '/monitoring');
    await page.waitForFunction(() => document.querySelector('[data-metric="requests_per_sec"]')?.textContent === '68.2');
    await page.waitForSelector('#conn[data-state="polling"]', {timeout: 10000});
  });

  after(async () => {
    if (page) await screenshot(page, 'dashboard-all.png');
    if (context) await context.close();
    if (server) await server.stop();
  });

  test('shows every card and chart and no not-configured line', async () => {
    assert.deepEqual(await visibleIds(page, PLUGIN_CARDS), PLUGIN_CARDS);
    assert.deepEqual(await visibleIds(page, CHARTS), CHARTS);
    assert.equal(await page.isVisible('#unconfigured'), false);
  });

  test('draws the right-hand time label of every chart whole, inside the canvas', async () => {
    for (const id of CHARTS) {
      const {width, runs} = await axisLabelRuns(page, id);
      assert.ok(runs.length >= 3, `${id}: ${JSON.stringify(runs)}`);
      const widths = runs.map(([a, b]) => b - a + 1);
      const last = runs[runs.length - 1];
      assert.ok(last[1] < width - 1, `${id}: the last label reaches the canvas edge (${last[1]} of ${width})`);
      assert.ok(runs[0][0] > 0, `${id}: the first label starts at the canvas edge`);
      // A label cut by the canvas edge would be narrower than the others (same HH:MM:SS format).
      const whole = Math.max(...widths.slice(0, -1));
      assert.ok(widths[widths.length - 1] >= whole - 2, `${id}: label widths ${widths}`);
      // ...and the label box, measured as the chart draws it, fits inside the chart's own box.
      const boxes = await page.evaluate((chart) => {
        const canvas = document.querySelector(`#${chart} canvas`).getBoundingClientRect();
        const figure = document.querySelector('#' + chart).getBoundingClientRect();
        return {canvasRight: canvas.right, figureRight: figure.right, canvasLeft: canvas.left};
      }, id);
      const labelRight = boxes.canvasLeft + (last[1] + 1) / await page.evaluate(() => devicePixelRatio);
      assert.ok(labelRight <= boxes.canvasRight && boxes.canvasRight <= boxes.figureRight,
                `${id}: label ends at ${labelRight}, canvas at ${boxes.canvasRight}, chart at ${boxes.figureRight}`);
    }
  });

  test('logs no error', () => {
    assert.deepEqual(seen.consoleErrors, []);
    assert.deepEqual(seen.pageErrors, []);
  });
});
