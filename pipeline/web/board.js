// qoslab job board: polls the API and redraws. Everything from the server (names, labels,
// errors) goes into the page as text nodes, never as markup.
'use strict';

const REFRESH_MS = 1000;
let before = 0;          // 0: the newest page
const pages = [];        // the `before` of earlier pages, for "newest"

function el(tag, text, cls) {
	const e = document.createElement(tag);
	if (text !== undefined && text !== null) e.textContent = String(text);
	if (cls) e.className = cls;
	return e;
}

function num(text) {
	return el('td', text, 'num');
}

function ago(s) {
	if (s === undefined || s === null) return '';
	if (s < 60) return s.toFixed(0) + ' s ago';
	return (s / 60).toFixed(1) + ' min ago';
}

async function getJSON(url) {
	const r = await fetch(url, { cache: 'no-store' });
	if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
	return r.json();
}

function drawWorkers(stats) {
	const body = document.querySelector('#workers tbody');
	const rows = [];
	for (const w of stats.worker_list || []) {
		const tr = el('tr');
		tr.dataset.state = w.state;
		tr.append(el('td', w.name), el('td', w.addr), el('td', w.state, 'state-' + w.state),
			  num(w.jobs_done), el('td', 'joined ' + ago(w.joined_s_ago)));
		rows.push(tr);
	}
	for (const w of (stats.workers_left || []).slice().reverse()) {
		const tr = el('tr');
		tr.dataset.state = 'lost';
		tr.append(el('td', w.name), el('td', w.addr), el('td', 'lost: ' + w.why, 'state-lost'),
			  num(w.jobs_done), el('td', 'left ' + ago(w.left_s_ago)));
		rows.push(tr);
	}
	body.replaceChildren(...rows);
	const c = stats.counters || {};
	document.getElementById('summary').textContent =
		'queue ' + stats.queue_depth + ' / ' + stats.queue_max + ' · running ' + stats.running +
		' · workers ' + stats.workers.connected + ' (' + stats.workers.busy + ' busy) · ' +
		'joined ' + c.workers_joined + ', lost ' + c.workers_lost + ' · completed ' + c.completed;
}

function drawJobs(list) {
	const body = document.querySelector('#jobs tbody');
	const rows = [];
	for (const j of list.jobs) {
		const tr = el('tr');
		tr.dataset.job = j.job;
		tr.dataset.status = j.status;
		const id = el('td');
		const a = el('a', j.job);
		a.href = '/jobs/' + encodeURIComponent(j.job);
		id.append(a);
		tr.append(id, el('td', j.name === null ? '' : j.name, 'name'),
			  el('td', j.status, 'status status-' + j.status), el('td', j.mode),
			  el('td', j.worker === null ? '' : j.worker), num(j.attempts),
			  num(j.latency_ms === null ? '' : (j.latency_ms / 1000).toFixed(2) + ' s'),
			  num(j.detections === null ? '' : j.detections));
		rows.push(tr);
	}
	body.replaceChildren(...rows);
	const parts = [];
	for (const [k, v] of Object.entries(list.counts)) if (v) parts.push(k + ' ' + v);
	document.getElementById('counts').textContent = parts.join(' · ');
	const older = document.getElementById('older');
	older.hidden = list.next_before === null;
	older.onclick = () => { pages.push(before); before = list.next_before; refresh(); };
	const newer = document.getElementById('newer');
	newer.hidden = before === 0;
	newer.onclick = () => { before = 0; pages.length = 0; refresh(); };
}

async function refresh() {
	const status = document.getElementById('filter').value;
	let q = '/v1/jobs?limit=50';
	if (status) q += '&status=' + encodeURIComponent(status);
	if (before) q += '&before=' + before;
	try {
		const [stats, list] = await Promise.all([getJSON('/v1/stats'), getJSON(q)]);
		drawWorkers(stats);
		drawJobs(list);
	} catch (e) {
		document.getElementById('summary').textContent = 'server unreachable: ' + e.message;
	}
}

async function upload(ev) {
	ev.preventDefault();
	const files = Array.from(document.getElementById('files').files);
	const note = document.getElementById('upload-status');
	let ok = 0, failed = 0;
	note.textContent = 'uploading ' + files.length + ' image(s)';
	// One at a time: the board shows them arriving in order.
	for (const f of files) {
		try {
			const r = await fetch('/v1/jobs?wait=0&name=' + encodeURIComponent(f.name), {
				method: 'POST', headers: { 'Content-Type': 'image/jpeg' }, body: f });
			if (r.status === 202) ok++; else failed++;
		} catch (e) {
			failed++;
		}
		note.textContent = 'uploaded ' + ok + ' of ' + files.length +
			(failed ? ' (' + failed + ' refused)' : '');
		refresh();
	}
	note.dataset.done = String(ok + failed);
}

document.getElementById('upload').addEventListener('submit', upload);
document.getElementById('filter').addEventListener('change', () => { before = 0; refresh(); });
refresh();
setInterval(refresh, REFRESH_MS);
