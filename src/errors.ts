/**
 * Errors with a stable code, so that a batch can report every bad file with a specific reason
 * and tests can assert on the code rather than on wording.
 */

export type DocumentErrorCode =
  | 'unreadable'
  | 'empty-file'
  | 'file-too-large'
  | 'unsupported-format'
  | 'binary-text'
  | 'no-text'
  | 'corrupt-pdf'
  | 'encrypted-pdf'
  | 'too-many-pages'
  | 'corrupt-image'
  | 'too-many-pixels'
  | 'ocr-timeout'
  | 'ocr-failed'
  /** The file had no outcome within --file-timeout (plus the OCR allowance of its pages); the reason names the stage. */
  | 'timeout'
  /** The sandboxed reader went over a limit (heap, memory, a decompressed stream); the reason names which. */
  | 'resource-limit'
  /** The sandboxed reader died for another reason (a crash in native code). */
  | 'reader-crashed'
  /** The file was being read when an earlier run died; it is not read again without --retry-failed. */
  | 'crashed-before'
  | 'interrupted';

/** A document cannot be read: the batch records it as a failure and goes on. */
export class DocumentError extends Error {
  override name = 'DocumentError';
  constructor(
    readonly code: DocumentErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Another process is writing to the database. */
export class DatabaseLockedError extends Error {
  override name = 'DatabaseLockedError';
  constructor(
    readonly lockPath: string,
    readonly holder: { pid: number; host: string; startedAt: string },
  ) {
    super(
      `database is locked by another beslutsarkiv writer (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}); ` +
        `wait for it to finish, or remove ${lockPath} if that process no longer exists`,
    );
  }
}

/** The Swedish trained data for OCR is not installed where it should be. */
export class TrainedDataMissingError extends Error {
  override name = 'TrainedDataMissingError';
}

/** Exit codes of the CLI, documented in the README. */
export const EXIT = {
  ok: 0,
  /** Some input files failed; the rest were stored. */
  failures: 1,
  /** Wrong usage or a fatal problem (database unreadable, OCR data missing). */
  error: 2,
  /** A source folder is empty, missing or not mounted while the database knows files under it (or too many of them are gone): nothing marked missing. */
  emptySource: 3,
  /** Another writer holds the database lock (EX_TEMPFAIL). */
  locked: 75,
  /** Interrupted by SIGINT/SIGTERM: finished documents are stored. */
  interrupted: 130,
} as const;
