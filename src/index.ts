/**
 * beslutsarkiv as a library: the CLI (src/cli) is a thin layer over these.
 */
export { ingest, readDocument, sha256, STAGE_VERSIONS } from './pipeline.js';
export type { IngestEvent, IngestOptions, ReadOptions, RunSummary, Failure } from './pipeline.js';
export { addMessage, fullText, isOcred } from './document-file.js';
export type { DocumentFile, Format, Message, OcrBlock, Page, PageSource, Stage } from './document-file.js';
export { DocumentError, DatabaseLockedError, TrainedDataMissingError, EXIT } from './errors.js';
export type { DocumentErrorCode } from './errors.js';
export { DEFAULT_LIMITS, RENDER_DPI, MIN_TEXT_LAYER_CHARS } from './limits.js';
export type { Limits } from './limits.js';
export { readSource } from './ingest/read-source.js';
export { sniffBytes } from './ingest/sniff.js';
export { markdownToText } from './ingest/markdown.js';
export { findFiles, IGNORE_FILE } from './ingest/walk.js';
export { OcrPool } from './ocr/worker-pool.js';
export { ocrPages, ocrCacheKey } from './ocr/ocr-pages.js';
export { locateTrainedData } from './ocr/trained-data.js';
export { openDatabase, DEFAULT_DB_PATH } from './store/database.js';
export { Archive } from './store/archive.js';
export { acquireWriterLock } from './store/lock.js';
export { exportRecords, status } from './store/read.js';
export { DocumentRecordSchema, SourceSchema } from '../schemas/record.js';
export type { DocumentRecord } from '../schemas/record.js';
