// Test helper: Debian's headless Chromium (scripts/setup.sh installs it) driven by playwright-core,
// launched with a fresh profile and nothing that reaches the network by itself. Not a test file.

import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A browser with its own new profile folder (playwright passes it as --user-data-dir). */
export async function launchChromium(): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing; run scripts/setup.sh (it installs Debian's chromium package)`);
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'hc-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1500, height: 1000 },
  });
}
