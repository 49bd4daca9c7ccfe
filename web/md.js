// md.js - a small Markdown renderer that builds DOM nodes. Model output is text, never HTML:
// nothing here parses markup, so no message can inject an element or a script. It covers
// what replies use: headings, paragraphs, lists, quotes, fenced code, inline code, bold,
// italics, http(s) links, and citation marks [^n] (see chat.js).
import { h } from './dom.js';

const BLOCKS = [
	{ re: /^```/, fn: fence },
	{ re: /^#{1,6} /, fn: heading },
	{ re: /^\s*([-*+]|\d+[.)]) /, fn: list },
	{ re: /^> ?/, fn: quote },
];

export function render(text) {
	const lines = String(text).split('\n');
	const out = [];
	let i = 0;
	while (i < lines.length) {
		if (!lines[i].trim()) { i++; continue; }
		const b = BLOCKS.find((x) => x.re.test(lines[i]));
		const [node, next] = b ? b.fn(lines, i) : para(lines, i);
		out.push(node);
		i = next;
	}
	return h('div', { class: 'md' }, out);
}

function fence(lines, i) {
	const lang = lines[i].slice(3).trim();
	const body = [];
	for (i++; i < lines.length && !/^```/.test(lines[i]); i++) body.push(lines[i]);
	return [h('pre', {}, h('code', { 'data-lang': lang || null }, body.join('\n'))), i + 1];
}

function heading(lines, i) {
	const m = /^(#{1,6}) (.*)$/.exec(lines[i]);
	return [h(`h${Math.min(m[1].length + 2, 6)}`, {}, inline(m[2])), i + 1];
}

function list(lines, i) {
	const ordered = /^\s*\d/.test(lines[i]);
	const items = [];
	for (; i < lines.length && BLOCKS[2].re.test(lines[i]); i++)
		items.push(h('li', {}, inline(lines[i].replace(BLOCKS[2].re, ''))));
	return [h(ordered ? 'ol' : 'ul', {}, items), i];
}

function quote(lines, i) {
	const body = [];
	for (; i < lines.length && /^>/.test(lines[i]); i++)
		body.push(lines[i].replace(/^> ?/, ''));
	return [h('blockquote', {}, render(body.join('\n'))), i];
}

function para(lines, i) {
	const body = [];
	for (; i < lines.length && lines[i].trim() && !BLOCKS.some((b) => b.re.test(lines[i])); i++)
		body.push(lines[i]);
	const kids = [];
	body.forEach((l, n) => kids.push(n ? h('br') : null, inline(l)));
	return [h('p', {}, kids), i];
}

const INLINE = [
	{ re: /`([^`]+)`/, fn: (m) => h('code', {}, m[1]) },
	{ re: /\*\*([^*]+)\*\*/, fn: (m) => h('strong', {}, inline(m[1])) },
	{ re: /(?:^|(?<=\W))[*_]([^*_]+)[*_](?=\W|$)/, fn: (m) => h('em', {}, inline(m[1])) },
	{ re: /\[\^(\d+)\]/, fn: (m) => h('sup', { class: 'cite' }, `[${m[1]}]`) },
	{ re: /\[([^\]]+)\]\(([^)\s]+)\)/, fn: link },
];

function link(m) {
	let url = null;
	try { url = new URL(m[2], location.href); } catch { /* not a URL: plain text */ }
	if (!url || !/^https?:$/.test(url.protocol)) return m[0];
	return h('a', { href: url.href, rel: 'noopener noreferrer', target: '_blank' }, m[1]);
}

// Inline spans of one line: the earliest match of any rule wins, the rest is text.
export function inline(text) {
	const out = [];
	while (text) {
		let best = null;
		for (const r of INLINE) {
			const m = r.re.exec(text);
			if (m && (!best || m.index < best.m.index)) best = { m, r };
		}
		if (!best) { out.push(text); break; }
		out.push(text.slice(0, best.m.index), best.r.fn(best.m));
		text = text.slice(best.m.index + best.m[0].length);
	}
	return out;
}
