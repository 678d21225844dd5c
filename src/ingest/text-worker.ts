/**
 * The text stages in a worker thread (see TextStages in sandbox.ts): repair, layout, then extraction,
 * of one document at a time, answering which stage is running so a timeout can name it.
 */
import { parentPort } from 'node:worker_threads';
import type { DocumentFile } from '../document-file.js';
import { DocumentError } from '../errors.js';
import { extractDocument } from '../extract/extract.js';
import { layoutDocument } from '../layout/stage.js';
import { loadRepairModels } from '../repair/models.js';
import { normalizeDocument } from '../repair/normalize.js';

const port = parentPort!;
port.on('message', (file: DocumentFile) => {
  try {
    port.postMessage({ stage: 'normalize' });
    // Stage 3: repair the text (spelling, hyphenation), recording every change.
    normalizeDocument(file);
    port.postMessage({ stage: 'layout' });
    // Stage 4: rebuild the blocks (paragraphs, items, tables, header) from the text, whatever its layout.
    layoutDocument(file);
    port.postMessage({ stage: 'extract' });
    // Stage 5: extract the record, each value with its evidence and confidence.
    // The layout's blocks are not stored (they are rebuilt from the repaired text): not sent back,
    // where for a long text they would be another copy of it, in pieces.
    const { layout: _layout, ...done } = extractDocument(file);
    port.postMessage({ done });
  } catch (error) {
    const e = error as Error;
    port.postMessage({ error: { name: e?.name ?? 'Error', code: error instanceof DocumentError ? error.code : undefined, message: e?.message ?? String(error) } });
  }
});

// The models load as the worker starts (it is started ahead of the first document that needs it);
// documents are sent once it says it is ready, so loading is no document's time.
loadRepairModels();
port.postMessage({ ready: true });
