// tokenizer.test.js - the built-in tokenizer (`assistd tokenize`) against the reference,
// gpt-tokenizer (pinned in package.json), on a varied corpus, for both encodings.
//
// The corpus: hand-picked cases (English, code, CJK, emoji, accents and combining marks,
// whitespace runs, numbers, contractions, long runs of one character), this repository's own
// sources and docs, and random mixes of the same pieces from a fixed seed. Every text goes
// through one process per encoding (--split0: texts separated by NUL bytes, one line of ids
// each). Not in the corpus, by design: U+0085 and U+FEFF, where tiktoken (Rust regex \s,
// Unicode White_Space), which assistd follows, and gpt-tokenizer (JavaScript \s) disagree.
// Invalid UTF-8 has no reference (JavaScript strings cannot hold it): the unit tests cover it.
// Then the counts where the API shows them: a demo-model run's usage and max_completion_tokens.
const { describe, it } = require('node:test');
const { useServer } = require('./lib/harness');
const assert = require('node:assert');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const o200k = require('gpt-tokenizer/encoding/o200k_base');
const cl100k = require('gpt-tokenizer/encoding/cl100k_base');

const BIN = process.env.ASSISTD_BIN || path.join(__dirname, '../../build/test/assistd');
const ROOT = path.join(__dirname, '../..');

const HAND = [
  '', 'a', ' ', 'hello world', 'Hello, World!', "I'm sure they'll've done it; it's John's.",
  "DON'T SHOUT: WE'RE HERE, IT'S FINE, YOU'LL SEE", "rock'n'roll o'clock '' 's 't",
  'The quick brown fox jumps over the lazy dog.\n\nNew paragraph.\r\nWindows line.\r\n',
  '    indented\n\tTabbed\n  \n   \n\n\n', 'trailing spaces   ', '   leading', '\n', '\r\n\r\n',
  'a  b   c    d', ' \u00a0\u3000 \u2003x', 'x\u2028y\u2029z', '1234567890', '3.14159 -42 1e10',
  '12,345,678.90 $1,000 50% 0x1F 0b1010', '٣٤٥ ²³ Ⅻ ①②③ ۱۲۳۴', '2024-01-31T12:00:00Z',
  'int main(void) { return printf("%d\\n", x++ >= 0 ? a[i] : b->c); }',
  'def f(x):\n    return [y ** 2 for y in x if y % 2 == 0]  # squares\n',
  'const o = {a: 1, "b": [2, 3], c: null}; // =>\nfoo?.bar ?? baz',
  'https://example.com/path/to/file.html?q=a+b&x=%20#frag', 'a/b/c//d///e', '<|endoftext|>',
  '日本語のテキストです。東京は大きい。', '中文测试，你好世界！', '한국어 텍스트입니다', 'ไทยภาษา',
  'Здравствуй, мир! ПРИВЕТ', 'Γειά σου Κόσμε', 'مرحبا بالعالم', 'שלום עולם', 'नमस्ते दुनिया क्षि',
  'café naïve résumé Ångström Straße ǅemal ǈ', 'e\u0301 a\u0300\u0301\u0302 Z\u0351\u0352\u0353',
  'ʰʲʷ ªº ĳ ﬁ ﬀ', '😀 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 🇫🇷🇩🇪 ❤️ ✨', '😀😀😀😀😀😀', 'émoji😀mixed😀Text',
  'CamelCaseWord HTTPServer getHTTPResponseCode iPhone McDonald', 'ALLCAPS lowercase MiXeD',
  'snake_case_name __init__ kebab-case-name', '!!!???...,,,;;;', '"quoted" «guillemets» „de“',
  '--- *** ___ === ~~~ ```', '$$$ %%% ^^^ &&& |||', '\t\t\t\tx', ' \n \n \n', '\u00a0\u00a0',
  '\u00ad soft hyphen', 'zero\u200bwidth\u200cjoiner\u200d', 'x\u0000y',
];

function longRuns() {
  return [
    'a'.repeat(5000), ' '.repeat(3000), '\n'.repeat(1000), 'ab'.repeat(3000), '1'.repeat(2000),
    '!'.repeat(2000), '日'.repeat(1500), '😀'.repeat(500), 'aaaa bbbb '.repeat(400),
    'x'.repeat(20000), ' '.repeat(999) + 'x', 'A'.repeat(700) + 'a'.repeat(700),
    Buffer.alloc(3000, 'QUJDREVGR0g=').toString(), '\t \t \n'.repeat(300),
  ];
}

const PIECES = [
  'a', 'b', 'z', 'A', 'Q', 'the', ' the', 'The', 'HTTP', 'ing', ' ', '  ', '\t', '\n', '\r',
  '\r\n', '\u00a0', '\u3000', '0', '7', '42', '2024', '.', ',', '!', '?', "'", "'s", "'T",
  "'ll", "'VE", "'re", "'d", "'M", '/', '//', '-', '_', '(', ')', '{', '}', '"', '#', '@', '$',
  '€', '™', '©', 'é', 'É', 'ß', 'ǅ', 'ʰ', 'ª', '\u0301', '\u0308', '日', '本', 'の', 'カ', '한',
  'ก', 'щ', 'Щ', 'λ', 'Σ', 'ع', 'ש', 'क', '्', 'ि', '٣', '²', 'Ⅻ', '😀', '👍🏽', '‍', '🇫🇷',
];

function randomTexts(count) {
  let s = 0x9e3779b9;
  const rnd = () => { // mulberry32
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [];
  for (let i = 0; i < count; i++) {
    const len = 1 + Math.floor(rnd() * 120);
    let t = '';
    for (let k = 0; k < len; k++) t += PIECES[Math.floor(rnd() * PIECES.length)];
    out.push(t);
  }
  return out;
}

function repoTexts() {
  const files = ['README.md', 'docs/ARCHITECTURE.md', 'docs/STYLE.md', 'Makefile',
    'src/text/tok_bpe.c', 'src/api/runs.c', 'tests/e2e/tokenizer.test.js'];
  return files.map((f) => fs.readFileSync(path.join(ROOT, f), 'utf8'));
}

const CORPUS = [...HAND, ...longRuns(), ...randomTexts(600), ...repoTexts()]
  .filter((t) => !t.includes('\u0000'));

// Runs assistd once over all texts; returns one array of ids per text.
function assistdEncode(encoding, texts) {
  const input = Buffer.from(texts.join('\u0000'), 'utf8');
  const r = spawnSync(BIN, ['tokenize', '--encoding', encoding, '--split0'],
    { input, maxBuffer: 1 << 28 });
  assert.strictEqual(r.status, 0, `assistd tokenize failed: ${r.stderr}`);
  const lines = r.stdout.toString().split('\n');
  assert.strictEqual(lines.pop(), '');
  return lines.map((l) => (l === '' ? [] : l.split(' ').map(Number)));
}

function compare(encoding, ref) {
  const texts = CORPUS.filter((t) => t !== ''); // --split0 cannot express an empty last text
  const got = assistdEncode(encoding, texts);
  assert.strictEqual(got.length, texts.length);
  const bad = [];
  texts.forEach((t, i) => {
    const want = ref.encode(t, { disallowedSpecial: new Set() });
    if (JSON.stringify(got[i]) !== JSON.stringify(want)) bad.push({ text: t.slice(0, 200), got: got[i].slice(0, 40), want: want.slice(0, 40) });
  });
  assert.deepStrictEqual(bad.slice(0, 5), [], `${bad.length} of ${texts.length} texts differ`);
}

describe('tokenizer', () => {
  it('o200k_base matches gpt-tokenizer on the corpus', () => compare('o200k_base', o200k));
  it('cl100k_base matches gpt-tokenizer on the corpus', () => compare('cl100k_base', cl100k));

  it('--model picks the encoding and --count the number', () => {
    const text = 'Hello, world! こんにちは 😀';
    const run = (args) => spawnSync(BIN, ['tokenize', ...args], { input: text }).stdout.toString();
    assert.strictEqual(run(['--model', 'gpt-4o', '--count']).trim(), String(o200k.encode(text).length));
    assert.strictEqual(run(['--model', 'gpt-4', '--count']).trim(), String(cl100k.encode(text).length));
    assert.strictEqual(run(['--model', 'gpt-3.5-turbo']).trim(), cl100k.encode(text).join(' '));
  });
});

// A chat prompt's tokens as OpenAI counts them: 3 per message, its role and content, and 3
// that prime the reply.
function promptTokens(enc, messages) {
  return 3 + messages.reduce((n, m) => n + 3 + enc.encode(m.role).length +
    enc.encode(m.content, { disallowedSpecial: new Set() }).length, 0);
}

describe('token counts in runs (demo model)', () => {
  const { srv, it } = useServer();
  const question = "Tokens aren't words: naïve café, 日本語, 12345 and <|endoftext|>.";

  for (const [model, enc] of [['gpt-4o', o200k], ['gpt-4', cl100k]]) {
    it(`usage is counted in ${model}'s encoding`, async () => {
      const c = srv().client();
      const asst = await c.beta.assistants.create({ model, instructions: 'Be brief.' });
      const thread = await c.beta.threads.create({ messages: [{ role: 'user', content: question }] });
      const run = await c.beta.threads.runs.createAndPoll(thread.id, { assistant_id: asst.id });
      assert.strictEqual(run.status, 'completed');
      const reply = `You said: ${question}`;
      const prompt = promptTokens(enc, [{ role: 'system', content: 'Be brief.' },
        { role: 'user', content: question }]);
      const completion = enc.encode(reply, { disallowedSpecial: new Set() }).length;
      assert.deepStrictEqual(run.usage, { prompt_tokens: prompt, completion_tokens: completion,
        total_tokens: prompt + completion });
    });
  }

  it('max_prompt_tokens drops the oldest messages by their real token counts', async () => {
    const c = srv().client();
    const texts = [];
    for (let i = 0; i < 6; i++) {
      texts.push(i % 2 ? `${i}: ${'東京の天気は晴れです。'.repeat(4 + i)}`
        : `${i}: ${'The quick brown fox jumps over the lazy dog. '.repeat(3 + i)}`);
    }
    const total = (from) => promptTokens(o200k, texts.slice(from).map((t) => ({ role: 'user', content: t })));
    let first = 0;
    while (total(first) > 256 && first + 1 < texts.length) first++;
    assert.ok(first > 0 && first < texts.length - 1, `the case must drop some: first ${first}`);
    const asst = await c.beta.assistants.create({ model: 'gpt-4o' });
    const thread = await c.beta.threads.create({ messages: texts.map((t) => ({ role: 'user', content: t })) });
    const run = await c.beta.threads.runs.createAndPoll(thread.id,
      { assistant_id: asst.id, max_prompt_tokens: 256 }); // the least the API allows
    assert.strictEqual(run.status, 'completed');
    assert.strictEqual(run.usage.prompt_tokens, total(first));
  });

  it('max_completion_tokens cuts the reply after that many tokens', async () => {
    const c = srv().client();
    const long = Array(30).fill(question).join(' '); // about 600 tokens
    const asst = await c.beta.assistants.create({ model: 'gpt-4o' });
    const thread = await c.beta.threads.create({ messages: [{ role: 'user', content: long }] });
    const run = await c.beta.threads.runs.createAndPoll(thread.id,
      { assistant_id: asst.id, max_completion_tokens: 256 }); // the least the API allows
    assert.strictEqual(run.status, 'incomplete');
    assert.deepStrictEqual(run.incomplete_details, { reason: 'max_completion_tokens' });
    assert.strictEqual(run.usage.completion_tokens, 256);
    const msgs = await c.beta.threads.messages.list(thread.id, { run_id: run.id });
    const ids = o200k.encode(`You said: ${long}`, { disallowedSpecial: new Set() });
    assert.strictEqual(msgs.data[0].content[0].text.value, o200k.decode(ids.slice(0, 256)));
  });
});
