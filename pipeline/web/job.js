// qoslab job page: the image with its detection boxes and labels drawn (SVG over the
// picture, in image pixels). Labels and names are text nodes, never markup.
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const id = Number(location.pathname.split('/').pop());
let job = null;

function el(tag, text, cls) {
	const e = document.createElement(tag);
	if (text !== undefined && text !== null) e.textContent = String(text);
	if (cls) e.className = cls;
	return e;
}

function svg(tag, attrs, text) {
	const e = document.createElementNS(SVG, tag);
	for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
	if (text !== undefined) e.textContent = String(text);
	return e;
}

function facts(j) {
	const r = j.result || {};
	const rows = [
		['status', j.status], ['image', j.name], ['mode', j.mode], ['worker', j.worker],
		['attempts', j.attempts],
		['latency', j.latency_ms === null ? '' : (j.latency_ms / 1000).toFixed(3) + ' s'],
		['size', r.width ? r.width + ' × ' + r.height : ''],
		['error', r.status === 'ok' ? '' : r.error],
	];
	const body = document.querySelector('#facts tbody');
	body.replaceChildren(...rows.map(([k, v]) => {
		const tr = el('tr');
		tr.append(el('th', k), el('td', v === null || v === undefined ? '' : v));
		return tr;
	}));
}

// The detections at or above the threshold, drawn and listed; the page says how many.
function draw() {
	const pic = document.getElementById('picture');
	const r = job.result || {};
	const thresh = Number(document.getElementById('thresh').value) || 0;
	const dets = (r.detections || []).filter((d) => d.conf >= thresh);
	const img = pic.querySelector('img');
	const W = r.width || (img && img.naturalWidth) || 1, H = r.height || (img && img.naturalHeight) || 1;
	const s = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, preserveAspectRatio: 'none' });
	dets.forEach((d, i) => {
		const [cx, cy, w, h] = d.box;
		const x = (cx - w / 2) * W, y = (cy - h / 2) * H;
		const g = svg('g', { 'data-index': i });
		g.append(svg('rect', { class: 'box', x: x, y: y, width: w * W, height: h * H }),
			 svg('text', { class: 'label', x: x + 2, y: Math.max(y - 3, 12), 'font-size': Math.max(W / 45, 10) },
			     d.name + ' ' + d.conf.toFixed(2)));
		s.append(g);
	});
	const old = pic.querySelector('svg');
	if (old) old.replaceWith(s); else pic.append(s);
	const body = document.querySelector('#dets tbody');
	body.replaceChildren(...dets.map((d, i) => {
		const tr = el('tr');
		tr.append(el('td', i + 1, 'num'), el('td', d.name), el('td', d.conf.toFixed(3), 'num'),
			  el('td', d.box.map((v) => v.toFixed(3)).join(', ')));
		return tr;
	}));
	const shown = document.getElementById('shown');
	shown.textContent = dets.length + ' of ' + (r.detections || []).length + ' detections drawn';
	shown.dataset.count = String(dets.length);
	pic.dataset.ready = '1';
}

async function load() {
	const r = await fetch('/v1/jobs/' + id, { cache: 'no-store' });
	if (!r.ok) {
		document.getElementById('title').textContent = 'job ' + id + ': HTTP ' + r.status;
		return;
	}
	job = await r.json();
	document.title = 'qoslab job ' + id;
	document.getElementById('title').textContent = 'job ' + id + ' (' + job.status + ')';
	facts(job);
	const pic = document.getElementById('picture');
	if (!pic.querySelector('img')) {
		const img = el('img');
		img.alt = 'job ' + id;
		img.addEventListener('load', draw);
		img.src = '/v1/jobs/' + id + '/image';
		pic.append(img);
	} else {
		draw();
	}
	if (job.status === 'queued' || job.status === 'running') setTimeout(load, 1000);
}

document.getElementById('thresh').addEventListener('input', () => { if (job) draw(); });
load();
