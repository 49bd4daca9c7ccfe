'use strict';
// page_load.js - the playground's first load in headless Chromium: bytes on the wire
// (compressed, headers included) and the time from navigation start to an interactive
// assistant list (the page's performance mark "assistants-ready"). Each round is a fresh
// browser context with an empty cache. The floor, measured interleaved in the same run: the
// same navigation to one small static file (app.css), the browser's own cost of a load here.
//
//   node page_load.js PORT ROUNDS   -> one JSON line
const path = require('node:path');
const { chromium } = require(path.join(__dirname, '../../tests/e2e/node_modules/playwright-core'));

const [port, rounds] = [Number(process.argv[2]), Number(process.argv[3] || 10)];
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1,
  Math.floor(p * xs.length))];

async function load(browser, url, ready) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const sizes = [];
  page.on('requestfinished', (r) => sizes.push(r.sizes().then((s) =>
    s.responseBodySize + s.responseHeadersSize)));
  await page.goto(url);
  let ms;
  if (ready) {
    await page.waitForSelector('body[data-ready="assistants"]');
    ms = await page.evaluate(() => performance.getEntriesByName('assistants-ready')[0].startTime);
  } else {
    ms = await page.evaluate(() => performance.getEntriesByType('navigation')[0].loadEventEnd ||
      performance.now());
  }
  const bytes = (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
  await ctx.close();
  return { ms, bytes };
}

(async () => {
  // launch() gives the browser a fresh profile directory of its own; --headless is in ARGS
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: false,
    args: ARGS });
  const base = `http://127.0.0.1:${port}/`;
  const page = [], floor = [];
  let bytes = 0;
  await load(browser, base, true); // warm the server and the browser once
  for (let i = 0; i < rounds; i++) {
    const r = await load(browser, base, true);
    page.push(r.ms);
    bytes = r.bytes;
    floor.push((await load(browser, `${base}app.css`, false)).ms);
  }
  await browser.close();
  console.log(JSON.stringify({ bytes, p50: pct(page, 0.5), p90: pct(page, 0.9),
    floor_p50: pct(floor, 0.5), rounds }));
})().catch((e) => { console.error(e); process.exit(1); });
