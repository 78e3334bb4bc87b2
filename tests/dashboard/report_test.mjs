// SPDX-License-Identifier: MIT
// The static HTML report in real headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core), opened from disk with JavaScript off and every request but the file itself
// blocked. Two reports: the test fixture rendered in process (every bundled plugin's series, a
// spike, a gap, alerts, collector health) and `resync-mon report --state` over the same samples.
// Run by ctest (report_browser_test):
//   node report_test.mjs --binary build/resync-mon --sample build/tests/views/html_report_sample
//        --node-dir build/tests/dashboard/node --artifacts build/tests/artifacts
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import {createRequire} from 'node:module';
import os from 'node:os';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {after, before, describe, test} from 'node:test';
import {parseArgs} from 'node:util';

const CHROMIUM = '/usr/bin/chromium';
// BUILD-NOTES: what headless Chromium needs as root in a container, and nothing that phones home.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const VIEWPORT = {width: 1280, height: 900};
const CARDS = ['card-status', 'card-api-requests', 'card-api-error-rate', 'card-api-latency', 'card-cache-cache',
  'card-agents-agents', 'card-tws-workload-automation', 'card-system-host'];

const {values: opts} = parseArgs({
  options: {
    'binary': {type: 'string'},
    'sample': {type: 'string'},
    'node-dir': {type: 'string'},
    'artifacts': {type: 'string'},
  },
});

function requireOption(name) {
  if (!opts[name]) throw new Error(`report_test.mjs: --${name} is required`);
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

function artifactPath(name) {
  const dir = opts.artifacts || path.join(os.tmpdir(), 'resync-artifacts');
  fs.mkdirSync(dir, {recursive: true});
  return path.join(dir, name);
}

// Opens `file` in a fresh context: JavaScript off (the report must need none), every request but
// the file aborted and recorded, console errors collected.
async function open(browser, file, colorScheme) {
  const url = pathToFileURL(file).href;
  const context = await browser.newContext({viewport: VIEWPORT, colorScheme, javaScriptEnabled: false,
                                            locale: 'en-US'});
  const seen = {requests: [], blocked: [], consoleErrors: [], pageErrors: []};
  await context.route(() => true, (route) => {
    const u = route.request().url();
    if (u === url) return route.continue();
    seen.blocked.push(u);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('request', (request) => seen.requests.push(request.url()));
  page.on('console', (message) => {
    if (message.type() === 'error') seen.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => seen.pageErrors.push(error.message));
  await page.goto(url, {waitUntil: 'load'});
  return {context, page, seen, url};
}

// Every chart line with its drawn size: a path that is really there, not an empty plot.
function lines(page) {
  return page.$$eval('svg.plot path.line', (paths) => paths.map((p) => {
    const box = p.getBBox();
    const stroke = getComputedStyle(p).stroke;
    return {width: box.width, height: box.height, length: p.getTotalLength(), stroke,
            chart: p.closest('figure').querySelector('figcaption').textContent};
  }));
}

let browser = null;
let dir = null;
const files = {};

before(async () => {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (scripts/deps --test)`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resync-report-'));
  execFileSync(requireOption('sample'), [dir], {stdio: 'inherit'});
  files.fixture = path.join(dir, 'fixture.html');
  files.cli = path.join(dir, 'cli.html');
  execFileSync(requireOption('binary'), ['report', '--state', path.join(dir, 'state'), '--out', files.cli,
                                         '--minutes', '120', '--title', 'resync-mon report (from the state file)'],
               {stdio: 'inherit'});
  const {chromium} = loadPlaywright();
  browser = await chromium.launch({executablePath: CHROMIUM, args: CHROMIUM_ARGS});
});

after(async () => {
  if (browser) await browser.close();
  if (dir) fs.rmSync(dir, {recursive: true, force: true});
});

for (const [name, colorScheme] of [['fixture', 'light'], ['fixture', 'dark'], ['cli', 'light']]) {
  describe(`report ${name} (${colorScheme})`, () => {
    let opened;

    before(async () => {
      opened = await open(browser, files[name], colorScheme);
    });

    after(async () => {
      if (!opened) return;
      const base = `report-${name}-${colorScheme}`;
      await opened.page.screenshot({path: artifactPath(`${base}.png`)});
      await opened.page.screenshot({path: artifactPath(`${base}-full.png`), fullPage: true});
      if (colorScheme === 'light') {
        await opened.page.emulateMedia({media: 'print'});
        await opened.page.pdf({path: artifactPath(`${base}.pdf`), format: 'A4', printBackground: true});
      }
      console.log(`# screenshots ${artifactPath(base + '.png')} and -full.png`);
      await opened.context.close();
    });

    test('requests nothing but the file and logs no error', () => {
      const {seen, url} = opened;
      assert.ok(seen.requests.includes(url), `the file itself was not seen: ${JSON.stringify(seen.requests)}`);
      assert.deepEqual(seen.requests.filter((u) => u !== url), [], 'requests besides the file');
      assert.deepEqual(seen.blocked, [], 'requests that had to be blocked');
      assert.deepEqual(seen.consoleErrors, [], 'console errors');
      assert.deepEqual(seen.pageErrors, [], 'page errors');
    });

    test('shows every card of the dashboard with values', async () => {
      const {page} = opened;
      for (const id of CARDS) assert.equal(await page.locator(`#${id}`).count(), 1, id);
      assert.equal(await page.locator('.card.off').count(), 0, 'cards marked not configured');
      assert.match(await page.locator('#card-system-host').innerText(), /MiB/);
      assert.match(await page.locator('#card-tws-workload-automation').innerText(), /connected/);
      assert.match(await page.locator('#card-api-latency').innerText(), /ms/);
    });

    test('draws the SVG charts', async () => {
      const drawn = await lines(opened.page);
      // The original dashboard's six charts and the four more the bundled plugins' hints ask for.
      assert.equal(await opened.page.locator('svg.plot').count(), 10);
      assert.ok(drawn.length >= 8, `${drawn.length} lines`);
      for (const l of drawn) {
        assert.ok(l.width > 200, `${l.chart}: ${l.width} wide`);
        assert.ok(l.length > 250, `${l.chart}: ${l.length} long`);
        assert.notEqual(l.stroke, 'none', `${l.chart}: no stroke`);
      }
      // The one-sample spike of the requests chart stands far above the rest of its line.
      const requests = drawn.find((l) => l.chart.startsWith('Requests'));
      assert.ok(requests.height > 80, `requests line ${requests.height} high`);
    });

    test('fits the page without horizontal scrolling', async () => {
      const width = await opened.page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= VIEWPORT.width, `page is ${width} px wide`);
    });
  });
}
