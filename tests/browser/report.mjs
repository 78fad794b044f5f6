// SPDX-License-Identifier: MIT
// A run's report.html in a real browser. Usage: node report.mjs REPORT_HTML ARTEFACT_DIR
// It must render with no console error, uncaught exception, failed request or dialog, with
// every image loaded (plots), and markup from the scenario or manifest shown as text.
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { check, failures, launch, watch } from './lib.mjs';

const [report, artefacts] = process.argv.slice(2);
const { browser, close } = await launch();
try {
	const page = await browser.newPage();
	const problems = watch(page);
	await page.goto(pathToFileURL(resolve(report)).href, { waitUntil: 'load' });
	const imgs = await page.$$eval('img', (is) => is.map((i) => ({ src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0 })));
	const broken = imgs.filter((i) => !i.ok).map((i) => i.src);
	check('report_renders', (await page.$$eval('table', (t) => t.length)) > 0 && imgs.length > 0,
	      `${imgs.length} images`);
	check('report_images_load', broken.length === 0, broken.join(' '));
	check('report_no_scripts', (await page.$$eval('script', (s) => s.length)) === 0);
	await page.screenshot({ path: join(artefacts, 'report.png'), fullPage: true });
	check('report_no_console_errors', problems.length === 0, problems.join('\n'));
} catch (e) {
	check('report_browser', false, e.stack);
} finally {
	await close();
}
process.exit(failures() ? 1 : 0);
