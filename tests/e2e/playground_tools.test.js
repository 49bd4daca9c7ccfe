'use strict';
// The playground page with a fake upstream, in headless Chromium: the model field's
// suggestions come from the upstream's /v1/models; a file_search answer shows its citation as
// a numbered reference with the cited file's name; a code_interpreter chart (a real sandbox
// run: matplotlib saving a PNG) shows inline, and a CSV the code wrote is a download link;
// hostile model ids, file and store names and tool output stay text. Screenshots land in
// build/artifacts/.

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { toFile } = require('openai');
const { useUpstreamServer } = require('./lib/harness');
const { useBrowser, XSS, assertNoInjection } = require('./lib/browser');
const { settled } = require('./lib/util');

const searchCall = (query) => ({ toolCalls: [{ name: 'file_search', arguments: { query } }] });
const codeCall = (code) => ({ toolCalls: [{ name: 'code_interpreter', arguments: { code } }] });

const CHART = [
  'import matplotlib',
  "matplotlib.use('Agg')",
  'import matplotlib.pyplot as plt',
  'plt.plot([1, 4, 9])',
  "plt.savefig('/mnt/data/chart.png')",
  'plt.close()',
  "open('/mnt/data/squares.csv', 'w').write('x,y\\n1,1\\n2,4\\n3,9\\n')",
  "print('saved')",
].join('\n');

describe('playground page: tools with an upstream', () => {
  const { srv, it, up } = useUpstreamServer();
  const browser = useBrowser();
  let p;

  // Opens the chat panel on a new thread with the assistant named name and sends text.
  async function ask(name, text) {
    await p.page.click('nav button[data-panel=chat]');
    await p.page.waitForSelector(`#chat-asst option:has-text("${name}")`, { state: 'attached' });
    await p.page.selectOption('#chat-asst', { label: name });
    await p.page.click('#thread-new');
    await p.page.fill('#chat-text', text);
    await p.page.click('#send');
    await p.page.waitForSelector('.usage:has-text("completed")');
    return p.page.locator('#messages li.assistant').last();
  }

  it('suggests the upstream\'s models in the model field', async () => {
    up().scriptModels({ data: [{ id: 'up-large', object: 'model', created: 1, owned_by: 'o' },
      { id: 'up-small', object: 'model', created: 1, owned_by: 'o' },
      { id: XSS, object: 'model', created: 1, owned_by: XSS }] });
    p = await browser().page(srv().port);
    await p.open();
    await p.page.waitForSelector('#model-list option[value="up-small"]', { state: 'attached' });
    const options = await p.page.$$eval('#model-list option', (o) => o.map((x) => x.value));
    assert.deepEqual(options, ['up-large', 'up-small', XSS]);
    await assertNoInjection(p);
    assert.equal(await p.page.inputValue('#asst-edit input[name=model]'), 'up-large');
    assert.equal(await p.page.getAttribute('#asst-edit input[name=model]', 'list'), 'model-list');
  });

  it('shows a file_search citation as a numbered reference with the file\'s name', async () => {
    const c = srv().client();
    const f = await c.files.create({ file: await toFile(Buffer.from(
      'The cafe opens at nine and closes at six.\n'), 'cafe-hours.txt'), purpose: 'assistants' });
    const vs = await c.vectorStores.create({ name: 'cafe', file_ids: [f.id] });
    await settled(c, vs.id);
    await c.beta.assistants.create({ model: 'up-large', name: 'Librarian',
      tools: [{ type: 'file_search' }],
      tool_resources: { file_search: { vector_store_ids: [vs.id] } } });
    up().script([searchCall('cafe opening hours'),
      { text: 'The cafe opens at nine 【0:0†cafe-hours.txt】.' }]);
    await p.page.reload();
    await p.page.waitForSelector('body[data-ready="assistants"]');
    const bubble = await ask('Librarian', 'When does the cafe open?');
    await bubble.locator('ol.refs li:has-text("cafe-hours.txt")').waitFor();
    assert.equal(await bubble.locator('sup.cite').textContent(), '[1]');
    assert.match(await bubble.locator('.md').textContent(), /^The cafe opens at nine \[1\]\.$/);
    assert.deepEqual(await bubble.locator('ol.refs li').allTextContents(), ['cafe-hours.txt']);
    await p.page.locator('#inspector summary').click();
    await p.page.waitForSelector('#steps .step:has-text("file_search")');
    assert.match(await p.page.locator('#steps').textContent(), /cafe-hours\.txt · score/);
    // The result's content, fetched through include[].
    await p.page.waitForSelector('#steps pre.out:has-text("The cafe opens at nine and closes")');
    await p.shot('playground-citation');
  });

  it('shows a code_interpreter chart inline and a written file as a download', async () => {
    await srv().client().beta.assistants.create({ model: 'up-large', name: 'Analyst',
      tools: [{ type: 'code_interpreter' }] });
    up().script([codeCall(CHART),
      { text: 'Here is the chart; the numbers are in [squares](sandbox:/mnt/data/squares.csv).' }]);
    await p.page.reload();
    await p.page.waitForSelector('body[data-ready="assistants"]');
    const bubble = await ask('Analyst', 'Plot the squares');
    const img = bubble.locator('img.msg-img');
    await p.page.waitForFunction((el) => el.complete && el.naturalWidth > 0,
      await img.elementHandle());
    assert.ok(await img.evaluate((el) => el.naturalWidth) > 100, 'a real chart');
    assert.match(await img.getAttribute('src'), /^blob:/);
    assert.match(await bubble.locator('.md').textContent(), /numbers are in squares\[1\]\.$/);
    assert.equal(await bubble.locator('.md a').count(), 0, 'no link to a sandbox: URL');
    const link = bubble.locator('ol.refs a:has-text("squares.csv")');
    await link.waitFor();
    const [download] = await Promise.all([p.page.waitForEvent('download'), link.click()]);
    assert.equal(download.suggestedFilename(), 'squares.csv');
    assert.equal(fs.readFileSync(await download.path(), 'utf8'), 'x,y\n1,1\n2,4\n3,9\n');
    await p.page.locator('#inspector summary').click(); // closed since the reload
    await p.page.waitForSelector('#steps pre.out:has-text("plt.savefig(\'/mnt/data/chart.png\')")');
    await p.page.waitForSelector('#steps pre.out:text-is("saved")');
    assert.ok(await p.page.locator('#steps img.msg-img').count() >= 1, 'the chart in the step');
    await link.scrollIntoViewIfNeeded();
    await p.shot('playground-code-interpreter');
  });

  it('shows hostile file names and tool output as text', async () => {
    const c = srv().client();
    // A file's name is what follows its last slash, so the payload goes without its slashes
    // (and the form encoding turns its quotes into %22).
    const NAME = XSS.replaceAll('/', '');
    const f = await c.files.create({ file: await toFile(Buffer.from('Hostile but true.\n'),
      `${NAME}.txt`), purpose: 'assistants' });
    const vs = await c.vectorStores.create({ name: XSS, file_ids: [f.id] });
    await settled(c, vs.id);
    await c.beta.assistants.create({ model: 'up-large', name: 'Hostile',
      tools: [{ type: 'file_search' }, { type: 'code_interpreter' }],
      tool_resources: { file_search: { vector_store_ids: [vs.id] } } });
    up().script([searchCall('hostile'), codeCall(`print(${JSON.stringify(XSS)})`),
      { text: `Cited 【0:0†${NAME}.txt】 and ${XSS}` }]);
    await p.page.reload();
    await p.page.waitForSelector('body[data-ready="assistants"]');
    const bubble = await ask('Hostile', 'Go');
    assert.match(f.filename, /^<img src=x .*<script>/);
    await bubble.locator('ol.refs li', { hasText: f.filename }).waitFor();
    await p.page.locator('#inspector summary').click(); // closed since the reload
    await p.page.waitForSelector('#steps pre.out:has-text("window.__xss=2")');
    assert.match(await p.page.locator('#steps').textContent(), /img src=x.*\.txt · score/);
    await p.page.click('nav button[data-panel=storage]');
    await p.page.locator('#vs-list li', { hasText: XSS }).waitFor();
    await assertNoInjection(p);
    await p.shot('playground-xss-tools');
  });

  it('reported no script errors and no CSP violations', async () => {
    assert.deepEqual(p.problems, []);
  });
});
