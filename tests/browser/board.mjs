// SPDX-License-Identifier: MIT
// The job board in a real browser. Usage: node board.mjs URL ARTEFACT_DIR WORKER_NAME IMAGE...
// Uploads the images through the form, waits until the board shows each as done, opens one
// job's page and checks that the boxes drawn equal the detections at the page's threshold
// (recomputed from the API), that worker and image names containing markup show as text,
// and that no console error, uncaught exception, failed request or dialog happened.
// Screenshots of the board and the job page go to ARTEFACT_DIR.
import { basename, join } from 'node:path';
import { check, failures, launch, watch } from './lib.mjs';

const [url, artefacts, workerName, ...images] = process.argv.slice(2);
const { browser, close } = await launch();
try {
	const page = await browser.newPage();
	const problems = watch(page);
	await page.goto(url, { waitUntil: 'load' });
	await page.waitForSelector('#workers tbody tr', { timeout: 60000 });
	const input = await page.$('#files');
	await input.uploadFile(...images);
	await page.click('#send');
	await page.waitForFunction((n) => document.querySelector('#upload-status').dataset.done === String(n),
				   { timeout: 60000 }, images.length);
	const names = images.map((p) => basename(p));
	// The board polls once a second; a job is done when its row says so.
	await page.waitForFunction((names) => {
		const rows = Array.from(document.querySelectorAll('#jobs tbody tr'));
		return names.every((n) => rows.some((r) => r.querySelector('td.name').textContent === n &&
							    r.dataset.status === 'done'));
	}, { timeout: 120000, polling: 200 }, names);
	check('board_shows_uploads_done', true);
	const workerCells = await page.$$eval('#workers tbody tr td:first-child', (tds) => tds.map((t) => t.textContent));
	check('worker_name_is_text', workerCells.includes(workerName), JSON.stringify(workerCells));
	const scripts = await page.$$eval('body script', (s) => s.length);
	const injected = await page.$$eval('#workers *, #jobs *', (els) =>
		els.filter((e) => ['SCRIPT', 'IMG', 'B', 'I'].includes(e.tagName)).length);
	check('no_markup_from_server', scripts === 0 && injected === 0, `${scripts} scripts, ${injected} injected elements`);
	await page.screenshot({ path: join(artefacts, 'board.png'), fullPage: true });

	// Open the first upload's page from the board.
	const link = await page.evaluateHandle((n) => Array.from(document.querySelectorAll('#jobs tbody tr'))
		.find((r) => r.querySelector('td.name').textContent === n).querySelector('a'), names[0]);
	await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), link.click()]);
	await page.waitForSelector('#picture[data-ready="1"] svg', { timeout: 30000 });
	const id = Number(new URL(page.url()).pathname.split('/').pop());
	const job = await page.evaluate(async (id) => (await fetch('/v1/jobs/' + id)).json(), id);
	const thresh = await page.$eval('#thresh', (e) => Number(e.value));
	const expected = job.result.detections.filter((d) => d.conf >= thresh).length;
	const boxes = await page.$$eval('#picture svg rect.box', (r) => r.length);
	const labels = await page.$$eval('#picture svg text.label', (t) => t.map((x) => x.textContent));
	const rows = await page.$$eval('#dets tbody tr', (r) => r.length);
	const imgOk = await page.$eval('#picture img', (i) => i.complete && i.naturalWidth > 0);
	console.error(`  job ${id} (${job.name}): ${job.result.detections.length} detections, ${expected} at conf >= ${thresh}; ${boxes} boxes drawn`);
	check('job_image_loaded', imgOk);
	check('boxes_equal_detections', boxes === expected && rows === expected && labels.length === expected,
	      `${boxes} boxes, ${rows} rows, ${labels.length} labels, ${expected} expected`);
	check('some_boxes_drawn', expected > 0);
	check('job_name_is_text', (await page.$eval('#facts', (t) => t.textContent)).includes(names[0]));
	await page.screenshot({ path: join(artefacts, 'job.png'), fullPage: true });
	check('no_console_errors', problems.length === 0, problems.join('\n'));
} catch (e) {
	check('board_browser', false, e.stack);
} finally {
	await close();
}
process.exit(failures() ? 1 : 0);
