/**
 * What a run counts (a module of its own so that readers, such as status, need not load the
 * pipeline that the writer module pulls in).
 */
export interface RunCounts {
  seen: number;
  ingested: number;
  changed: number;
  unchanged: number;
  reprocessed: number;
  moved: number;
  duplicate: number;
  /** Known paths under the run's folders that were not found (marked, never deleted). */
  missing: number;
  skipped: number;
  failed: number;
}

export function emptyCounts(): RunCounts {
  return { seen: 0, ingested: 0, changed: 0, unchanged: 0, reprocessed: 0, moved: 0, duplicate: 0, missing: 0, skipped: 0, failed: 0 };
}
