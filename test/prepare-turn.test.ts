/**
 * The OCR stage prepares page images one at a time, in the order the pages ask (ocr-pages.ts). A
 * page whose preparation never finishes must not hold up other files: when its file is stopped
 * (deadline or interrupt), it gives up its turn and the next file's pages are prepared and read.
 * The stuck decode is simulated (nothing real hangs on demand); the other file's page is a real
 * rendered scan, prepared for real, and read by a stand-in engine (the scheduling is under test).
 */
import { describe, expect, it, vi } from 'vitest';
import type { OcrImage } from '../src/ingest/image.js';
import { readSource, type Source } from '../src/ingest/read-source.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import type { OcrEngine } from '../src/ocr/engine.js';
import { ocrPages } from '../src/ocr/ocr-pages.js';
import { sha256 } from '../src/pipeline.js';
import { paginate, renderScan, toPng } from '../scripts/fixtures.js';
import { SEED_TEXT } from './helpers.js';

/** Images whose origin is marked so never finish preparing. */
const STUCK = 'stuck' as OcrImage['origin'];
vi.mock('../src/ocr/prepare-image.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/ocr/prepare-image.js')>();
  return { ...real, prepareForOcr: (image: OcrImage) => (image.origin === STUCK ? new Promise(() => {}) : real.prepareForOcr(image)) };
});

const engine: OcrEngine = {
  size: 1,
  engineId: 'stand-in',
  label: 'stand-in',
  recognized: 0,
  recognize: async () => ({ text: 'läst', confidence: 90, blocks: [] }),
  prestart: () => {},
  close: async () => {},
};

async function scan(name: string, stuck: boolean): Promise<Source> {
  const image = renderScan(paginate(SEED_TEXT, 22)[0]!, { dpi: 200, seed: 1 });
  const bytes = toPng(image);
  const source = await readSource({ path: `/in/${name}`, name, size: bytes.length, mtimeMs: 0, bytes, sha256: sha256(bytes) }, DEFAULT_LIMITS);
  if (!stuck) return source;
  return { ...source, pages: source.pages.map((p) => ({ ...p, loadImage: async () => ({ ...(await p.loadImage!()), origin: STUCK }) })) };
}

describe('preparing page images one at a time', () => {
  it('a file stopped while its page is being prepared gives up its turn; the next file is read', async () => {
    const stuck = await scan('stuck.png', true);
    const next = await scan('next.png', false);
    const controller = new AbortController();
    const first = ocrPages(stuck, { pool: engine, signal: controller.signal }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    let stoppedAt = 0;
    const second = ocrPages(next, { pool: engine }).then((file) => ({ file, at: performance.now() }));
    setTimeout(() => {
      stoppedAt = performance.now();
      controller.abort();
    }, 300);
    const error = (await first) as Error;
    expect(error.name).toBe('AbortError');
    const { file, at } = await second;
    // The next file waited its turn behind the stuck page, and got it when that file was stopped.
    expect(stoppedAt).toBeGreaterThan(0);
    expect(at).toBeGreaterThanOrEqual(stoppedAt);
    expect(file.pages[0]!.text).toBe('läst');
    await Promise.all([stuck.close(), next.close()]);
  });
});
