/**
 * beslutsarkiv as a library: the CLI (src/cli) is a thin layer over these.
 */
export { ingest, readDocument, reprocess, rerunStages, staleStages, sha256, STAGE_VERSIONS, MISSING_SHARE, describeChanges } from './pipeline.js';
export type {
  IngestEvent, IngestOptions, ReadOptions, ReprocessOptions, ReprocessEvent, ReprocessResult, ReprocessTotals, ValueChanges, RunSummary, Failure, PageFailure,
  NotMarkedMissing,
} from './pipeline.js';
export { addMessage, fullText, isOcred } from './document-file.js';
export type { DocumentFile, Extraction, Format, Message, OcrBlock, Page, PageSource, Stage } from './document-file.js';
export { DocumentError, DatabaseLockedError, TrainedDataMissingError, EXIT } from './errors.js';
export type { DocumentErrorCode } from './errors.js';
export { DEFAULT_LIMITS, RENDER_DPI, MIN_TEXT_LAYER_CHARS, parseByteSize } from './limits.js';
export type { Limits } from './limits.js';
// Stage 1: ingest
export { readSource } from './ingest/read-source.js';
export { sniffBytes } from './ingest/sniff.js';
export { markdownToText } from './ingest/markdown.js';
export { findFiles, IGNORE_FILE, parseShard, checkShard, shardOfRelative, relativeToRoot, inShard, ShardError } from './ingest/walk.js';
export type { Shard } from './ingest/walk.js';
// Stage 2: OCR
export { OcrPool } from './ocr/worker-pool.js';
export { createOcrEngine, resolveOcrEngine, OCR_ENGINES } from './ocr/engine.js';
export type { OcrEngine, OcrEngineChoice, OcrEngineOptions, OcrResult } from './ocr/engine.js';
export { NativeOcrEngine, NativeOcrMissingError, detectNativeTesseract, INSTALL_COMMAND } from './ocr/native.js';
export { ocrPages, ocrCacheKey } from './ocr/ocr-pages.js';
export { locateTrainedData } from './ocr/trained-data.js';
// Stage 3: normalize (repair)
export { normalizeDocument, REPAIR_VERSION } from './repair/normalize.js';
export { loadRepairModels } from './repair/models.js';
export { TextRepairer, applyEdits } from './repair/repair-text.js';
export { findLetterhead } from './repair/letterhead.js';
export { wordAccuracy } from './repair/word-accuracy.js';
// Stage 4: layout
export { layoutDocument } from './layout/stage.js';
export { layoutText, sentencesOf } from './layout/blocks.js';
export type { Block, BlockKind, Layout, Sentence } from './layout/blocks.js';
// Stage 5: extract
export { extractDocument, extractRecord, reviewReasons, EXTRACT_VERSION, REVIEW_BELOW } from './extract/extract.js';
export { compareRecords } from './extract/compare.js';
// Stage 5: store
export {
  openDatabase, checkDatabasePath, DEFAULT_DB_PATH, DatabaseNotFoundError, DatabasePathError, SchemaTooNewError, SchemaTooOldError,
} from './store/database.js';
export type { Database } from './store/database.js';
export { refreshSummaries } from './store/migrations.js';
export { Archive } from './store/archive.js';
export { acquireWriterLock, liveWriter } from './store/lock.js';
export { mergeArchives, MergeRefusedError, MERGE_TABLES, schemaTables, unhandledTables } from './store/merge.js';
export type { MergeOptions, MergeEvent, MergeSummary, PartCounts } from './store/merge.js';
export type { WriterLock } from './store/lock.js';
export { exportRecords, iterateRecords, iterateRecordJson, searchText, status } from './store/read.js';
export type { ExportFilters, ExportOptions, StatusReport } from './store/read.js';
export { rebuildReportGroups, decide as decideReportGroup, findDocuments, writeFingerprint, TEXT_THRESHOLD } from './store/reports.js';
export { addAlias, addSuccession, boardKey, listAliases, listSuccessions, removeAlias, removeSuccession, rescopeUnits } from './store/units.js';
export { fingerprint, similarity } from './store/fingerprint.js';
export { importSuccessions, LineageFileError, parseLineageCsv, parseLineageJson, readLineageFile, stockholmBoards, STOCKHOLM_BOARDS_FILE } from './store/lineage-data.js';
export type { ImportedSuccession, LineageRow } from './store/lineage-data.js';
export { LineageFileSchema, ShippedLineageSchema, SuccessionRowSchema } from '../schemas/lineage.js';
export type { LineageFile, ShippedLineage, SuccessionRow } from '../schemas/lineage.js';
// Queries and the report
export {
  boards, classesOffered, deadlines, findUnitIdentities, incomplete, matchBoard, matchClass, participation, signatories, sql, sqlColumns, unitAliases,
  unitHistory, search, searchPaged, snippetWords, snippetWindow,
  QueryUsageError, ReadOnlyQueryError,
} from './query/queries.js';
export type { Filters, ParticipationKey, Row, SnippetWord } from './query/queries.js';
export { NAMED_QUERIES, QUERY_NAMES, runNamedQuery } from './query/named.js';
export type { QueryOption } from './query/named.js';
export { csvRecord, toCsv, toJson, toTable, toXlsx } from './query/format.js';
export { LABELS, label } from './query/labels.js';
export { datasetteMetadata } from './query/datasette.js';
export { renderReport } from './query/report.js';
export { unitIdentityKey } from './query/unit-identity.js';
export { DocumentRecordSchema, ExtractedSchema, SourceSchema } from '../schemas/record.js';
export type { DocumentRecord, Extracted } from '../schemas/record.js';
// Review and correction
export { applyCorrections, resolveCorrection, parsePath, coerceValue, validateRecord, CorrectionError, SCALAR_FIELDS, UNIT_FIELDS } from './review/apply.js';
export type { Applied, CorrectionInput, Outcome, ResolvedCorrection } from './review/apply.js';
export { makeCorrections, undoCorrection, carryOver, carriedOverOffers, resolveDocument, withCorrectionLock, defaultUser } from './review/correct.js';
export type { CorrectionRequest, MadeCorrection, CarriedOver, DocumentRef } from './review/correct.js';
export { reviewQueue, reviewDocument, requestsFromCsv, correctFromCsv, parseCsv, valueAt, evidenceKey, fieldsOf, REVIEW_COLUMNS } from './review/queue.js';
export type { ReviewRow, DocumentReview, QueueOptions } from './review/queue.js';
export { listCorrections, machineExtraction } from './review/store.js';
export { CorrectionSchema, CorrectionNoteSchema } from '../schemas/correction.js';
export type { Correction, CorrectionNote } from '../schemas/correction.js';
// The web app (beslutsarkiv serve)
export { serve, createServer } from './web/server.js';
export type { ServeOptions, RunningServer } from './web/server.js';
