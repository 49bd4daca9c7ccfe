'use strict';
// The playground page (web/, served at /): its delivery (ETag and 304, gzip, CSP, no inline
// script) and, in headless Chromium, what a person does with it: create an assistant with a
// function and file_search, upload into its vector store, edit and delete one, upload a file,
// inspect and delete a vector store, chat and watch the reply grow, add messages with
// attachments, open the steps, answer a function call, cancel a slow run, use the threads
// list, read the logs, type a key, use the keyboard alone and a phone-width screen. XSS
// payloads go through every place the page shows text. Screenshots land in build/artifacts/.

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const zlib = require('node:zlib');
const { useServer } = require('./lib/harness');
const { rawRequest } = require('./lib/server');
const { useBrowser, XSS, assertNoInjection } = require('./lib/browser');

// Console errors other than the failed fetches the page handles (the wrong key's 401, a 404
// for a thread deleted meanwhile).
const notFound = (x) => !/status of 40[14]/.test(x);

function get(port, path, headers = {}) {
  return rawRequest(port, 'GET', path, { headers, apiKey: null });
}

// The body's bytes as sent (node:http does not inflate).
function getBytes(port, path, headers) {
  const http = require('node:http');
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, headers }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
        body: Buffer.concat(parts) }));
    }).on('error', reject);
  });
}

describe('playground page: delivery', () => {
  const { srv, it } = useServer();

  it('GET / is the page, with a strict CSP, ETag, Cache-Control and no inline script', async () => {
    const r = await get(srv().port, '/');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^text\/html/);
    const csp = r.headers['content-security-policy'];
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /default-src 'none'/);
    assert.match(r.headers.etag, /^"[0-9a-f]{16}"$/);
    assert.equal(r.headers['cache-control'], 'no-cache');
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.match(r.text, /<script type="module" src="app.js"><\/script>/);
    assert.equal((r.text.match(/<script/g) || []).length, 1, 'one script element, with src');
    assert.doesNotMatch(r.text, /\son[a-z]+=/i, 'no inline event handlers');
    assert.doesNotMatch(r.text, /<style|style=/i, 'no inline style');
  });

  it('answers 304 to If-None-Match with the current ETag, 200 to another', async () => {
    const first = await get(srv().port, '/app.js');
    assert.equal(first.status, 200);
    assert.match(first.headers['content-type'], /^text\/javascript/);
    const again = await get(srv().port, '/app.js', { 'If-None-Match': first.headers.etag });
    assert.equal(again.status, 304);
    assert.equal(again.text, '');
    assert.equal(again.headers.etag, first.headers.etag);
    const stale = await get(srv().port, '/app.js', { 'If-None-Match': '"0000000000000000"' });
    assert.equal(stale.status, 200);
  });

  it('sends gzip when accepted, the same bytes once inflated', async () => {
    const plain = await get(srv().port, '/chat.js');
    const gz = await getBytes(srv().port, '/chat.js', { 'Accept-Encoding': 'gzip' });
    assert.equal(gz.status, 200);
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gz.headers.vary, 'Accept-Encoding');
    assert.notEqual(gz.headers.etag, plain.headers.etag);
    assert.ok(gz.body.length < Buffer.byteLength(plain.text) / 2, 'compressed');
    assert.equal(zlib.gunzipSync(gz.body).toString(), plain.text);
    assert.equal(plain.headers['content-encoding'], undefined);
  });

  it('an unknown file is a 404 in the error envelope; /v1 still needs its routes', async () => {
    const r = await get(srv().port, '/nope.js');
    assert.equal(r.status, 404);
    assert.equal(JSON.parse(r.text).error.type, 'invalid_request_error');
    const api = await get(srv().port, '/v1/nope');
    assert.equal(api.status, 404);
  });
});

describe('playground page: in a browser', () => {
  const { srv, it } = useServer({ args: ['--demo-delay-ms', '30'] });
  const browser = useBrowser();
  let p;

  const click = (sel) => p.page.click(sel);
  const panel = (name) => click(`nav button[data-panel=${name}]`);

  it('opens at / with the assistant list; the model field suggests the demo model', async () => {
    p = await browser().page(srv().port);
    await p.open();
    assert.equal(await p.page.locator('#asst-edit h2').textContent(), 'New assistant');
    await p.page.waitForSelector('#model-list option[value="assistd-demo"]', { state: 'attached' });
    assert.equal(await p.page.inputValue('#asst-edit input[name=model]'), 'assistd-demo');
  });

  it('creates an assistant with a function and file_search on a vector store', async () => {
    const vs = await srv().client().vectorStores.create({ name: 'docs' });
    await p.page.reload();
    await p.page.waitForSelector('body[data-ready="assistants"]');
    await p.page.waitForSelector(`select[name=vector_store] option[value="${vs.id}"]`, { state: 'attached' });
    await p.page.fill('input[name=name]', 'Weather');
    await p.page.fill('textarea[name=instructions]', 'Be brief.');
    await p.page.check('input[name=file_search]');
    await p.page.selectOption('select[name=vector_store]', vs.id);
    await p.page.fill('textarea[name=functions]', '[{"name": "get weather"}]');
    await click('#asst-edit button[type=submit]');
    await p.page.waitForSelector('#asst-edit .err:has-text("needs a name")');
    await p.page.fill('textarea[name=functions]', JSON.stringify([{ name: 'get_weather',
      parameters: { type: 'object', properties: { city: { type: 'string' } } } }]));
    await click('#asst-edit button[type=submit]');
    await p.page.waitForSelector('#asst-list li:has-text("Weather")');
    const list = await srv().client().beta.assistants.list();
    const a = list.data.find((x) => x.name === 'Weather');
    assert.ok(a, 'the assistant exists');
    assert.deepEqual(a.tools.map((t) => t.type).sort(), ['file_search', 'function']);
    assert.equal(a.tools.find((t) => t.type === 'function').function.name, 'get_weather');
    assert.deepEqual(a.tool_resources.file_search.vector_store_ids, [vs.id]);
    assert.equal(a.instructions, 'Be brief.');
    await p.shot('playground-assistant');
  });

  it('uploads into the assistant\'s vector store, showing the files\' status', async () => {
    await p.page.waitForSelector('#asst-edit h2:has-text("Edit Weather")');
    await p.page.setInputFiles('#asst-edit input[type=file]', { name: 'policy.txt',
      mimeType: 'text/plain', buffer: Buffer.from('Refunds within 30 days.') });
    // Listed at once (in_progress or already completed), redrawn until it is indexed.
    await p.page.waitForSelector('#asst-edit .vs-files li:has-text("policy.txt · completed")');
    const vs = await p.page.inputValue('select[name=vector_store]');
    const files = (await srv().client().vectorStores.files.list(vs)).data;
    assert.deepEqual(files.map((f) => f.status), ['completed']);
  });

  it('uploads a file in the Storage panel', async () => {
    await panel('storage');
    await p.page.setInputFiles('#file-upload', { name: 'notes.txt', mimeType: 'text/plain',
      buffer: Buffer.from('The cafe opens at nine.') });
    await p.page.waitForSelector('#file-list li:has-text("notes.txt")');
    const files = await srv().client().files.list();
    assert.ok(files.data.some((f) => f.filename === 'notes.txt'));
  });

  it('inspects a vector store: ingestion status, counts, chunks; deletes it', async () => {
    await p.page.fill('#vs-name', 'Shelf');
    await click('#vs-new button[type=submit]');
    await p.page.waitForSelector('#vs-detail h3:has-text("Shelf")');
    await p.page.selectOption('#vs-detail select[aria-label="File to add"]',
      { label: 'notes.txt' });
    await click('#vs-detail button:has-text("Add file")');
    // The view redraws itself while the file is being ingested.
    await p.page.waitForSelector('#vs-detail p:has-text("1 completed, 0 in progress")');
    assert.match(await p.page.locator('#vs-detail li').textContent(), /notes\.txt · completed/);
    await click('#vs-detail button:has-text("Chunks")');
    await p.page.waitForSelector('#vs-chunks pre:has-text("The cafe opens at nine.")');
    await p.shot('playground-vector-store');
    const [vs] = (await srv().client().vectorStores.list()).data.filter((x) => x.name === 'Shelf');
    await click('#vs-list button[aria-label="Delete vector store Shelf"]');
    await p.page.locator('#vs-list li:has-text("Shelf")').waitFor({ state: 'detached' });
    await assert.rejects(srv().client().vectorStores.retrieve(vs.id), /404/);
  });

  it('chats: the reply grows word by word, then shows the run\'s usage', async () => {
    await panel('chat');
    await p.page.waitForSelector('#chat-asst option:has-text("Weather")', { state: 'attached' });
    await p.page.fill('#chat-text', 'demo:slow one two three four five six');
    await click('#send');
    const bubble = p.page.locator('#messages li.assistant').last();
    await bubble.locator('text=You said').waitFor();
    const early = await bubble.textContent();
    assert.doesNotMatch(early, /six/, `the first render is part of the reply: ${early}`);
    await p.page.waitForSelector('.usage:has-text("completed")');
    assert.match(await bubble.textContent(), /You said: demo:slow one two three four five six/);
    assert.match(await p.page.locator('.usage').last().textContent(), /tokens: \d+ in, \d+ out/);
    await p.shot('playground-chat');
  });

  it('opens the run inspector with the run\'s steps', async () => {
    await p.page.locator('#inspector summary').click();
    await p.page.waitForSelector('#steps .step:has-text("message_creation")');
    assert.match(await p.page.locator('#steps').textContent(), /completed/);
  });

  it('answers a function call through the requires_action form', async () => {
    await p.page.fill('#chat-text', 'call get_weather {"city":"Paris"}');
    await click('#send');
    const out = p.page.locator('#action textarea');
    await out.waitFor();
    assert.match(await p.page.locator('#action').textContent(), /get_weather\(\{"city":"Paris"\}\)/);
    await out.fill('22C and sunny');
    await click('#action button[type=submit]');
    await p.page.waitForSelector('#messages li.assistant:has-text("Tool get_weather returned: 22C and sunny")');
    await p.page.waitForSelector('#steps .step:has-text("function get_weather")');
    await p.shot('playground-function');
  });

  it('cancels a slow run', async () => {
    await p.page.fill('#chat-text', `demo:slow ${'word '.repeat(60)}`);
    await click('#send');
    await p.page.locator('#cancel').waitFor();
    await p.page.locator('#messages li.assistant:has-text("You said")').last().waitFor();
    await click('#cancel');
    await p.page.waitForSelector('.usage:has-text("cancelled")');
    assert.equal(await p.page.locator('#cancel').isHidden(), true);
  });

  it('lists threads, opens one and deletes one', async () => {
    const t = await srv().client().beta.threads.create({
      messages: [{ role: 'user', content: 'from the SDK' }] });
    await panel('assistants');
    await panel('chat');
    const row = p.page.locator('#thread-list li', { hasText: t.id });
    await row.locator('button').first().click();
    await p.page.waitForSelector('#messages li.user:has-text("from the SDK")');
    await row.locator('button[aria-label^="Delete"]').click();
    await row.waitFor({ state: 'detached' });
    await assert.rejects(srv().client().beta.threads.retrieve(t.id), /404/);
  });

  it('adds messages without a run: as the assistant, and with an attached file', async () => {
    await click('#thread-new');
    await p.page.selectOption('#chat-role', 'assistant');
    await p.page.fill('#chat-text', 'A note from the assistant');
    await click('#add-only');
    await p.page.waitForSelector('#messages li.assistant:has-text("A note from the assistant")');
    await p.page.selectOption('#chat-role', 'user');
    await p.page.fill('#chat-text', 'Read this');
    await p.page.setInputFiles('#chat-files', { name: 'data.csv', mimeType: 'text/csv',
      buffer: Buffer.from('a,b\n1,2\n') });
    await p.page.check('#chat-ci');
    await click('#add-only');
    const li = p.page.locator('#messages li.user:has-text("Read this")');
    await li.waitFor();
    assert.match(await li.textContent(), /Attached: file-\w+ \(code_interpreter\)/);
    const thread = await p.page.locator('#thread-title').textContent();
    const c = srv().client();
    const msgs = (await c.beta.threads.messages.list(thread, { order: 'asc' })).data;
    assert.deepEqual(msgs.map((m) => m.role), ['assistant', 'user']);
    assert.deepEqual(msgs[1].attachments[0].tools, [{ type: 'code_interpreter' }]);
    assert.equal((await c.files.retrieve(msgs[1].attachments[0].file_id)).filename, 'data.csv');
    assert.equal((await c.beta.threads.runs.list(thread)).data.length, 0, 'no run started');
  });

  it('shows hostile text as text: assistant name, message, file name, tool output', async () => {
    const c = srv().client();
    const a = await c.beta.assistants.create({ model: 'gpt-4o', name: XSS, tools: [{
      type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }] });
    const f = await c.files.create({ file: new File(['x'], `${XSS}.txt`), purpose: 'assistants' });
    await p.page.reload();
    await p.page.waitForSelector('body[data-ready="assistants"]');
    assert.ok((await p.page.locator('#asst-list').textContent()).includes(XSS));
    await panel('storage');
    await p.page.waitForSelector(`#file-list li:has-text("${f.id}")`);
    await panel('chat');
    await p.page.selectOption('#chat-asst', a.id);
    await click('#thread-new');
    await p.page.fill('#chat-text', `call f\n${XSS}\n[link](javascript:alert(1)) **${XSS}**`);
    await click('#send');
    const out = p.page.locator('#action textarea');
    await out.waitFor();
    await out.fill(XSS);
    await click('#action button[type=submit]');
    await p.page.waitForSelector('#messages li.assistant:has-text("Tool f returned")');
    await p.page.locator('#inspector summary').click(); // closed since the reload
    await p.page.waitForSelector('#steps .step:has-text("function f")');
    assert.ok((await p.page.locator('#messages').textContent()).includes(XSS));
    assert.equal(await p.page.locator('#messages a[href^="javascript"]').count(), 0);
    await assertNoInjection(p);
    await p.shot('playground-xss');
  });

  it('works with the keyboard alone: Tab to the composer, Ctrl+Enter sends', async () => {
    await p.page.focus('#chat-text');
    await p.page.keyboard.type('typed only');
    await p.page.keyboard.press('Control+Enter');
    await p.page.waitForSelector('#messages li.user:has-text("typed only")');
    await p.page.keyboard.press('Shift+Tab');
    const focused = await p.page.evaluate(() => document.activeElement.tagName);
    assert.notEqual(focused, 'BODY', 'focus moves between controls');
  });

  it('fits a phone-width screen without sideways scrolling', async () => {
    const phone = await browser().page(srv().port, { viewport: { width: 390, height: 844 } });
    await phone.open();
    await phone.page.click('nav button[data-panel=chat]');
    await phone.page.waitForSelector('#thread-list li');
    const shown = await phone.page.evaluate(() =>
      [...document.querySelectorAll('.panel')].filter((x) => x.offsetParent).map((x) => x.id));
    assert.deepEqual(shown, ['chat'], 'one panel at a time');
    const w = await phone.page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(w <= 390, `page is ${w}px wide at 390px`);
    await phone.shot('playground-phone');
    assert.deepEqual(phone.problems.filter(notFound), []);
    await phone.page.close();
  });

  it('edits an assistant (sampling, JSON schema, metadata, files) and deletes one', async () => {
    const c = srv().client();
    await c.beta.assistants.create({ model: 'assistd-demo', name: 'Editable' });
    await c.beta.assistants.create({ model: 'assistd-demo', name: 'Doomed' });
    await panel('assistants');
    await click('#asst-new'); // redraws the list
    await click('#asst-list li:has-text("Editable") button >> nth=0');
    await p.page.waitForSelector('#asst-edit h2:has-text("Edit Editable")');
    await p.page.fill('input[name=temperature]', '0.4');
    await p.page.fill('input[name=top_p]', '0.9');
    await p.page.selectOption('select[name=response_format]', 'json_schema');
    await p.page.fill('textarea[name=json_schema]', '{"name": "answer",');
    await click('#asst-edit button[type=submit]');
    await p.page.waitForSelector('#asst-edit .err:has-text("JSON schema is not valid JSON")');
    await p.page.fill('textarea[name=json_schema]', JSON.stringify({ name: 'answer', strict: true,
      schema: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'],
        additionalProperties: false } }));
    await p.page.fill('textarea[name=metadata]', '{"team": "blue"}');
    await p.page.check('input[name=code_interpreter]');
    await p.page.setInputFiles('#asst-edit fieldset:has-text("code_interpreter") input[type=file]',
      { name: 'temps.csv', mimeType: 'text/csv', buffer: Buffer.from('city,t\nOslo,4\n') });
    await p.page.waitForFunction(() => /^file-\w+$/.test(
      document.querySelector('input[name=ci_files]').value));
    await click('#asst-edit button[type=submit]');
    await p.page.waitForSelector('#status:has-text("Saved")');
    const a = (await c.beta.assistants.list()).data.find((x) => x.name === 'Editable');
    assert.equal(a.temperature, 0.4);
    assert.equal(a.top_p, 0.9);
    assert.equal(a.response_format.type, 'json_schema');
    assert.equal(a.response_format.json_schema.name, 'answer');
    assert.deepEqual(a.metadata, { team: 'blue' });
    assert.ok(a.tools.some((t) => t.type === 'code_interpreter'));
    const [ciFile] = a.tool_resources.code_interpreter.file_ids;
    assert.equal((await c.files.retrieve(ciFile)).filename, 'temps.csv');
    const doomed = (await c.beta.assistants.list()).data.find((x) => x.name === 'Doomed');
    await click('#asst-list button[aria-label="Delete Doomed"]');
    await p.page.locator('#asst-list li:has-text("Doomed")').waitFor({ state: 'detached' });
    await assert.rejects(c.beta.assistants.retrieve(doomed.id), /404/);
  });

  it('lists every API call the page made in the Logs panel, failures marked', async () => {
    await panel('logs');
    const rows = p.page.locator('#log-rows tr');
    await rows.first().waitFor();
    const text = await p.page.locator('#log-rows').textContent();
    assert.match(text, /GET\/assistants\?order=desc&limit=100200\d+/);
    assert.match(text, /DELETE\/assistants\/asst_\w+200/);
    // A call made while the panel is shown appears at the top, a failure in red.
    await p.page.evaluate(() => import('./api.js').then((a) => a.get('/models/nope')
      .catch(() => {})));
    await p.page.waitForSelector('#log-rows tr:first-child td.fail:has-text("404")');
    assert.match(await rows.first().textContent(), /GET\/models\/nope404\d+$/);
  });

  it('reported no script errors and no CSP violations', async () => {
    assert.deepEqual(p.problems.filter(notFound), []);
  });
});

describe('playground page: with API keys', () => {
  const { srv, it } = useServer({ keys: ['alpha'] });
  const browser = useBrowser();

  it('serves the page without a key; everything else still needs one', async () => {
    assert.equal((await get(srv().port, '/')).status, 200);
    assert.equal((await get(srv().port, '/app.js')).status, 200);
    assert.equal((await get(srv().port, '/metrics')).status, 401);
    assert.equal((await get(srv().port, '/v1/assistants')).status, 401);
    assert.equal((await get(srv().port, '/nope.js')).status, 401);
  });

  it('asks for a key on 401 and keeps it in sessionStorage only', async () => {
    await srv().client(srv().keys.alpha).beta.assistants.create({ model: 'gpt-4o', name: 'Keyed' });
    const p = await browser().page(srv().port);
    await p.page.goto(p.url);
    await p.page.waitForSelector('#key-dialog[open]');
    await p.page.fill('#key-input', 'sk-wrong');
    await p.page.click('#key-form button[value=ok]');
    await p.page.waitForSelector('#status.bad');
    // The page's first two calls are both refused; hold the second's 401 until the key is
    // typed into the dialog the first one opened: the typing must survive it.
    let release;
    const held = new Promise((r) => { release = r; });
    await p.page.route((u) => u.pathname === '/v1/assistants', async (route) => {
      await held;
      await route.continue();
    });
    await p.page.reload();
    await p.page.waitForSelector('#key-dialog[open]');
    await p.page.fill('#key-input', srv().keys.alpha);
    const refused = p.page.waitForResponse((r) =>
      r.url().includes('/v1/assistants') && r.status() === 401);
    release();
    await refused;
    await p.page.evaluate(() => new Promise((r) => setTimeout(r, 100))); // the page has seen it
    assert.equal(await p.page.inputValue('#key-input'), srv().keys.alpha);
    await p.page.click('#key-form button[value=ok]');
    await p.page.waitForSelector('#asst-list li:has-text("Keyed")');
    const stored = await p.page.evaluate(() => ({
      session: sessionStorage.getItem('assistd.key'), local: localStorage.length,
      cookie: document.cookie }));
    assert.equal(stored.session, srv().keys.alpha);
    assert.equal(stored.local, 0);
    assert.equal(stored.cookie, '');
    await p.shot('playground-key');
  });
});
