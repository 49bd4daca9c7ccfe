// api.js - the page's only way to the server: the public /v1 API with fetch, like any
// client. Every call is logged (method, path, status, duration); a 401 asks for an API key,
// kept in sessionStorage only, and the call is retried with it.
const KEY = 'assistd.key';
export const log = [];
const listeners = [];
let askKey = null; // set by the page: async () => key or null
let asking = null; // the key prompt on screen, shared by every call refused meanwhile

export function onLog(fn) { listeners.push(fn); }
export function setKeyPrompt(fn) { askKey = fn; }
export function forgetKey() { sessionStorage.removeItem(KEY); }

function headers(json) {
	const hd = { 'OpenAI-Beta': 'assistants=v2' };
	const key = sessionStorage.getItem(KEY);
	if (key) hd.Authorization = `Bearer ${key}`;
	if (json) hd['Content-Type'] = 'application/json';
	return hd;
}

function record(method, path, status, t0) {
	const ms = Math.round(performance.now() - t0);
	const entry = { method, path, status, ms, at: new Date() };
	log.push(entry);
	if (log.length > 500) log.shift();
	listeners.forEach((fn) => fn(entry));
}

export class ApiError extends Error {
	constructor(status, body) {
		super(body?.error?.message || `HTTP ${status}`);
		this.status = status;
		this.body = body;
	}
}

// The key for a call refused with 401: one prompt answers all the calls refused while it is
// open (a second prompt would clear what the user was typing into the first).
function keyFor(res) {
	asking ??= res.json().catch(() => null).then(askKey).finally(() => { asking = null; });
	return asking;
}

// Sends a request; body is JSON unless it is FormData. Returns the raw Response when
// opts.raw, else the parsed JSON. Throws ApiError on an error status.
export async function call(method, path, body, opts = {}) {
	const t0 = performance.now();
	const form = body instanceof FormData;
	const res = await fetch(`/v1${path}`, {
		method, headers: headers(body !== undefined && !form),
		body: body === undefined ? undefined : form ? body : JSON.stringify(body),
		signal: opts.signal,
	});
	record(method, path, res.status, t0);
	if (res.status === 401 && askKey && !opts.retried) {
		const key = await keyFor(res);
		if (key) {
			sessionStorage.setItem(KEY, key);
			return call(method, path, body, { ...opts, retried: true });
		}
	}
	if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
	return opts.raw ? res : res.json();
}

export const get = (path, opts) => call('GET', path, undefined, opts);
export const post = (path, body, opts) => call('POST', path, body ?? {}, opts);
export const del = (path) => call('DELETE', path);

// Uploads a file for assistants (POST /v1/files, multipart); resolves with the File.
export function upload(file) {
	const fd = new FormData();
	fd.append('purpose', 'assistants');
	fd.append('file', file);
	return call('POST', '/files', fd);
}

// Every item of a list endpoint, following has_more (up to max items).
export async function all(path, max = 1000) {
	const out = [];
	let after = null;
	const sep = path.includes('?') ? '&' : '?';
	do {
		const page = await get(`${path}${sep}limit=100${after ? `&after=${after}` : ''}`);
		out.push(...page.data);
		after = page.has_more ? page.last_id : null;
	} while (after && out.length < max);
	return out;
}

// POSTs with stream: true and calls onEvent(event, data) for each server-sent event.
export async function stream(path, body, onEvent, signal) {
	const res = await call('POST', path, { ...body, stream: true }, { raw: true, signal });
	const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
	let buf = '';
	for (;;) {
		const { value, done } = await reader.read();
		if (done) break;
		buf += value;
		let i;
		while ((i = buf.search(/\r?\n\r?\n/)) >= 0) {
			const block = buf.slice(0, i);
			buf = buf.slice(i).replace(/^\r?\n\r?\n/, '');
			sseBlock(block, onEvent);
		}
	}
}

function sseBlock(block, onEvent) {
	let event = 'message';
	const data = [];
	for (const line of block.split(/\r?\n/)) {
		if (line.startsWith('event:')) event = line.slice(6).trim();
		else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
	}
	if (!data.length) return;
	const text = data.join('\n');
	let parsed = text;
	try { parsed = JSON.parse(text); } catch { /* "[DONE]" */ }
	onEvent(event, parsed);
}

// A file's bytes as an object URL (images, downloads): fetched with the key.
export async function fileUrl(id) {
	const res = await call('GET', `/files/${encodeURIComponent(id)}/content`, undefined,
		{ raw: true });
	return URL.createObjectURL(await res.blob());
}
