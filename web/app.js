// app.js - the playground's entry: panel switching, the API-key prompt, the logs panel, and
// starting each panel (forms.js: assistants, chat.js: threads and runs, storage.js).
//
// The first thing drawn is the assistant list, so only what it needs loads before it:
// api.js, dom.js and forms.js. The Chat and Storage panels are loaded when first opened (and
// fetched in the background once the list is up), and the Logs panel draws its rows only
// while it is shown: its first time format costs the browser's locale data, tens of ms.
import { onLog, setKeyPrompt, log } from './api.js';
import { $, h, say } from './dom.js';
import * as assistants from './forms.js';

const LAZY = { chat: () => import('./chat.js'), storage: () => import('./storage.js') };
const loaded = new Map(); // panel name -> Promise of its module, init() done
let logsShown = false;

// The panel's module, imported and started once.
function panel(name) {
	if (name === 'assistants') return Promise.resolve(assistants);
	if (name === 'logs') return Promise.resolve({ show: showLogs });
	if (!loaded.has(name)) {
		loaded.set(name, LAZY[name]().then((m) => {
			m.init();
			return m;
		}));
	}
	return loaded.get(name);
}

async function show(name) {
	for (const b of document.querySelectorAll('nav button'))
		b.setAttribute('aria-pressed', String(b.dataset.panel === name));
	for (const p of document.querySelectorAll('.panel')) p.hidden = p.id !== name;
	logsShown = name === 'logs';
	await (await panel(name)).show();
}

// Shows the key dialog; resolves with the key typed, or null when cancelled.
function promptKey(body) {
	const dlg = $('#key-dialog');
	$('#key-why').textContent = body?.error?.message || 'This server needs an API key.';
	$('#key-input').value = '';
	return new Promise((resolve) => {
		dlg.addEventListener('close', () => {
			const key = $('#key-input').value.trim();
			resolve(dlg.returnValue === 'ok' && key ? key : null);
		}, { once: true });
		dlg.showModal();
	});
}

function logRow(e) {
	const bad = e.status >= 400;
	return h('tr', {},
		h('td', {}, e.at.toLocaleTimeString()), h('td', {}, e.method), h('td', {}, e.path),
		h('td', { class: bad ? 'fail' : null }, e.status), h('td', {}, e.ms));
}

function showLogs() {
	$('#log-rows').replaceChildren(...log.map(logRow).reverse());
}

function start() {
	setKeyPrompt(promptKey);
	onLog((e) => { if (logsShown) $('#log-rows').prepend(logRow(e)); });
	for (const b of document.querySelectorAll('nav button'))
		b.addEventListener('click', () => show(b.dataset.panel));
	window.addEventListener('unhandledrejection',
		(e) => say(e.reason?.message || 'Error', true));
	assistants.init();
	show('assistants').then(() => Object.keys(LAZY).forEach(panel));
}

start();
