// app.js - the playground's entry: panel switching, the API-key prompt, the logs panel, and
// starting each panel (forms.js: assistants, chat.js: threads and runs, storage.js).
import { onLog, setKeyPrompt, log } from './api.js';
import { $, h, say } from './dom.js';
import * as assistants from './forms.js';
import * as chat from './chat.js';
import * as storage from './storage.js';

const panels = { assistants, chat, storage, logs: { show: () => {} } };

function show(name) {
	for (const b of document.querySelectorAll('nav button'))
		b.setAttribute('aria-pressed', String(b.dataset.panel === name));
	for (const p of document.querySelectorAll('.panel')) p.hidden = p.id !== name;
	panels[name].show();
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
	$('#log-rows').prepend(h('tr', {},
		h('td', {}, e.at.toLocaleTimeString()), h('td', {}, e.method), h('td', {}, e.path),
		h('td', { class: bad ? 'fail' : null }, e.status), h('td', {}, e.ms)));
}

function start() {
	setKeyPrompt(promptKey);
	log.forEach(logRow);
	onLog(logRow);
	for (const b of document.querySelectorAll('nav button'))
		b.addEventListener('click', () => show(b.dataset.panel));
	window.addEventListener('unhandledrejection',
		(e) => say(e.reason?.message || 'Error', true));
	assistants.init();
	chat.init();
	storage.init();
	show('assistants');
}

start();
