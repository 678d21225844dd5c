/**
 * The system's Chromium (Debian's `chromium` package; `.ci/run` installs it) driven through
 * playwright-core, which never downloads a browser. One browser per test file: `launchChromium()` in a
 * `beforeAll`, `close()` in an `afterAll`; a file whose tests need it uses `describe.skipIf(!CHROMIUM)`
 * so a machine without it skips them, saying why.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

// Belt and braces: playwright-core has no browser download of its own, and nothing here should start one.
process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';

/** CHROMIUM_PATH when set (only it), else where Debian and Ubuntu put the browser. */
const CANDIDATES = process.env.CHROMIUM_PATH ? [process.env.CHROMIUM_PATH] : ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** The browser executable to drive, or undefined when this machine has none. */
export const CHROMIUM: string | undefined = CANDIDATES.find((p): p is string => !!p && existsSync(p));

/** Why the browser tests skip here (printed once by each file that skips). */
export const NO_CHROMIUM_REASON = `browser tests skipped: no Chromium at ${CANDIDATES.join(' or ')} (install Debian's chromium, apt-get install chromium, or set CHROMIUM_PATH)`;

if (!CHROMIUM) console.warn(NO_CHROMIUM_REASON);

/** Starts the system Chromium headless; as root (CI containers) its sandbox cannot start, so it runs without. */
export async function launchChromium(): Promise<Browser> {
  if (!CHROMIUM) throw new Error(NO_CHROMIUM_REASON);
  const args = ['--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'];
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}
