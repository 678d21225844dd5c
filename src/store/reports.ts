/**
 * Reports, not files. Documents that are the same report form one report group:
 *
 * - the same Dnr (registry number) under the same board;
 * - near-identical repaired text (MinHash of word pairs, estimated Jaccard ≥ TEXT_THRESHOLD),
 *   unless their extracted values contradict each other (two different years, boards or Dnr, or
 *   unit lists that mostly differ: a template filled in for another board is another report);
 * - an archivist's decision (`beslutsarkiv group join`), which also overrides the rules the other
 *   way (`group split`: never the same report).
 *
 * A report is counted once, with the values of its best document: the most complete one (year,
 * board, units), then born-digital before OCRed, then the higher OCR confidence, then the first
 * archived. Its id is that document's id. Only current documents (not superseded) are grouped.
 * Groups are rebuilt at the end of every writer run and after every archivist decision.
 */
import type { Database } from 'better-sqlite3';
import { BANDS, bandKeys, fingerprint, fromBlob, MIN_SHINGLES, similarity, toBlob } from './fingerprint.js';
import { boardKey } from './units.js';
import { prepared } from './statements.js';

/** Estimated Jaccard of word pairs above which two documents are the same report (when nothing contradicts it). */
export const TEXT_THRESHOLD = 0.6;
/** A band bucket holding more documents than this is template text shared by many reports: not used for candidates. */
export const MAX_BUCKET = 64;

export type JoinedBy = 'self' | 'archivist' | 'dnr' | 'text';

/** A Dnr as compared: case, spaces and the letters OCR puts for digits (O/o → 0, l/I → 1) ignored. */
export function dnrKey(dnr: string | null): string | null {
  if (!dnr) return null;
  const k = dnr.toLowerCase().replace(/\s+/g, '').replace(/o/g, '0').replace(/[li|]/g, '1');
  return k.length >= 3 ? k : null;
}

/** Stores (or replaces) a document's text fingerprint, from its repaired pages. */
export function writeFingerprint(db: Database, documentId: number, pages: Array<{ text: string; repaired?: string }>): void {
  const f = fingerprint(pages.map((p) => p.repaired ?? p.text).join('\n'));
  prepared(db, 'INSERT OR REPLACE INTO report_fingerprints (document_id, minhash, shingles) VALUES (?, ?, ?)').run(documentId, toBlob(f.minhash), f.shingles);
}

interface Doc {
  id: number;
  file_name: string;
  ocr: number;
  confidence: number | null;
  topic: string | null;
  year: number | null;
  board: string | null;
  dnr: string | null;
  units: number;
  minhash: Buffer | null;
  shingles: number | null;
  /** Computed once: the board and Dnr as compared. */
  boardKey?: string | null;
  dnrKey?: string | null;
}

export interface GroupSummary {
  documents: number;
  reports: number;
  /** Documents counted in another document's report. */
  grouped: number;
  ms: number;
  /** Milliseconds of each step: read, rules (Dnr and text), write. */
  phases: Record<string, number>;
}

/** Rebuilds report_documents and reports, and which participations and records count. */
export function rebuildReportGroups(db: Database): GroupSummary {
  const t0 = performance.now();
  const docs = db
    .prepare(
      `SELECT d.id, d.file_name, d.ocr, CASE WHEN d.ocr THEN (SELECT avg(confidence) FROM pages p WHERE p.document_id = d.id AND p.source = 'ocr') END AS confidence,
              e.topic, e.year, e.board, e.diarienummer AS dnr,
              (SELECT count(*) FROM units u WHERE u.document_id = d.id) AS units, f.minhash, f.shingles
       FROM documents d LEFT JOIN extractions e ON e.document_id = d.id LEFT JOIN report_fingerprints f ON f.document_id = d.id
       WHERE d.superseded_by IS NULL ORDER BY d.id`,
    )
    .all() as Doc[];
  for (const d of docs) {
    d.boardKey = d.board ? boardKey(d.board) : null;
    d.dnrKey = dnrKey(d.dnr);
  }
  const phases: Record<string, number> = { read: performance.now() - t0 };
  const byId = new Map(docs.map((d) => [d.id, d]));
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    let r = x;
    while (parent.get(r) !== undefined && parent.get(r) !== r) r = parent.get(r)!;
    let y = x;
    while (y !== r) {
      const next = parent.get(y)!;
      parent.set(y, r);
      y = next;
    }
    return r;
  };
  const members = new Map<number, number[]>(docs.map((d) => [d.id, [d.id]]));
  const cannot = new Map<number, Set<number>>();
  const joinedBy = new Map<number, JoinedBy>();
  for (const r of db.prepare('SELECT document_a, document_b FROM report_decisions WHERE same = 0').all() as Array<{ document_a: number; document_b: number }>) {
    if (!byId.has(r.document_a) || !byId.has(r.document_b)) continue;
    (cannot.get(r.document_a) ?? cannot.set(r.document_a, new Set()).get(r.document_a)!).add(r.document_b);
    (cannot.get(r.document_b) ?? cannot.set(r.document_b, new Set()).get(r.document_b)!).add(r.document_a);
  }
  const union = (a: number, b: number, kind: JoinedBy): boolean => {
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) return false;
    const ma = members.get(ra)!;
    const mb = members.get(rb)!;
    // An archivist said some document of one is not the same report as some document of the other.
    const [small, large] = ma.length <= mb.length ? [ma, rb] : [mb, ra];
    for (const x of small) for (const y of cannot.get(x) ?? []) if (find(y) === large) return false;
    const [keep, drop] = ra < rb ? [ra, rb] : [rb, ra];
    parent.set(drop, keep);
    members.set(keep, [...members.get(keep)!, ...members.get(drop)!]);
    members.delete(drop);
    if (!joinedBy.has(a)) joinedBy.set(a, kind);
    if (!joinedBy.has(b)) joinedBy.set(b, kind);
    return true;
  };

  // 1. The archivist's joins.
  for (const r of db.prepare('SELECT document_a, document_b FROM report_decisions WHERE same = 1').all() as Array<{ document_a: number; document_b: number }>) {
    if (byId.has(r.document_a) && byId.has(r.document_b)) union(r.document_a, r.document_b, 'archivist');
  }
  // 2. The same Dnr under the same board.
  const byDnr = new Map<string, number>();
  for (const d of docs) {
    if (!d.dnrKey || !d.boardKey) continue;
    const key = `${d.boardKey}\u0000${d.dnrKey}`;
    const first = byDnr.get(key);
    if (first === undefined) byDnr.set(key, d.id);
    else union(first, d.id, 'dnr');
  }
  // 3. Near-identical text, found through LSH bands and checked against the records and the signatures.
  // (Typed arrays by position: a large archive has millions of candidate pairs from shared template text.)
  const n = docs.length;
  const intern = (values: Array<string | null | undefined>) => {
    const ids = new Map<string, number>();
    return Int32Array.from(values, (v) => (v ? (ids.get(v) ?? ids.set(v, ids.size).get(v)!) : -1));
  };
  const years = Int32Array.from(docs, (d) => d.year ?? -1);
  const boards = intern(docs.map((d) => d.boardKey));
  const dnrs = intern(docs.map((d) => d.dnrKey));
  const signatures: Array<Uint32Array | undefined> = new Array(n);
  // Band keys of every document, then per band the documents sorted by key (no map of lists to build).
  const keys = new Uint32Array(n * BANDS);
  const signed: number[] = [];
  docs.forEach((d, i) => {
    if (!d.minhash || (d.shingles ?? 0) < MIN_SHINGLES) return;
    const m = fromBlob(d.minhash);
    signatures[i] = m;
    keys.set(bandKeys(m), i * BANDS);
    signed.push(i);
  });
  const differ = (x: Int32Array, a: number, b: number) => x[a]! >= 0 && x[b]! >= 0 && x[a] !== x[b];
  const unitKeys = db.prepare('SELECT DISTINCT identity_id FROM participations WHERE document_id = ?').pluck();
  const POS = 2097152; // 2^21 > positions
  const sorted = new Float64Array(signed.length);
  for (let band = 0; band < BANDS; band++) {
    signed.forEach((i, k) => (sorted[k] = keys[i * BANDS + band]! * POS + i));
    sorted.sort();
    for (let start = 0; start < sorted.length; ) {
      const key = Math.floor(sorted[start]! / POS);
      let end = start + 1;
      while (end < sorted.length && Math.floor(sorted[end]! / POS) === key) end++;
      const size = end - start;
      if (size >= 2 && size <= MAX_BUCKET) {
        for (let x = start; x < end; x++) {
          for (let y = x + 1; y < end; y++) {
            const a = sorted[x]! % POS;
            const b = sorted[y]! % POS;
            // Cheapest first: records that contradict each other (another year, board or Dnr).
            if (differ(years, a, b) || differ(boards, a, b) || differ(dnrs, a, b)) continue;
            const da = docs[a]!;
            const db_ = docs[b]!;
            if (find(da.id) === find(db_.id)) continue;
            if (similarity(signatures[a]!, signatures[b]!) < TEXT_THRESHOLD) continue;
            if (unitsDiffer(da, db_, (id) => unitKeys.all(id) as number[])) continue;
            union(da.id, db_.id, 'text');
          }
        }
      }
      start = end;
    }
  }

  phases.rules = performance.now() - t0 - phases.read!;
  // The groups: each counted once, with the values of its best document.
  const complete = (d: Doc) => (d.year !== null ? 1 : 0) + (d.board ? 1 : 0) + (d.units > 0 ? 1 : 0) + (d.topic ? 1 : 0);
  const better = (a: Doc, b: Doc) =>
    complete(b) - complete(a) || a.ocr - b.ocr || (b.confidence ?? 100) - (a.confidence ?? 100) || a.id - b.id;
  // Written as differences from the groups stored: a run that changed a few documents rewrites a few rows.
  const oldMembers = new Map((db.prepare('SELECT document_id, report_id, is_primary, joined_by FROM report_documents').raw().all() as Array<[number, number, number, string]>).map((r) => [r[0], r]));
  const oldReports = new Map((db.prepare('SELECT id, documents, topic, year, board, units, missing, files FROM reports').raw().all() as unknown[][]).map((r) => [r[0] as number, JSON.stringify(r)]));
  const member = db.prepare('INSERT OR REPLACE INTO report_documents (document_id, report_id, is_primary, joined_by) VALUES (?, ?, ?, ?)');
  const report = db.prepare('INSERT OR REPLACE INTO reports (id, documents, topic, year, board, units, missing, files) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const changed: number[] = [];
  let grouped = 0;
  for (const ids of members.values()) {
    const list = ids.map((id) => byId.get(id)!).sort(better);
    const best = list[0]!;
    const missing =
      best.topic === 'award_participation'
        ? [best.year === null ? 'year' : '', best.board ? '' : 'board', best.units > 0 ? '' : 'units'].filter(Boolean).join(', ') || null
        : null;
    // Its files, the counted one first, then by name.
    const files = [best.file_name, ...list.slice(1).map((d) => d.file_name).sort()].join('; ');
    const row = [best.id, list.length, best.topic, best.year, best.board, best.units, missing, files];
    if (oldReports.get(best.id) !== JSON.stringify(row)) report.run(...row);
    oldReports.delete(best.id);
    for (const d of list) {
      const m: [number, number, number, string] = [d.id, best.id, d === best ? 1 : 0, list.length === 1 ? 'self' : (joinedBy.get(d.id) ?? 'self')];
      const old = oldMembers.get(d.id);
      if (!old || old[1] !== m[1] || old[2] !== m[2] || old[3] !== m[3]) {
        member.run(...m);
        if (!old || old[2] !== m[2]) changed.push(d.id);
      }
      oldMembers.delete(d.id);
    }
    grouped += list.length - 1;
  }
  // Documents no longer current, and reports that no longer exist.
  const dropMember = db.prepare('DELETE FROM report_documents WHERE document_id = ?');
  for (const id of oldMembers.keys()) dropMember.run(id);
  const dropReport = db.prepare('DELETE FROM reports WHERE id = ?');
  for (const id of oldReports.keys()) dropReport.run(id);
  // What counts: the current version of a report's best document (documents stored since the last
  // rebuild have no group yet and count as reports of their own).
  if (changed.length > n / 10) {
    db.exec(`
      UPDATE participations SET counted = current AND coalesce((SELECT is_primary FROM report_documents r WHERE r.document_id = participations.document_id), 1);
      UPDATE extractions SET counted = current AND coalesce((SELECT is_primary FROM report_documents r WHERE r.document_id = extractions.document_id), 1);
    `);
  } else {
    const p = db.prepare('UPDATE participations SET counted = current AND (SELECT is_primary FROM report_documents r WHERE r.document_id = ?) WHERE document_id = ?');
    const e = db.prepare('UPDATE extractions SET counted = current AND (SELECT is_primary FROM report_documents r WHERE r.document_id = ?) WHERE document_id = ?');
    for (const id of changed) {
      p.run(id, id);
      e.run(id, id);
    }
  }
  const ms = performance.now() - t0;
  phases.write = ms - phases.read! - phases.rules;
  for (const k of Object.keys(phases)) phases[k] = Math.round(phases[k]!);
  return { documents: docs.length, reports: members.size, grouped, ms: Math.round(ms), phases };
}

/** Two documents whose records say they are different reports, however alike their text: another year, board or Dnr. */
function valuesDiffer(a: Doc, b: Doc): boolean {
  return (
    (a.year !== null && b.year !== null && a.year !== b.year) ||
    (!!a.boardKey && !!b.boardKey && a.boardKey !== b.boardKey) ||
    (!!a.dnrKey && !!b.dnrKey && a.dnrKey !== b.dnrKey)
  );
}

/** …or unit lists that mostly differ (fewer than half of the units shared): a template filled in for other units. */
function unitsDiffer(a: Doc, b: Doc, units: (id: number) => number[]): boolean {
  if (a.units === 0 || b.units === 0) return false;
  const ua = new Set(units(a.id));
  const ub = units(b.id);
  const shared = ub.filter((u) => ua.has(u)).length;
  return shared / new Set([...ua, ...ub]).size < 0.5;
}

/** Resolves how a user names a document: its id, a sha256 prefix (8+ hex digits), a file name or a path. */
export function findDocuments(db: Database, ref: string): Array<{ id: number; file_name: string; sha256: string }> {
  const cols = 'd.id, d.file_name, d.sha256';
  if (/^\d+$/.test(ref)) {
    const byId = db.prepare(`SELECT ${cols} FROM documents d WHERE d.id = ?`).all(Number(ref)) as Array<{ id: number; file_name: string; sha256: string }>;
    if (byId.length) return byId;
  }
  if (/^[0-9a-f]{8,64}$/i.test(ref)) {
    const bySha = db.prepare(`SELECT ${cols} FROM documents d WHERE d.sha256 LIKE ?`).all(`${ref.toLowerCase()}%`) as Array<{ id: number; file_name: string; sha256: string }>;
    if (bySha.length) return bySha;
  }
  return db
    .prepare(`SELECT DISTINCT ${cols} FROM documents d LEFT JOIN files f ON f.document_id = d.id WHERE d.file_name = ? OR f.name = ? OR f.path = ? ORDER BY d.id`)
    .all(ref, ref, ref) as Array<{ id: number; file_name: string; sha256: string }>;
}

/**
 * Records an archivist's decision, on groups rebuilt just before. Join: the reports of these
 * documents become one (earlier splits between their documents are taken back). Split: each
 * document becomes a report of its own, never grouped with the other documents of its report.
 */
export function decide(db: Database, documents: number[], same: boolean): void {
  const t = new Date().toISOString();
  const put = db.prepare('INSERT OR REPLACE INTO report_decisions (document_a, document_b, same, decided_at) VALUES (?, ?, ?, ?)');
  const groupOf = (id: number) => {
    const others = db.prepare('SELECT document_id FROM report_documents WHERE report_id = (SELECT report_id FROM report_documents WHERE document_id = ?)').pluck().all(id) as number[];
    return others.length ? others : [id];
  };
  const pair = (x: number, y: number) => (x < y ? [x, y] : [y, x]) as [number, number];
  db.transaction(() => {
    if (same) {
      const groups = documents.map(groupOf);
      const unsplit = db.prepare('DELETE FROM report_decisions WHERE document_a = ? AND document_b = ? AND same = 0');
      for (let i = 0; i < groups.length; i++) for (let j = i + 1; j < groups.length; j++) for (const x of groups[i]!) for (const y of groups[j]!) if (x !== y) unsplit.run(...pair(x, y));
      for (let i = 1; i < documents.length; i++) if (documents[0] !== documents[i]) put.run(...pair(documents[0]!, documents[i]!), 1, t);
      return;
    }
    for (const id of documents) for (const other of groupOf(id)) if (other !== id) put.run(...pair(id, other), 0, t);
  })();
}
