/**
 * The `review` and `correct` commands: argument parsing and printing only (src/review does the work).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import {
  carryOver, correctFromCsv, CorrectionError, DEFAULT_DB_PATH, makeCorrections, openDatabase, REVIEW_COLUMNS, reviewDocument, reviewQueue, toCsv, toJson, toTable,
  undoCorrection, withCorrectionLock, type CorrectionRequest, type MadeCorrection, type ReviewRow,
} from '../index.js';

type Io = { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream };

const collect = (value: string, previous: string[] = []) => [...previous, value];

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

function confidence(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('a confidence is between 0 and 1, e.g. 0.9');
  return n;
}

const short = (s: unknown, n = 60) => {
  const t = s === null || s === undefined ? '' : String(s).replace(/\s+/g, ' ');
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
};

// The machine's value is in csv and json; in the queue it is the value (corrected values leave the queue).
const TABLE_COLUMNS = ['file', 'path', 'value', 'confidence', 'status', 'evidence'];

function rowsAsTable(rows: ReviewRow[]): string {
  return toTable(TABLE_COLUMNS, rows.map((r) => ({ ...r, file: short(r.file, 28), value: short(r.value, 34), status: short(r.status, 40), evidence: short(r.evidence, 44) })));
}

const show = (v: unknown) => (v === null || v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v));

function describeMade(c: MadeCorrection): string {
  const what =
    c.action === 'confirm' ? 'confirmed as it is'
    : c.action === 'add' ? `added ${show(c.new_value)}`
    : c.action === 'remove' ? `removed ${show(c.old_value)}`
    : `${show(c.old_value)} → ${show(c.new_value)}`;
  return `correction #${c.id}: ${c.file} ${c.action === 'confirm' ? '' : `${c.path}: `}${what} (by ${c.by}${c.reason ? `: ${c.reason}` : ''})\n`;
}

/** Registers `review` and `correct` on the program. */
export function registerReviewCommands(program: Command, io: Io): void {
  const out = (s: string) => io.stdout.write(s);

  program
    .command('review')
    .description('what to check first (flagged documents, then the least sure values), or one document\'s record with confidence, evidence and corrections')
    .argument('[document]', 'one document: its sha256 (or first 8+ characters), file name, path or id')
    .addOption(new Option('--db <file>', 'SQLite database').default(DEFAULT_DB_PATH))
    .addOption(new Option('--format <format>', 'table (default on a terminal), json (default in a pipe) or csv (the shape correct --from reads)').choices(['table', 'csv', 'json']))
    .addOption(new Option('--limit <n>', 'at most this many rows in the queue').argParser(positiveInt).default(200))
    .addOption(new Option('--below <confidence>', 'list values of unflagged documents whose confidence is below this').argParser(confidence).default(0.9))
    .action((document: string | undefined, o: { db: string; format?: 'table' | 'csv' | 'json'; limit: number; below: number }) => {
      const format = o.format ?? (io.stdout.isTTY ? 'table' : 'json');
      // A reader: works while an ingest or a correction is writing.
      const db = openDatabase(o.db, { readonly: true, current: true });
      try {
        if (document === undefined) {
          const rows = reviewQueue(db, { limit: o.limit, below: o.below });
          if (format === 'csv') out(toCsv([...REVIEW_COLUMNS], rows));
          else if (format === 'json') out(toJson(rows));
          else out(rowsAsTable(rows));
          return;
        }
        const r = reviewDocument(db, document);
        const extra: ReviewRow[] = [
          ...r.corrections
            .filter((c) => c.outcome === 'orphaned')
            .map((c) => ({ sha256: r.sha256, file: r.file, path: c.path, machine: show(c.old_value), value: show(c.new_value), action: '', reason: c.reason ?? '', by: c.by, status: `orphaned #${c.id}`, confidence: null, evidence: '' })),
          ...r.carried_over.map((o) => ({
            sha256: r.sha256, file: r.file, path: o.correction.path, machine: show(o.correction.old_value), value: show(o.correction.new_value), action: '', reason: o.correction.reason ?? '',
            by: o.correction.by, status: `carried over? #${o.correction.id}${o.outcome === 'orphaned' ? ' (matches nothing here)' : ''}`, confidence: null, evidence: '',
          })),
        ];
        if (format === 'csv') return void out(toCsv([...REVIEW_COLUMNS], [...r.values, ...extra]));
        if (format === 'json') return void out(`${JSON.stringify(r, null, 2)}\n`);
        const lines = [`${r.file} (${r.sha256})`, r.confirmed ? 'confirmed by a person' : r.needs_review ? `needs review:\n  ${r.review_reasons.join('\n  ')}` : 'not flagged for review', ''];
        out(`${lines.join('\n')}\n`);
        out(toTable(['path', 'value', 'machine', 'confidence', 'status', 'evidence'], r.values.map((v) => ({ ...v, value: short(v.value, 30), machine: short(v.machine, 30), status: short(v.status, 24), evidence: short(v.evidence, 40) }))));
        if (r.corrections.length) {
          out('\ncorrections:\n');
          for (const c of r.corrections) {
            out(`  #${c.id} ${c.outcome.padEnd(8)} ${c.action} ${c.path}: ${show(c.old_value)} → ${show(c.new_value)} (by ${c.by}, ${c.at}${c.reason ? `: ${c.reason}` : ''})${c.undone_at ? ` undone ${c.undone_at} by ${c.undone_by}` : ''}\n`);
          }
        }
        if (r.carried_over.length) {
          out(`\ncarried over? corrections of an earlier version of this file (not applied; beslutsarkiv correct ${r.sha256.slice(0, 12)} --carry-over <id|all>):\n`);
          for (const o of r.carried_over) out(`  #${o.correction.id} ${o.correction.path}: ${show(o.correction.old_value)} → ${show(o.correction.new_value)} (by ${o.correction.by}, on ${o.from.file_name})${o.outcome === 'orphaned' ? ' matches nothing here' : ''}\n`);
        }
      } finally {
        db.close();
      }
    });

  program
    .command('correct')
    .description('correct, add, remove or confirm extracted values of a document; kept as corrections that survive every re-run')
    .argument('[document]', 'the document: its sha256 (or first 8+ characters), file name, path or id')
    .addOption(new Option('--db <file>', 'SQLite database').default(DEFAULT_DB_PATH))
    .addOption(new Option('--set <path=value>', "set a value, e.g. 'units[1].class=skola', 'year=2017', 'dates[0].date=2017-05-31' (repeatable)").argParser(collect))
    .addOption(new Option('--add-unit <name>', 'add a unit the extractor missed'))
    .addOption(new Option('--class <class>', 'with --add-unit: its class key'))
    .addOption(new Option('--department <name>', 'with --add-unit: its department (avdelning)'))
    .addOption(new Option('--remove <path>', "remove a unit, date or class, e.g. 'units[3]' (repeatable)").argParser(collect))
    .addOption(new Option('--confirm', 'mark the document reviewed as it is: it leaves the review queue'))
    .addOption(new Option('--undo <id>', 'take a correction back: the machine\'s value shows again').argParser(positiveInt))
    .addOption(new Option('--carry-over <id|all>', "take over a correction offered from a changed file's earlier version (review shows them as carried over?)"))
    .addOption(new Option('--from <file.csv>', 'apply the corrections of a CSV in the shape of review --format csv, all or nothing'))
    .addOption(new Option('--by <name>', 'who corrects (default: the OS user)'))
    .addOption(new Option('--reason <text>', 'why'))
    .action((document: string | undefined, o: {
      db: string; set?: string[]; addUnit?: string; class?: string; department?: string; remove?: string[]; confirm?: boolean; undo?: number; carryOver?: string; from?: string; by?: string; reason?: string;
    }) => {
      const edits = (o.set?.length ?? 0) + (o.remove?.length ?? 0) + (o.addUnit !== undefined ? 1 : 0) + (o.confirm ? 1 : 0);
      if ((o.class !== undefined || o.department !== undefined) && o.addUnit === undefined) throw new CorrectionError('--class and --department go with --add-unit (to change a unit\'s class: --set \'units[i].class=…\')');
      const modes = [edits > 0, o.undo !== undefined, o.carryOver !== undefined, o.from !== undefined].filter(Boolean).length;
      if (modes !== 1) throw new CorrectionError('give one of: --set/--add-unit/--remove/--confirm (on a document), --undo <id>, --carry-over <id|all> (on a document), --from <file.csv>');
      const defaults = { by: o.by, reason: o.reason };
      if (o.from !== undefined) {
        let text: string;
        try {
          text = readFileSync(o.from, 'utf8');
        } catch (error) {
          throw new CorrectionError(`cannot read ${o.from}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
        }
        const made = withCorrectionLock(o.db, (db) => correctFromCsv(db, text, defaults));
        for (const c of made) out(describeMade(c));
        out(`${o.from}: ${made.length} ${made.length === 1 ? 'correction' : 'corrections'} made\n`);
        return;
      }
      if (o.undo !== undefined) {
        const id = o.undo;
        const c = withCorrectionLock(o.db, (db) => undoCorrection(db, id, defaults));
        out(`correction #${c.id} undone (${c.path}: ${show(c.new_value)} taken back; the record shows ${show(c.old_value)} unless another correction says otherwise)\n`);
        return;
      }
      if (document === undefined) throw new CorrectionError('name the document to correct: its sha256 (or first 8+ characters), file name, path or id');
      if (o.carryOver !== undefined) {
        const which = o.carryOver === 'all' ? 'all' : [positiveInt(o.carryOver)];
        const made = withCorrectionLock(o.db, (db) => carryOver(db, document, which, defaults));
        for (const c of made) out(describeMade(c));
        if (!made.length) out('no corrections offered to carry over\n');
        return;
      }
      const requests: CorrectionRequest[] = [];
      for (const s of o.set ?? []) {
        const eq = s.indexOf('=');
        if (eq < 1) throw new CorrectionError(`--set "${s}": give path=value, e.g. 'units[1].class=skola'`);
        requests.push({ document, input: { action: 'set', path: s.slice(0, eq).trim(), value: s.slice(eq + 1) } });
      }
      if (o.addUnit !== undefined) requests.push({ document, input: { action: 'add', path: 'units[+]', value: o.addUnit, class: o.class, department: o.department } });
      for (const path of o.remove ?? []) requests.push({ document, input: { action: 'remove', path } });
      if (o.confirm) requests.push({ document, input: { action: 'confirm' } });
      const made = withCorrectionLock(o.db, (db) => makeCorrections(db, requests, defaults));
      for (const c of made) out(describeMade(c));
    });
}
