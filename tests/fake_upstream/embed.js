'use strict';
// embed.js - the fake upstream's embeddings: hashed bag-of-words vectors.
//
// A text's vector is the sum, over its distinct lower-cased words (runs of letters and digits,
// minus a few English stop words), of (1 + ln count) put in one of `dims` slots chosen by a
// hash of the word, with a sign chosen by another bit of the hash; then scaled to length 1.
// Texts that share words are near (their cosine grows with the words they share); texts
// without common words are nearly orthogonal. It knows nothing of meaning (no synonyms, no
// stems): it is a deterministic stand-in for a real model in tests and benchmarks, not one.

const STOP = new Set(['a', 'an', 'and', 'are', 'as', 'at', 'be', 'by', 'for', 'from', 'in',
  'is', 'it', 'of', 'on', 'or', 'that', 'the', 'to', 'was', 'were', 'with']);

// 32-bit FNV-1a over the word's UTF-16 code units.
function fnv1a(word) {
  let h = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) {
    h ^= word.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function hashedEmbedding(text, dims) {
  const counts = new Map();
  for (const w of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) || []) {
    if (!STOP.has(w)) counts.set(w, (counts.get(w) || 0) + 1);
  }
  const v = new Float64Array(dims);
  for (const [w, n] of counts) {
    const h = fnv1a(w);
    v[h % dims] += (h & 0x80000000 ? -1 : 1) * (1 + Math.log(n));
  }
  const len = Math.hypot(...v) || 1;
  // Seven significant digits, about what a float32 holds: keeps replies small.
  return Array.from(v, (x) => Number((x / len).toPrecision(7)));
}

module.exports = { hashedEmbedding };
