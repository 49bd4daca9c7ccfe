// storage.js - the Storage panel: files (upload, list, delete) and vector stores (create,
// inspect status, counts and each file's ingestion, add files, delete).
import * as api from './api.js';
import { $, h, clear, say, when } from './dom.js';

let files = [];
let shown = null; // the id of the vector store in the detail view
const REFRESH_MS = 1000;

export function init() {
	$('#file-upload').addEventListener('change', upload);
	$('#vs-new').addEventListener('submit', async (e) => {
		e.preventDefault();
		const name = $('#vs-name').value || undefined;
		const vs = await api.post('/vector_stores', { name });
		$('#vs-name').value = '';
		say(`Created ${vs.id}`);
		await stores();
		detail(vs);
	});
}

export async function show() {
	await Promise.all([fileList(), stores()]);
}

async function upload(e) {
	for (const file of e.target.files) {
		const f = await api.upload(file);
		say(`Uploaded ${f.filename} as ${f.id}`);
	}
	e.target.value = '';
	await fileList();
}

async function fileList() {
	files = await api.all('/files');
	clear($('#file-list'), files.map((f) => h('li', {},
		h('span', { class: 'name' }, f.filename, h('br'),
			h('span', { class: 'hint' },
				`${f.id} · ${f.bytes} bytes · ${f.purpose}`)),
		h('button', { type: 'button', 'aria-label': `Delete file ${f.filename}`,
			onclick: () => removeFile(f) }, '✕'))));
}

async function removeFile(f) {
	if (!confirm(`Delete file ${f.filename}?`)) return;
	await api.del(`/files/${f.id}`);
	await fileList();
}

async function stores() {
	const all = await api.all('/vector_stores');
	clear($('#vs-list'), all.map((s) => h('li', {},
		h('button', { type: 'button', onclick: () => detail(s) },
			`${s.name || s.id} · ${s.status}`),
		h('button', { type: 'button', 'aria-label': `Delete vector store ${s.name || s.id}`,
			onclick: () => removeStore(s) }, '✕'))));
}

async function removeStore(s) {
	if (!confirm(`Delete vector store ${s.name || s.id}?`)) return;
	await api.del(`/vector_stores/${s.id}`);
	if (shown === s.id) shown = null;
	clear($('#vs-detail'));
	await stores();
}

const nameOf = (id) => files.find((f) => f.id === id)?.filename || id;

// The detail view of a store; redrawn every second while files are being ingested.
async function detail(s) {
	shown = s.id;
	const vs = await api.get(`/vector_stores/${s.id}`);
	const vfiles = await api.all(`/vector_stores/${s.id}/files`);
	const c = vs.file_counts;
	if (shown !== vs.id) return;
	if (c.in_progress > 0) setTimeout(() => refresh(vs), REFRESH_MS);
	const pick = h('select', { 'aria-label': 'File to add' }, files.map((f) =>
		h('option', { value: f.id }, f.filename)));
	clear($('#vs-detail'), h('h3', {}, vs.name || vs.id),
		h('p', { class: 'hint' },
			`${vs.id} · ${vs.status} · ${vs.usage_bytes} bytes · created `,
			when(vs.created_at)),
		h('p', {}, `Files: ${c.completed} completed, ${c.in_progress} in progress, ` +
			`${c.failed} failed, ${c.cancelled} cancelled (${c.total} in all)`),
		h('div', { class: 'row' }, pick,
			h('button', { type: 'button', onclick: () => addFile(vs, pick.value) },
				'Add file'),
			h('button', { type: 'button', onclick: () => detail(vs) }, 'Refresh')),
		h('ul', { class: 'list' }, vfiles.map((f) => h('li', {},
			h('span', {}, nameOf(f.id), ' · ', f.status, f.last_error ?
				` (${f.last_error.message})` : '', ` · ${f.usage_bytes} bytes`),
			h('button', { type: 'button', onclick: () => chunks(vs.id, f.id) },
				'Chunks')))),
		h('div', { id: 'vs-chunks' }));
}

// Draws the store again if it is still the one shown.
function refresh(vs) {
	if (shown === vs.id && !$('#storage').hidden) detail(vs);
}

async function addFile(vs, fileId) {
	await api.post(`/vector_stores/${vs.id}/files`, { file_id: fileId });
	await detail(vs);
}

// A vector store file's parsed content (its chunks' text), as the server extracted it.
async function chunks(vsId, fileId) {
	const out = await api.get(`/vector_stores/${vsId}/files/${fileId}/content`);
	clear($('#vs-chunks'), h('h4', {}, `Content of ${nameOf(fileId)}`),
		(out.data || []).map((c, i) => h('pre', { class: 'out' }, `#${i + 1}\n${c.text}`)));
}
