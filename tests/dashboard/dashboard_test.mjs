// SPDX-License-Identifier: MIT
// The live dashboard in real headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core) against a real `resync-mon serve` on a free loopback port, sampling the
// system collector every second. Run by ctest (dashboard_browser_test):
//   node dashboard_test.mjs --binary build/resync-mon --plugin-dir build/plugins
//        --node-dir build/tests/dashboard/node --artifacts build/tests/artifacts
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import {createRequire} from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import {parseArgs} from 'node:util';

const CHROMIUM = '/usr/bin/chromium';
// BUILD-NOTES: what headless Chromium needs as root in a container, and nothing that phones home.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const VIEWPORT = {width: 1280, height: 800};
const NUMBER = /^-?\d{1,3}(,\d{3})*(\.\d+)?$/;
const DASH = '\u2013';

const {values: opts} = parseArgs({
  options: {
    'binary': {type: 'string'},
    'plugin-dir': {type: 'string'},
    'node-dir': {type: 'string'},
    'artifacts': {type: 'string'},
  },
});

function requireOption(name) {
  if (!opts[name]) throw new Error(`dashboard_test.mjs: --${name} is required`);
  return opts[name];
}

function loadPlaywright() {
  const dir = requireOption('node-dir');
  try {
    return createRequire(path.join(dir, 'package.json'))('playwright-core');
  } catch (e) {
    throw new Error(`playwright-core is not installed in ${dir} (the ctest fixture dashboard_npm_ci ` +
                    `runs npm ci there): ${e.message}`);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address();
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect({host: '127.0.0.1', port});
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A real `resync-mon serve`, stopped by PID (SIGTERM, then SIGKILL) when the tests end.
// `extraConfig`: more lines of YAML for its configuration file.
async function startServer(extraConfig = []) {
  const binary = requireOption('binary');
  const pluginDir = requireOption('plugin-dir');
  assert.ok(fs.existsSync(binary), `resync-mon binary not found at ${binary}: build it first`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resync-dashboard-'));
  const config = path.join(dir, 'resync.yaml');
  fs.writeFileSync(config, [
    'interval: 1s',
    'window: 2h',
    `plugin_dir: ${JSON.stringify(pluginDir)}`,
    'collectors:',
    '  - {plugin: system}',
    ...extraConfig,
    '',
  ].join('\n'));
  const port = await freePort();
  const log = path.join(dir, 'serve.log');
  const out = fs.openSync(log, 'a');
  const child = spawn(binary, ['--config', config, 'serve', '--bind', `127.0.0.1:${port}`],
                      {stdio: ['ignore', out, out]});
  fs.closeSync(out);
  let exited = null;
  const exit = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve(exited = {code, signal}));
    child.once('error', (error) => resolve(exited = {error: error.message}));
  });
  const readLog = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '');
  const deadline = Date.now() + 15000;
  while (!(await canConnect(port))) {
    if (exited) throw new Error(`resync-mon serve exited (${JSON.stringify(exited)}) before listening:\n${readLog()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`resync-mon serve did not listen on 127.0.0.1:${port} within 15 s:\n${readLog()}`);
    }
    await sleep(50);
  }
  const stop = async () => {
    if (exited) {
      // It died during the tests: its log says why.
      console.log(`# resync-mon serve (pid ${child.pid}) had exited (${JSON.stringify(exited)}):\n${readLog()}`);
    } else {
      process.kill(child.pid, 'SIGTERM');
      let timer;
      const grace = new Promise((resolve) => (timer = setTimeout(resolve, 5000, 'timeout')));
      if (await Promise.race([exit, grace]) === 'timeout') {
        process.kill(child.pid, 'SIGKILL');
        await exit;
      }
      clearTimeout(timer);
    }
    fs.rmSync(dir, {recursive: true, force: true});
    return exited;
  };
  // Never leave a server behind, even when the runner is interrupted.
  process.once('exit', () => {
    if (!exited) process.kill(child.pid, 'SIGKILL');
  });
  return {origin: `http://127.0.0.1:${port}`, pid: child.pid, stop, readLog};
}

// Everything a page asks for, and everything it complains about.
function watch(page) {
  const seen = {requests: [], websockets: [], failed: [], consoleErrors: [], pageErrors: []};
  page.on('request', (request) => seen.requests.push(request.url()));
  page.on('websocket', (ws) => seen.websockets.push(ws.url()));
  page.on('requestfailed', (request) => seen.failed.push(`${request.url()}: ${request.failure()?.errorText}`));
  page.on('console', (message) => {
    if (message.type() === 'error') seen.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => seen.pageErrors.push(error.message));
  return seen;
}

function assertStaysOnTheServer(seen, origin) {
  const wsOrigin = origin.replace(/^http/, 'ws');
  assert.ok(seen.requests.length >= 5, `expected the page and its assets, saw ${JSON.stringify(seen.requests)}`);
  const outside = seen.requests.filter((url) => !url.startsWith(origin + '/') && !url.startsWith('data:'));
  assert.deepEqual(outside, [], 'requests that left the server');
  const outsideWs = seen.websockets.filter((url) => !url.startsWith(wsOrigin + '/'));
  assert.deepEqual(outsideWs, [], 'WebSockets to somewhere else');
  assert.deepEqual(seen.failed, [], 'failed requests');
  assert.deepEqual(seen.consoleErrors, [], 'console errors');
  assert.deepEqual(seen.pageErrors, [], 'uncaught page errors');
}

const text = (page, selector) => page.locator(selector).innerText();

async function numberIn(page, selector) {
  await page.waitForFunction((sel) => /\d/.test(document.querySelector(sel)?.textContent || ''), selector,
                             {timeout: 15000});
  const value = (await text(page, selector)).trim();
  assert.match(value, NUMBER, `${selector} should be a number, got "${value}"`);
  return Number(value.replaceAll(',', ''));
}

// Resolves when the text of `selector` differs from what it is now; returns both.
async function changeOf(page, selector, timeout) {
  const before = (await text(page, selector)).trim();
  await page.waitForFunction(([sel, old]) => document.querySelector(sel).textContent.trim() !== old,
                             [selector, before], {timeout});
  return {before, after: (await text(page, selector)).trim()};
}

// Pixels of a chart's canvas in the colour of its first series: proof a line was drawn from data,
// not just axes on an empty plot.
function seriesPixels(page, chartId) {
  return page.evaluate((id) => {
    const canvas = document.querySelector(`#${id} canvas`);
    if (!canvas || !canvas.width || !canvas.height) return {width: 0, height: 0, painted: 0, series: 0};
    const probe = document.createElement('canvas').getContext('2d');
    probe.fillStyle = getComputedStyle(document.documentElement).getPropertyValue('--series-1').trim();
    probe.fillRect(0, 0, 1, 1);
    const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0, series = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      if (pixels[i + 3] === 0) continue;
      painted++;
      if (Math.abs(pixels[i] - r) < 24 && Math.abs(pixels[i + 1] - g) < 24 && Math.abs(pixels[i + 2] - b) < 24 &&
          pixels[i + 3] > 200) {
        series++;
      }
    }
    return {width: canvas.width, height: canvas.height, painted, series};
  }, chartId);
}

function artifactPath(name) {
  const dir = opts.artifacts || path.join(os.tmpdir(), 'resync-artifacts');
  fs.mkdirSync(dir, {recursive: true});
  return path.join(dir, name);
}

let server = null;
let browser = null;
let origin = null;

before(async () => {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (scripts/deps --test)`);
  const {chromium} = loadPlaywright();
  let started = Date.now();
  server = await startServer();
  origin = server.origin;
  console.log(`# resync-mon serve (pid ${server.pid}) listening at ${origin} after ${Date.now() - started} ms`);
  started = Date.now();
  browser = await chromium.launch({executablePath: CHROMIUM, args: CHROMIUM_ARGS});
  console.log(`# chromium ${browser.version()} started in ${Date.now() - started} ms`);
});

after(async () => {
  if (browser) await browser.close();
  if (server) {
    const started = Date.now();
    const status = await server.stop();
    console.log(`# resync-mon serve (pid ${server.pid}) stopped in ${Date.now() - started} ms:`, status);
  }
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
    if (page) {
      const file = artifactPath('dashboard.png');
      const started = Date.now();
      await page.screenshot({path: file});
      console.log(`# screenshot ${file} in ${Date.now() - started} ms`);
    }
    if (context) await context.close();
  });

  test('connects over the WebSocket and says so', async () => {
    await page.waitForSelector('#conn[data-state="live"]', {timeout: 10000});
    assert.match(await text(page, '#conn-text'), /live/);
    assert.ok(seen.websockets.some((url) => url === origin.replace(/^http/, 'ws') + '/api/monitoring/ws'),
              `WebSocket URLs: ${JSON.stringify(seen.websockets)}`);
  });

  test('shows numeric host CPU and memory', async () => {
    const cpu = await numberIn(page, '#host-cpu');
    const memory = await numberIn(page, '#host-mem');
    assert.ok(cpu >= 0 && cpu <= 100, `CPU ${cpu} %`);
    assert.ok(memory > 0 && memory <= 100, `memory ${memory} %`);
    assert.match(await text(page, '#host-rss'), /^\d+(\.\d)? (KiB|MiB|GiB)$/);
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
    await page.waitForFunction(() => document.querySelectorAll('#chart-host .uplot canvas').length === 1);
    let pixels;
    const deadline = Date.now() + 10000;
    do {
      pixels = await seriesPixels(page, 'chart-host');
      if (pixels.series > 40) break;
      await sleep(250);
    } while (Date.now() < deadline);
    assert.ok(pixels.width > 200 && pixels.height > 60, `canvas ${pixels.width}x${pixels.height}`);
    assert.ok(pixels.painted > 1000, `${pixels.painted} painted pixels`);
    assert.ok(pixels.series > 40, `${pixels.series} pixels in the CPU series colour`);
    assert.match(await text(page, '#chart-host .u-legend'), /CPU %/);
  });

  test('lists the system collector as up', async () => {
    const row = '#health tbody tr[data-collector="system"]';
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === 'up', `${row} td.state`,
                               {timeout: 10000});
    assert.match(await text(page, `${row} td:nth-child(3)`), /^\d+(\.\d)? ms$/);
    assert.equal((await text(page, `${row} td.error`)).trim(), '');
  });

  test('shows a dash, not a zero, for collectors that are not configured', async () => {
    for (const id of ['#api-rps', '#api-error-rate', '#api-p95', '#cache-hit-ratio', '#agents-active', '#tws-latency']) {
      assert.equal(await text(page, id), DASH, id);
    }
    assert.equal(await text(page, '#card-api .tag'), 'not configured');
    assert.equal(await page.getAttribute('#chart-tws', 'data-off'), 'no tws collector configured');
  });

  test('shows an empty alert list', async () => {
    assert.equal(await text(page, '#alerts'), 'No alerts');
    assert.equal(await text(page, '#alerts-active'), 'none');
  });

  test('makes no request outside the server and logs no error', () => {
    assertStaysOnTheServer(seen, origin);
    for (const asset of ['uplot.min.js', 'uplot.min.css', 'dashboard.css', 'dashboard.js', 'format.js', 'state.js',
                         'cards.js', 'charts.js', 'connection.js']) {
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
      await numberIn(page, '#host-cpu');
      const clock = await changeOf(page, '#last-update', 8000);
      assert.match(clock.after, /^\d\d:\d\d:\d\d$/);
      const polls = seen.requests.filter((url) => url === `${origin}/api/monitoring/current`).length;
      assert.ok(polls >= 2, `${polls} polls of /current`);
      assert.ok(attempts >= 1, 'the page tried a WebSocket');
      assert.match(await text(page, '#conn-text'), /polling/);

      // Backoff keeps trying; once the socket is let through the page goes live again.
      const deadline = Date.now() + 8000;
      while (attempts < 2 && Date.now() < deadline) await sleep(100);
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
    authServer = await startServer(['server:', `  auth: {user: ${user}, password: ${password}}`]);
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
      await numberIn(page, '#host-cpu');
      await changeOf(page, '#last-update', 8000);
      await page.waitForSelector('#health tbody tr[data-collector="system"]', {timeout: 10000});
      assertStaysOnTheServer(seen, authServer.origin);
    } finally {
      await context.close();
    }
  });
});
