/**
 * Debian's chromium for browser specs, through playwright-core (Node-only subpath, so specs
 * that need no browser do not load playwright).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Where .ci/run installs chromium (apt-get install chromium). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * A headless chromium that stays off the network except for what the page asks for (no
 * background updates, sync or QUIC). Fails clearly when chromium is not installed.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
