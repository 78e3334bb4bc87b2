// SPDX-License-Identifier: MIT
// What the dashboard's browser tests share: their command line, a real `resync-mon serve` on a free
// loopback port, Debian's /usr/bin/chromium driven by playwright-core, and checks on what a page
// requests, logs and draws. Each *_test.mjs takes the same options (ctest passes them):
//   node <file>_test.mjs --binary build/resync-mon --plugin-dir build/plugins
//        --node-dir build/tests/dashboard/node --artifacts build/tests/artifacts
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import {createRequire} from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {parseArgs} from 'node:util';

export const CHROMIUM = '/usr/bin/chromium';
// BUILD-NOTES: what headless Chromium needs as root in a container, and nothing that phones home.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const VIEWPORT = {width: 1280, height: 800};
export const NUMBER = /^-?\d{1,3}(,\d{3})*(\.\d+)?$/;
export const DASH = '\u2013';

const {values: opts} = parseArgs({
  options: {
    'binary': {type: 'string'},
    'plugin-dir': {type: 'string'},
    'node-dir': {type: 'string'},
    'artifacts': {type: 'string'},
    'example-plugin': {type: 'string'},
  },
});

export function requireOption(name) {
  if (!opts[name]) throw new Error(`${path.basename(process.argv[1])}: --${name} is required`);
  return path.resolve(opts[name]);
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

// `extraArgs`: more Chromium switches (the TLS test pins its certificate's key with one).
export async function launchBrowser(extraArgs = []) {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (scripts/deps --test)`);
  const {chromium} = loadPlaywright();
  const started = Date.now();
  const browser = await chromium.launch({executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...extraArgs]});
  console.log(`# chromium ${browser.version()} started in ${Date.now() - started} ms`);
  return browser;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address();
      server.close(() => resolve(port));
    });
  });
}

export function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect({host: '127.0.0.1', port});
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Resolves once `condition()` (sync or async) is true, polling every `poll` ms; throws naming
// `what` after `timeout`, a deadline far beyond what a saturated machine needs. The one way these
// tests wait for something; none waits a fixed time for something to happen or not.
export async function eventually(condition, what, timeout = 30000, poll = 50) {
  const deadline = Date.now() + timeout;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeout} ms: ${what}`);
    await sleep(poll);
  }
}

// A real `resync-mon serve`, stopped by PID (SIGTERM, then SIGKILL) when the tests end.
// `config`: the lines of its YAML configuration after the sampling settings, by default the
// system collector sampled every second; null runs the embedded default configuration.
// `pluginDir` replaces --plugin-dir; `options.scheme` is 'https' for a configuration with
// server.tls; `options.env` adds to its environment.
export async function startServer(config = ['collectors:', '  - {plugin: system}'], pluginDir = null,
                                  {scheme = 'http', env = {}} = {}) {
  const binary = requireOption('binary');
  pluginDir = pluginDir || requireOption('plugin-dir');
  assert.ok(fs.existsSync(binary), `resync-mon binary not found at ${binary}: build it first`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resync-dashboard-'));
  const args = [];
  const file = path.join(dir, 'resync.yaml');
  if (config) {
    fs.writeFileSync(file, ['interval: 1s', 'window: 2h', `plugin_dir: ${JSON.stringify(pluginDir)}`,
                            ...config, ''].join('\n'));
    args.push('--config', file);
  }
  const port = await freePort();
  const log = path.join(dir, 'serve.log');
  const out = fs.openSync(log, 'a');
  const started = Date.now();
  const child = spawn(binary, [...args, 'serve', '--bind', `127.0.0.1:${port}`], {stdio: ['ignore', out, out], env: {...process.env, ...env}});
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
  const origin = `${scheme}://127.0.0.1:${port}`;
  console.log(`# resync-mon serve (pid ${child.pid}) listening at ${origin} after ${Date.now() - started} ms`);
  const stop = async () => {
    const stopping = Date.now();
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
      console.log(`# resync-mon serve (pid ${child.pid}) stopped in ${Date.now() - stopping} ms:`, exited);
    }
    fs.rmSync(dir, {recursive: true, force: true});
    return exited;
  };
  // Never leave a server behind, even when the runner is interrupted.
  process.once('exit', () => {
    if (!exited) process.kill(child.pid, 'SIGKILL');
  });
  return {origin, pid: child.pid, stop, readLog, configFile: config ? file : null};
}

// Everything a page asks for, and everything it complains about.
export function watch(page) {
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

export function assertStaysOnTheServer(seen, origin) {
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

export const text = (page, selector) => page.locator(selector).innerText();

export async function numberIn(page, selector) {
  await page.waitForFunction((sel) => /\d/.test(document.querySelector(sel)?.textContent || ''), selector,
                             {timeout: 15000});
  const value = (await text(page, selector)).trim();
  assert.match(value, NUMBER, `${selector} should be a number, got "${value}"`);
  return Number(value.replaceAll(',', ''));
}

// Resolves when the text of `selector` differs from what it is now; returns both.
export async function changeOf(page, selector, timeout) {
  const before = (await text(page, selector)).trim();
  await page.waitForFunction(([sel, old]) => document.querySelector(sel).textContent.trim() !== old,
                             [selector, before], {timeout});
  return {before, after: (await text(page, selector)).trim()};
}

// Pixels of a chart's canvas in the colour of its first series: proof a line was drawn from data,
// not just axes on an empty plot.
export function seriesPixels(page, chartId) {
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

export function artifactPath(name) {
  const dir = opts.artifacts || path.join(os.tmpdir(), 'resync-artifacts');
  fs.mkdirSync(dir, {recursive: true});
  return path.join(dir, name);
}

export async function screenshot(page, name) {
  const file = artifactPath(name);
  const started = Date.now();
  await page.screenshot({path: file});
  console.log(`# screenshot ${file} in ${Date.now() - started} ms`);
  return file;
}
