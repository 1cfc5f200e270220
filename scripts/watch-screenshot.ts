// Takes a screenshot of a `hyperclone watch` page in Debian's headless Chromium (the test's launcher):
// node --import tsx scripts/watch-screenshot.ts URL OUT.png. Not a test (packages/cli/test/watch-browser.test.ts).

import { launchChromium } from '../packages/cli/test/chromium.js';

const [url, out] = process.argv.slice(2);
if (!url || !out) {
  process.stderr.write('usage: node --import tsx scripts/watch-screenshot.ts URL OUT.png\n');
  process.exit(2);
}
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForSelector('section [data-run]', { timeout: 60_000 });
  await page.waitForTimeout(1500); // one more update
  await page.screenshot({ path: out, fullPage: true });
  process.stdout.write(`wrote ${out}\n`);
} finally {
  await browser.close();
}
