// forms.js - the Assistants panel: the list, and the editor for one assistant (model,
// instructions, sampling, response_format, metadata, and tools with their resources).
import * as api from './api.js';
import { $, h, clear, say, parseJson } from './dom.js';

let current = null; // the assistant in the editor, or null for a new one
let models = [];

export function init() {
	$('#asst-new').addEventListener('click', () => edit(null));
}

export async function show() {
	// The model suggestions come when they come: the list is drawn without waiting for them.
	if (!models.length) loadModels();
	await list();
	if (!$('#asst-edit').firstChild) edit(current, false);
	document.body.dataset.ready = 'assistants';
	performance.mark('assistants-ready'); // what bench/tools/page_load.js times
}

// The model field's suggestions: GET /v1/models (the upstream's models, or the demo model).
async function loadModels() {
	try {
		models = (await api.get('/models')).data.map((m) => m.id);
	} catch {
		return;
	}
	clear($('#model-list'), models.map((m) => h('option', { value: m })));
	const input = $('#asst-edit input[name=model]');
	if (input && !input.value) input.value = models[0] || '';
}

async function list() {
	const all = await api.all('/assistants?order=desc');
	clear($('#asst-list'), all.map((a) => h('li', { class: a.id === current?.id ? 'on' : null },
		h('button', { type: 'button', onclick: () => edit(a) }, a.name || a.id),
		h('button', { type: 'button', 'aria-label': `Delete ${a.name || a.id}`,
			onclick: () => remove(a) }, '✕'))));
	return all;
}

async function remove(a) {
	if (!confirm(`Delete assistant ${a.name || a.id}?`)) return;
	await api.del(`/assistants/${a.id}`);
	if (current?.id === a.id) edit(null);
	say(`Deleted ${a.id}`);
	await list();
}

const field = (label, input) => h('label', { class: 'field' }, label, input);
const json = (v) => (v === undefined || v === null ? '' : JSON.stringify(v, null, 2));

// The editor's inputs, named so save() can read them back.
function inputs(a) {
	const rf = a?.response_format;
	const rfType = typeof rf === 'object' && rf ? rf.type : 'auto';
	const fns = (a?.tools || []).filter((t) => t.type === 'function').map((t) => t.function);
	const vs = a?.tool_resources?.file_search?.vector_store_ids?.[0] || '';
	const ciFiles = a?.tool_resources?.code_interpreter?.file_ids || [];
	const has = (type) => (a?.tools || []).some((t) => t.type === type);
	return {
		model: h('input', { name: 'model', list: 'model-list', required: true,
			value: a?.model || models[0] || '' }),
		name: h('input', { name: 'name', value: a?.name || '' }),
		description: h('input', { name: 'description', value: a?.description || '' }),
		instructions: h('textarea', { name: 'instructions', rows: 4 },
			a?.instructions || ''),
		temperature: h('input', { name: 'temperature', type: 'number', step: '0.1', min: 0,
			max: 2, value: a?.temperature ?? 1 }),
		top_p: h('input', { name: 'top_p', type: 'number', step: '0.05', min: 0, max: 1,
			value: a?.top_p ?? 1 }),
		rf: h('select', { name: 'response_format' },
			['auto', 'text', 'json_object', 'json_schema'].map((t) =>
				h('option', { value: t, selected: t === rfType }, t))),
		rfSchema: h('textarea', { name: 'json_schema', rows: 5, placeholder:
			'{"name": "answer", "schema": {"type": "object", ...}, "strict": true}' },
		rfType === 'json_schema' ? json(rf.json_schema) : ''),
		metadata: h('textarea', { name: 'metadata', rows: 2,
			placeholder: '{"key": "value"}' },
			json(a?.metadata && Object.keys(a.metadata).length ? a.metadata : null)),
		fileSearch: h('input', { type: 'checkbox', name: 'file_search',
			checked: has('file_search') }),
		vs: h('select', { name: 'vector_store' }, h('option', { value: '' }, '(none)'),
			vs ? h('option', { value: vs, selected: true }, vs) : null),
		vsFiles: h('ul', { class: 'list vs-files', 'aria-label': 'Files of the vector store' }),
		ci: h('input', { type: 'checkbox', name: 'code_interpreter',
			checked: has('code_interpreter') }),
		ciFiles: h('input', { name: 'ci_files', value: ciFiles.join(', '),
			placeholder: 'file-... ids, comma separated' }),
		functions: h('textarea', { name: 'functions', rows: 6, placeholder:
			'[{"name": "get_weather", "description": "...", ' +
			'"parameters": {"type": "object", ' +
			'"properties": {"city": {"type": "string"}}}}]' },
		fns.length ? json(fns) : ''),
	};
}

function edit(a, relist = true) {
	current = a;
	const f = inputs(a);
	const err = h('p', { class: 'err', role: 'alert' });
	const form = h('form', { onsubmit: (e) => { e.preventDefault(); save(f, err); } },
		h('h2', {}, a ? `Edit ${a.name || a.id}` : 'New assistant'),
		field('Model', f.model), field('Name', f.name), field('Description', f.description),
		field('Instructions', f.instructions),
		h('div', { class: 'row' }, field('Temperature', f.temperature),
			field('top_p', f.top_p)),
		field('Response format', f.rf), field('JSON schema (json_schema only)', f.rfSchema),
		field('Metadata (JSON object)', f.metadata),
		h('fieldset', {}, h('legend', {}, 'file_search'),
			h('label', {}, f.fileSearch, ' enabled'), field('Vector store', f.vs),
			h('label', { class: 'field' }, 'Upload into this store ',
				h('input', { type: 'file', multiple: true,
					onchange: (e) => upload(e, f.vs, f.vsFiles) })),
			f.vsFiles),
		h('fieldset', {}, h('legend', {}, 'code_interpreter'),
			h('label', {}, f.ci, ' enabled'), field('Files (ids)', f.ciFiles),
			h('label', { class: 'field' }, 'Upload files for it ',
				h('input', { type: 'file', multiple: true,
					onchange: (e) => uploadCi(e, f.ciFiles) }))),
		h('fieldset', {}, h('legend', {}, 'Functions (JSON array of definitions)'),
			f.functions),
		err, h('button', { type: 'submit' }, a ? 'Save' : 'Create'));
	clear($('#asst-edit'), form);
	fillStores(f.vs);
	f.vs.addEventListener('change', () => storeFiles(f.vs, f.vsFiles));
	storeFiles(f.vs, f.vsFiles);
	if (relist) list();
}

async function fillStores(select) {
	const chosen = select.value;
	const stores = await api.all('/vector_stores').catch(() => []);
	clear(select, h('option', { value: '' }, '(none)'), stores.map((s) =>
		h('option', { value: s.id, selected: s.id === chosen },
			`${s.name || s.id} (${s.status})`)));
}

// Uploads files and adds their ids to code_interpreter's files (saved with the assistant).
async function uploadCi(e, input) {
	const ids = input.value.split(',').map((x) => x.trim()).filter(Boolean);
	for (const file of e.target.files) {
		ids.push((await api.upload(file)).id);
		say(`Uploaded ${file.name}: save to give it to code_interpreter`);
	}
	input.value = ids.join(', ');
	e.target.value = '';
}

const STATUS_MS = 1000;

// The chosen store's files with their ingestion status, redrawn while any is in progress.
async function storeFiles(select, out) {
	const id = select.value;
	if (!id) return clear(out);
	const [vfiles, files] = await Promise.all([api.all(`/vector_stores/${id}/files`),
		api.all('/files')]).catch(() => [[], []]);
	if (select.value !== id || !out.isConnected) return undefined;
	const name = (fid) => files.find((x) => x.id === fid)?.filename || fid;
	clear(out, vfiles.map((x) => h('li', {}, `${name(x.id)} · ${x.status}`,
		x.last_error ? ` (${x.last_error.message})` : '')));
	if (vfiles.some((x) => x.status === 'in_progress'))
		setTimeout(() => storeFiles(select, out), STATUS_MS);
	return undefined;
}

// Uploads files into the chosen store, creating one when none is chosen.
async function upload(e, select, out) {
	let id = select.value;
	if (!id) {
		id = (await api.post('/vector_stores', { name: 'playground' })).id;
		select.append(h('option', { value: id }, id));
		select.value = id;
	}
	for (const file of e.target.files) {
		const up = await api.upload(file);
		await api.post(`/vector_stores/${id}/files`, { file_id: up.id });
		say(`Added ${file.name} to ${id}`);
	}
	e.target.value = '';
	await storeFiles(select, out);
}

// Checks one function definition: a name, and parameters that are a JSON Schema object.
function checkFunction(fn, i) {
	if (!fn || typeof fn !== 'object') throw new Error(`Function ${i + 1} is not an object`);
	if (!/^[a-zA-Z0-9_-]{1,64}$/.test(fn.name || ''))
		throw new Error(`Function ${i + 1} needs a name of letters, digits, _ or - ` +
			'(64 at most)');
	const p = fn.parameters;
	if (p !== undefined && (typeof p !== 'object' || Array.isArray(p) || p.type !== 'object'))
		throw new Error(`Function ${fn.name}: parameters must be a JSON Schema with ` +
			'"type": "object"');
	return { type: 'function', function: fn };
}

function tools(f) {
	const out = [];
	if (f.fileSearch.checked) out.push({ type: 'file_search' });
	if (f.ci.checked) out.push({ type: 'code_interpreter' });
	const fns = parseJson(f.functions.value, 'Functions') || [];
	if (!Array.isArray(fns)) throw new Error('Functions must be a JSON array of definitions');
	return out.concat(fns.map(checkFunction));
}

function responseFormat(f) {
	if (f.rf.value === 'auto') return 'auto';
	if (f.rf.value !== 'json_schema') return { type: f.rf.value };
	const js = parseJson(f.rfSchema.value, 'JSON schema');
	if (!js?.name) throw new Error('JSON schema needs at least a "name" and a "schema"');
	return { type: 'json_schema', json_schema: js };
}

function body(f) {
	const ids = f.ciFiles.value.split(',').map((s) => s.trim()).filter(Boolean);
	return {
		model: f.model.value.trim(), name: f.name.value || null,
		description: f.description.value || null,
		instructions: f.instructions.value || null,
		temperature: Number(f.temperature.value), top_p: Number(f.top_p.value),
		response_format: responseFormat(f),
		metadata: parseJson(f.metadata.value, 'Metadata') || {},
		tools: tools(f),
		tool_resources: {
			file_search: { vector_store_ids: f.vs.value ? [f.vs.value] : [] },
			code_interpreter: { file_ids: ids },
		},
	};
}

async function save(f, err) {
	err.textContent = '';
	try {
		const b = body(f);
		const a = await api.post(current ? `/assistants/${current.id}` : '/assistants', b);
		say(`Saved ${a.id}`);
		edit(a);
	} catch (e) {
		err.textContent = e.message;
	}
}
