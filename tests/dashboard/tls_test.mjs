// SPDX-License-Identifier: MIT
// The dashboard over HTTPS and wss in real headless Chromium: a CA and a server certificate made
// here by the openssl command line, `resync-mon serve` with server.tls, and Chromium trusting
// exactly that certificate's key (--ignore-certificate-errors-spki-list), no other. Run by ctest
// (dashboard_tls_test); the options are those of helpers.mjs.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';

import {VIEWPORT, assertStaysOnTheServer, changeOf, launchBrowser, numberIn, startServer, watch} from './helpers.mjs';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resync-dashboard-tls-'));
const sh = (script) => execFileSync('bash', ['-c', script], {cwd: dir, encoding: 'utf8'});

// What docs/operations.md tells an operator to run, with a two-day life.
function makeCertificate() {
  sh(`openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \\
        -days 2 -subj '/CN=resync-mon test CA' 2>/dev/null
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem -out cert.csr \\
        -subj '/CN=localhost' 2>/dev/null
      printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth\\n' > cert.ext
      openssl x509 -req -in cert.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out cert.pem \\
        -extfile cert.ext 2>/dev/null`);
  // The base64 SHA-256 of the certificate's public key, as Chromium's pin list wants it.
  return sh(`openssl x509 -in cert.pem -pubkey -noout | openssl pkey -pubin -outform der |
             openssl dgst -sha256 -binary | base64`).trim();
}

let server = null;
let browser = null;

before(async () => {
  const spki = makeCertificate();
  server = await startServer([
    'server:',
    `  tls: {cert_file: ${JSON.stringify(path.join(dir, 'cert.pem'))}, key_file: ${JSON.stringify(path.join(dir, 'key.pem'))}}`,
    'collectors:', '  - {plugin: system}',
  ], null, {scheme: 'https'});
  browser = await launchBrowser([`--ignore-certificate-errors-spki-list=${spki}`]);
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
  fs.rmSync(dir, {recursive: true, force: true});
});

describe('dashboard over HTTPS', () => {
  test('loads over TLS, goes live on wss and updates on every push', async () => {
    const context = await browser.newContext({viewport: VIEWPORT, locale: 'en-US'});
    try {
      const page = await context.newPage();
      const seen = watch(page);
      const response = await page.goto(server.origin + '/monitoring', {waitUntil: 'load'});
      assert.equal(response.status(), 200);
      const security = await response.securityDetails();
      assert.match(security?.protocol || '', /^TLS 1\.[23]$/, JSON.stringify(security));
      assert.equal(security.subjectName, 'localhost');
      await page.waitForSelector('#conn[data-state="live"]', {timeout: 15000});
      assert.ok(seen.websockets.includes(server.origin.replace(/^https/, 'wss') + '/api/monitoring/ws'),
                `WebSocket URLs: ${JSON.stringify(seen.websockets)}`);
      const cpu = await numberIn(page, '[data-metric="host_cpu_percent"]');
      assert.ok(cpu >= 0 && cpu <= 100, `CPU ${cpu} %`);
      const clock = await changeOf(page, '#last-update', 8000);
      assert.match(clock.after, /^\d\d:\d\d:\d\d$/);
      await changeOf(page, '#last-update', 8000);
      assertStaysOnTheServer(seen, server.origin);
    } finally {
      await context.close();
    }
  });

  test('is refused by a browser that does not trust the certificate', async () => {
    const untrusting = await launchBrowser();
    try {
      const page = await untrusting.newPage();
      await assert.rejects(page.goto(server.origin + '/monitoring'), /ERR_CERT_AUTHORITY_INVALID/);
    } finally {
      await untrusting.close();
    }
  });
});
