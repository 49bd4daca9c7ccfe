'use strict';
// browser.js - headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, for
// the playground page's tests. Every page records console errors, page errors, CSP
// violations and dialogs; screenshots go to build/artifacts/.
//
//   const browser = useBrowser();        // one browser per describe block: browser() is it
//   const b = await launch();            // or by hand
//   const p = await b.page(srv.port);    // a fresh context (its own sessionStorage)
//   await p.shot('name');                // build/artifacts/name.png
//   await b.close();

const assert = require('node:assert/strict');
const { before, after } = require('node:test');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { REPO } = require('./server');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = path.join(REPO, 'build', 'artifacts');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function chromiumExists() { return fs.existsSync(CHROMIUM); }

// An XSS payload: it sets window.__xss or adds an element with the marker class if it ever
// runs or becomes markup.
const XSS = '<img src=x class=xss-marker onerror="window.__xss=1"><script>window.__xss=2</script>';

// Fails when a payload ran or became an element in page p (a wrapPage result).
async function assertNoInjection(p) {
  const r = await p.page.evaluate(() => ({
    xss: window.__xss,
    markers: document.querySelectorAll('.xss-marker, img[src="x"]').length,
    scripts: [...document.scripts].map((s) => s.getAttribute('src')),
  }));
  assert.equal(r.xss, undefined, 'an injected script ran');
  assert.equal(r.markers, 0, 'an injected element exists');
  assert.deepEqual(r.scripts, ['app.js'], 'only the page\'s own script element exists');
}

async function launch() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assistd-chromium-'));
  const ctx0 = await chromium.launchPersistentContext(dir, {
    // --headless is in ARGS itself (Playwright's own adds more flags)
    executablePath: CHROMIUM, headless: false, args: ARGS,
  });
  const browser = ctx0.browser() || null;
  return {
    async page(port, opts = {}) {
      // each page gets its own incognito-like context through a fresh persistent one is costly;
      // new pages share cookies but not sessionStorage (per tab), which is all the page keeps
      const page = await ctx0.newPage();
      if (opts.viewport) await page.setViewportSize(opts.viewport);
      return wrapPage(page, port);
    },
    async close() {
      await ctx0.close();
      if (browser) await browser.close().catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Launches a browser before the enclosing describe block's tests and closes it after them;
// returns a getter for it.
function useBrowser() {
  let b = null;
  before(async () => {
    assert.ok(chromiumExists(), 'Chromium is missing: scripts/deps.sh installs it');
    b = await launch();
  });
  after(async () => { if (b) await b.close(); });
  return () => b;
}

function wrapPage(page, port) {
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('dialog', (d) => d.accept());
  return {
    page,
    problems,
    url: `http://127.0.0.1:${port}/`,
    async open() {
      await page.goto(this.url);
      await page.waitForSelector('body[data-ready="assistants"]');
    },
    async shot(name) {
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
    },
  };
}

module.exports = { launch, useBrowser, chromiumExists, ARTIFACTS, XSS, assertNoInjection };
