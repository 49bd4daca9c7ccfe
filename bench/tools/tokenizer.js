#!/usr/bin/env node
'use strict';
// tokenizer.js - the reference side of the tokenizer benchmark: gpt-tokenizer (the version
// pinned in tests/e2e/package.json) counting the tokens of a file.
//
//   node bench/tools/tokenizer.js FILE ENCODING ROUNDS
//
// Prints one line of JSON: {"tokens": N, "seconds": best of ROUNDS}. Special tokens such as
// <|endoftext|> count as plain text, as assistd counts them. The text is read and
// the encoding loaded before the clock starts, and one untimed round warms the JIT up, so
// this is gpt-tokenizer at its best; the assistd side is timed as a whole process.

const fs = require('node:fs');
const path = require('node:path');

const [file, encoding, rounds] = process.argv.slice(2);
const enc = require(path.join(__dirname, '../../tests/e2e/node_modules/gpt-tokenizer/cjs/encoding',
  `${encoding}.js`));
const text = fs.readFileSync(file, 'utf8');
const opts = { disallowedSpecial: new Set() };

let tokens = enc.countTokens(text, opts);
let best = Infinity;
for (let i = 0; i < Number(rounds || 3); i++) {
  const t0 = process.hrtime.bigint();
  tokens = enc.countTokens(text, opts);
  best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
}
console.log(JSON.stringify({ tokens, seconds: best }));
