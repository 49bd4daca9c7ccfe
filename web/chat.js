// chat.js - the Chat panel: threads (GET /v1/threads), messages rendered as Markdown with
// numbered citations, images and file links, streamed runs that grow in place, cancelling,
// answering function calls (requires_action), per-run usage and the run inspector.
import * as api from './api.js';
import { $, h, clear, say, when } from './dom.js';
import { render } from './md.js';

const TERMINAL = ['completed', 'failed', 'cancelled', 'expired', 'incomplete'];
let thread = null;   // the open thread
let run = null;      // the active run, while one streams
let abort = null;    // aborts the active stream
let nextPage = null; // the last thread id shown, when there are more
const bubbles = new Map(); // message id -> { li, msg }

export function init() {
	$('#thread-new').addEventListener('click', () => open(null));
	$('#thread-more').addEventListener('click', () => threads(nextPage));
	$('#composer').addEventListener('submit', (e) => { e.preventDefault(); send(true); });
	$('#add-only').addEventListener('click', () => send(false));
	$('#cancel').addEventListener('click', cancel);
	$('#chat-text').addEventListener('keydown', (e) => {
		if (e.key !== 'Enter' || !(e.ctrlKey || e.metaKey)) return;
		e.preventDefault();
		send(true);
	});
	$('#inspector').addEventListener('toggle', () => $('#inspector').open && inspect());
}

export async function show() {
	const chosen = $('#chat-asst').value;
	const all = await api.all('/assistants?order=desc');
	clear($('#chat-asst'), all.map((a) =>
		h('option', { value: a.id, selected: a.id === chosen }, a.name || a.id)));
	await threads(null);
}

async function threads(after) {
	const page = await api.get(`/threads?limit=20${after ? `&after=${after}` : ''}`);
	const items = page.data.map((t) => h('li', { class: t.id === thread?.id ? 'on' : null },
		h('button', { type: 'button', onclick: () => open(t) },
			t.metadata?.title || t.id, h('br'),
			h('span', { class: 'hint' }, when(t.created_at))),
		h('button', { type: 'button', 'aria-label': `Delete thread ${t.id}`,
			onclick: () => remove(t) }, '✕')));
	if (after) $('#thread-list').append(...items);
	else clear($('#thread-list'), items);
	nextPage = page.has_more ? page.last_id : null;
	$('#thread-more').hidden = !nextPage;
}

async function remove(t) {
	if (!confirm(`Delete thread ${t.id}?`)) return;
	await api.del(`/threads/${t.id}`);
	if (thread?.id === t.id) open(null);
	await threads(null);
}

async function open(t) {
	thread = t;
	bubbles.clear();
	clear($('#messages'));
	clear($('#steps'));
	clear($('#action'));
	$('#thread-title').textContent = t ? t.id : 'New thread';
	for (const li of $('#thread-list').children)
		li.classList.toggle('on', !!t && li.textContent.includes(t.id));
	if (!t) return;
	const msgs = await api.all(`/threads/${t.id}/messages?order=asc`);
	msgs.forEach(upsert);
}

// --- Messages ---

// Draws (or redraws) a message's bubble.
function upsert(msg) {
	let b = bubbles.get(msg.id);
	if (!b) {
		b = { li: h('li', { class: msg.role }), msg };
		bubbles.set(msg.id, b);
		$('#messages').append(b.li);
	}
	b.msg = msg;
	clear(b.li, h('div', { class: 'who' }, msg.role, msg.run_id ? ` · ${msg.run_id}` : ''),
		(msg.content || []).map(part), attachments(msg));
	b.li.scrollIntoView({ block: 'end' });
}

const PARTS = {
	text: (p) => textPart(p.text),
	image_file: (p) => image(p.image_file.file_id),
	image_url: (p) => (/^https?:/.test(p.image_url.url) ?
		h('img', { class: 'msg-img', src: p.image_url.url, alt: 'image' }) : null),
	refusal: (p) => h('p', { class: 'err' }, p.refusal),
};

function part(p) {
	return PARTS[p.type] ? PARTS[p.type](p) : null;
}

const blobs = new Map(); // file id -> Promise of an object URL of its bytes, fetched once

function fileBlob(id) {
	if (!blobs.has(id)) blobs.set(id, api.fileUrl(id).catch((e) => {
		blobs.delete(id); // asked again next time
		throw e;
	}));
	return blobs.get(id);
}

function image(fileId) {
	const img = h('img', { class: 'msg-img', alt: `image ${fileId}` });
	fileBlob(fileId).then((u) => { img.src = u; })
		.catch(() => { img.alt = 'image unavailable'; });
	return img;
}

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// Text with its annotations replaced by [^n] marks, and the numbered references below. A
// Markdown link to an annotated path ([label](sandbox:/mnt/data/x)) keeps its label.
function textPart(t) {
	let value = t.value || '';
	const refs = [];
	for (const a of t.annotations || []) {
		if (!a.text) continue;
		refs.push(a);
		const mark = `[^${refs.length}]`;
		const link = new RegExp(`\\[([^\\]]*)\\]\\(${escapeRe(a.text)}\\)`, 'g');
		value = value.replace(link, (_, label) => `${label}${mark}`).split(a.text).join(mark);
	}
	return [render(value), refs.length ? h('ol', { class: 'refs' }, refs.map(ref)) : null];
}

const filenames = new Map(); // file id -> Promise of its name, fetched once

function ref(a) {
	const id = a.file_citation?.file_id || a.file_path?.file_id;
	const name = h('span', {}, id);
	if (!filenames.has(id))
		filenames.set(id, api.get(`/files/${id}`).then((f) => f.filename).catch(() => id));
	filenames.get(id).then((n) => { name.textContent = n; });
	if (a.type !== 'file_path') return h('li', {}, name);
	const link = h('a', { href: '#', onclick: (e) => download(e, id, name.textContent) }, name);
	return h('li', {}, 'file: ', link);
}

async function download(e, id, filename) {
	e.preventDefault();
	const a = h('a', { href: await fileBlob(id), download: filename.split('/').pop() });
	a.click();
}

function attachments(msg) {
	const at = msg.attachments || [];
	if (!at.length) return null;
	return h('div', { class: 'hint' }, 'Attached: ', at.map((x, i) => [i ? ', ' : '', x.file_id,
		' (', (x.tools || []).map((t) => t.type).join(', '), ')']));
}

// A streamed text delta grows the bubble's first text part.
function grow(delta) {
	const b = bubbles.get(delta.id);
	if (!b) return;
	for (const d of delta.delta.content || []) {
		const parts = b.msg.content || (b.msg.content = []);
		const cur = parts[d.index] || (parts[d.index] = { type: d.type, text: { value: '',
			annotations: [] } });
		if (d.type === 'text') {
			cur.text.value += d.text?.value || '';
			cur.text.annotations.push(...(d.text?.annotations || []));
		} else parts[d.index] = d;
	}
	upsert(b.msg);
}

// --- Sending and running ---

async function uploads() {
	const input = $('#chat-files');
	const tool = $('#chat-ci').checked ? 'code_interpreter' : 'file_search';
	const out = [];
	for (const file of input.files) {
		const f = await api.upload(file);
		out.push({ file_id: f.id, tools: [{ type: tool }] });
	}
	input.value = '';
	return out;
}

async function send(andRun) {
	const text = $('#chat-text').value;
	if (run) return say('A run is active: wait for it or cancel it', true);
	try {
		if (!thread) {
			thread = await api.post('/threads', {});
			$('#thread-title').textContent = thread.id;
			threads(null);
		}
		const attachments = await uploads();
		if (text.trim() || attachments.length) {
			const role = $('#chat-role').value;
			upsert(await api.post(`/threads/${thread.id}/messages`, { role,
				content: text || '(attachments)', attachments }));
			$('#chat-text').value = '';
		}
		const assistant_id = $('#chat-asst').value;
		if (andRun) await start(`/threads/${thread.id}/runs`, { assistant_id });
	} catch (e) {
		say(e.message, true);
	}
}

const EVENTS = {
	'thread.run.created': (r) => { run = r; $('#cancel').hidden = false; },
	'thread.run.requires_action': (r) => { run = r; action(r); },
	'thread.message.created': upsert,
	'thread.message.delta': grow,
	'thread.message.completed': upsert,
	error: (e) => say(e?.error?.message || 'Stream error', true),
};

function onEvent(event, data) {
	if (EVENTS[event]) EVENTS[event](data);
	else if (event.startsWith('thread.run.') && !event.startsWith('thread.run.step') &&
		 TERMINAL.includes(data.status)) finished(data);
}

// Streams a run (a new one, or one resumed by submitting tool outputs).
async function start(path, body) {
	abort = new AbortController();
	$('#cancel').hidden = false;
	try {
		await api.stream(path, body, onEvent, abort.signal);
	} catch (e) {
		if (e.name !== 'AbortError') say(e.message, true);
	} finally {
		abort = null;
		if (!run || run.status !== 'requires_action') {
			run = null;
			$('#cancel').hidden = true;
		}
	}
}

function finished(r) {
	run = null;
	$('#cancel').hidden = true;
	const u = r.usage;
	const last = [...bubbles.values()].filter((b) => b.msg.run_id === r.id).pop();
	const note = h('div', { class: 'usage' }, `Run ${r.id}: ${r.status}`,
		r.last_error ? ` (${r.last_error.message})` : '',
		u ? ` · tokens: ${u.prompt_tokens} in, ${u.completion_tokens} out, ` +
			`${u.total_tokens} total` : '');
	(last ? last.li : $('#messages')).append(note);
	say(`Run ${r.status}`, r.status !== 'completed');
	if ($('#inspector').open) inspect();
}

async function cancel() {
	if (!run || !thread) return;
	const r = await api.post(`/threads/${thread.id}/runs/${run.id}/cancel`);
	say(`Run ${r.status}`);
	clear($('#action'));
}

// requires_action: one output field per function call, then submit (streamed).
function action(r) {
	const calls = r.required_action?.submit_tool_outputs?.tool_calls || [];
	const fields = calls.map((c) => ({ id: c.id, input: h('textarea', { rows: 2,
		'aria-label': `Output of ${c.function.name}` }) }));
	const form = h('form', { onsubmit: (e) => { e.preventDefault(); submit(r, fields); } },
		h('h3', {}, 'The assistant called functions'),
		calls.map((c, i) => h('label', { class: 'field' },
			h('code', {}, `${c.function.name}(${c.function.arguments})`),
			fields[i].input)),
		h('button', { type: 'submit' }, 'Submit outputs'));
	clear($('#action'), form);
	fields[0]?.input.focus();
}

async function submit(r, fields) {
	clear($('#action'));
	const tool_outputs = fields.map((f) => ({ tool_call_id: f.id, output: f.input.value }));
	run = r;
	await start(`/threads/${thread.id}/runs/${r.id}/submit_tool_outputs`, { tool_outputs });
}

// --- Run inspector ---

const INCLUDE = 'include[]=step_details.tool_calls[*].file_search.results[*].content';

async function inspect() {
	if (!thread) return clear($('#steps'), 'Open a thread first.');
	const runs = (await api.get(`/threads/${thread.id}/runs?limit=5`)).data;
	const blocks = await Promise.all(runs.map(async (r) => {
		const path = `/threads/${thread.id}/runs/${r.id}/steps?order=asc&${INCLUDE}`;
		const steps = await api.all(path);
		return h('div', { class: 'step' },
			h('strong', {}, `${r.id} · ${r.status} · ${r.model}`),
			h('div', { class: 'hint' }, `created ${when(r.created_at)}`,
				r.started_at ? ` · started ${when(r.started_at)}` : '',
				r.completed_at ? ` · completed ${when(r.completed_at)}` : '',
				r.usage ? ` · ${r.usage.total_tokens} tokens` : ''),
			steps.map(step));
	}));
	clear($('#steps'), blocks.length ? blocks : 'No runs yet.');
}

function step(s) {
	const d = s.step_details;
	const took = s.completed_at && s.created_at ? ` · ${s.completed_at - s.created_at}s` : '';
	return h('div', { class: 'step' }, h('div', {}, `${s.type} · ${s.status}${took}`),
		d.type === 'message_creation' ? h('div', { class: 'hint' },
			`message ${d.message_creation.message_id}`) : null,
		(d.tool_calls || []).map(toolCall));
}

const CALLS = {
	function: (c) => [h('div', {}, `function ${c.function.name}`),
		h('pre', { class: 'out' }, c.function.arguments), h('div', {}, 'output:'),
		h('pre', { class: 'out' }, c.function.output ?? '(none yet)')],
	code_interpreter: (c) => [h('div', {}, 'code_interpreter'),
		h('pre', { class: 'out' }, c.code_interpreter.input),
		(c.code_interpreter.outputs || []).map((o) => (o.type === 'logs' ?
			h('pre', { class: 'out' }, o.logs) : image(o.image?.file_id)))],
	file_search: (c) => [h('div', {}, 'file_search'),
		(c.file_search.results || []).map((r) => h('div', {},
			h('div', { class: 'hint' }, `${r.file_name} · score ${r.score}`),
			(r.content || []).map((x) => h('pre', { class: 'out' }, x.text))))],
};

function toolCall(c) {
	return h('div', { class: 'step' }, CALLS[c.type] ? CALLS[c.type](c) : c.type);
}
