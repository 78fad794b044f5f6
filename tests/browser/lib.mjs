// SPDX-License-Identifier: MIT
// Debian's chromium under puppeteer-core: never a browser a test tool downloads itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';

export const CHROMIUM = process.env.QOSLAB_CHROMIUM || '/usr/bin/chromium';

// A fresh profile per run; flags keep chromium off the network (no updates, sync, QUIC).
export async function launch() {
	const profile = mkdtempSync(join(tmpdir(), 'qoslab-chromium-'));
	const browser = await puppeteer.launch({
		executablePath: CHROMIUM,
		headless: false, // the flags below say --headless themselves
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
		       '--disable-background-networking', '--disable-component-update', '--disable-sync',
		       '--user-data-dir=' + profile, '--window-size=1280,900'],
		defaultViewport: { width: 1280, height: 900 },
	});
	const close = async () => {
		await browser.close();
		rmSync(profile, { recursive: true, force: true });
	};
	return { browser, close };
}

// Console errors, uncaught exceptions and failed requests of a page, collected as text.
export function watch(page) {
	const problems = [];
	page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
	page.on('pageerror', (e) => problems.push('uncaught: ' + e.message));
	page.on('requestfailed', (r) => problems.push('request failed: ' + r.url()));
	page.on('response', (r) => { if (r.status() >= 400) problems.push('HTTP ' + r.status() + ': ' + r.url()); });
	page.on('dialog', async (d) => { problems.push('dialog: ' + d.message()); await d.dismiss(); });
	return problems;
}

let fails = 0;
export function check(name, cond, detail) {
	if (cond) {
		console.log('ok - ' + name);
	} else {
		console.log('FAIL - ' + name);
		if (detail !== undefined) console.log('    ' + String(detail).split('\n').join('\n    '));
		fails++;
	}
}
export function failures() {
	return fails;
}
