// dom.js - building DOM nodes safely: text is always set as text, never parsed as HTML.
export function h(tag, attrs, ...kids) {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === undefined || v === null || v === false) continue;
		if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
		else if (k === 'class') el.className = v;
		else if (k in el && typeof v !== 'string') el[k] = v;
		else el.setAttribute(k, v === true ? '' : String(v));
	}
	add(el, kids);
	return el;
}

// Appends children: nodes as they are, anything else as a text node.
export function add(el, kids) {
	for (const k of kids.flat(Infinity)) {
		if (k === null || k === undefined || k === false) continue;
		el.append(k instanceof Node ? k : document.createTextNode(String(k)));
	}
	return el;
}

export function clear(el, ...kids) {
	el.replaceChildren();
	return add(el, kids);
}

export const $ = (sel, root = document) => root.querySelector(sel);

// A short status line (errors in red) in the element with id "status".
export function say(msg, bad) {
	const s = $('#status');
	s.textContent = msg;
	s.className = bad ? 'bad' : '';
}

export function when(ts) {
	return ts ? new Date(ts * 1000).toLocaleString() : '';
}

// Reads a JSON text field; throws with the field's name when it does not parse.
export function parseJson(text, what) {
	if (!text.trim()) return undefined;
	try {
		return JSON.parse(text);
	} catch (e) {
		throw new Error(`${what} is not valid JSON: ${e.message}`);
	}
}
