/**
 * Output conventions shared by the commands (and by commands registered from other modules, such as
 * review): the message prefix, usage errors, and rows printed as a table that fits the terminal,
 * JSON, newline-delimited JSON (--nl), CSV, TSV (--tsv) or a workbook, with --no-headers and --limit
 * (sqlite-utils is the model).
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { csvRecord, toCsv, toJson, toTable, toXlsx, type Row } from '../index.js';

/** Every message of the CLI to stderr starts with this. */
export const PREFIX = 'beslutsarkiv: ';

/** Wrong usage: printed as one line (with where to read more), exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type Format = 'table' | 'csv' | 'tsv' | 'json' | 'nl' | 'xlsx';

export interface RowOptions {
  format?: Exclude<Format, 'nl' | 'tsv'>;
  nl?: boolean;
  tsv?: boolean;
  excel?: boolean;
  /** commander's --no-headers gives `headers: false`. */
  headers?: boolean;
  limit?: number;
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

/** The options of commands that print rows: --format, --nl, --tsv, --no-headers, --limit (and --excel). */
export function addRowOptions(cmd: Command, help: { limit?: string } = {}): Command {
  return cmd
    .addOption(new Option('--format <format>', 'table (default on a terminal), json (default in a pipe), csv or xlsx').choices(['table', 'csv', 'json', 'xlsx']))
    .addOption(new Option('--nl', 'newline-delimited JSON: one object a line'))
    .addOption(new Option('--tsv', 'tab-separated values'))
    .addOption(new Option('--no-headers', 'csv and tsv: leave the header row out'))
    .addOption(new Option('--excel', 'CSV for Swedish Excel: UTF-8 byte-order mark, ";" between fields, CRLF, decimal comma (implies --format csv)'))
    .addOption(new Option('--limit <n>', help.limit ?? 'print at most this many rows').argParser(positiveInt));
}

/** The format asked for: one of --format, --nl, --tsv, --excel; by default a table on a terminal and JSON in a pipe. */
export function rowFormat(o: RowOptions, stdout: { isTTY?: boolean }): Format {
  const asked = [o.format && `--format ${o.format}`, o.nl && '--nl', o.tsv && '--tsv'].filter(Boolean);
  if (asked.length > 1) throw new UsageError(`${asked.join(' and ')} ask for different formats: give one`);
  if (o.excel && (o.nl || o.tsv || (o.format && o.format !== 'csv'))) throw new UsageError(`--excel goes with --format csv, not ${o.nl ? '--nl' : o.tsv ? '--tsv' : o.format}`);
  const format: Format = o.nl ? 'nl' : o.tsv ? 'tsv' : (o.format ?? (o.excel ? 'csv' : stdout.isTTY ? 'table' : 'json'));
  if (o.headers === false && !['csv', 'tsv'].includes(format)) throw new UsageError(`--no-headers goes with csv or --tsv, not ${format}`);
  if (format === 'xlsx' && stdout.isTTY) throw new UsageError('an .xlsx workbook is binary: redirect it to a file, e.g. beslutsarkiv query participation --format xlsx > deltagande.xlsx');
  return format;
}

const tsvField = (v: unknown) => (v === null || v === undefined ? '' : String(v).replace(/[\t\r\n]+/g, ' '));

/** Rows in the format asked for, as text (or bytes for a workbook). */
export async function formatRows(columns: string[], rows: Row[], format: Format, o: RowOptions, width?: number): Promise<string | Uint8Array> {
  if (format === 'xlsx') return toXlsx(columns, rows, 'beslutsarkiv');
  if (format === 'json') return toJson(rows);
  if (format === 'nl') return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  if (format === 'tsv') {
    const lines = rows.map((r) => columns.map((c) => tsvField(r[c])).join('\t'));
    if (o.headers !== false) lines.unshift(columns.join('\t'));
    return lines.length ? `${lines.join('\n')}\n` : '';
  }
  if (format === 'csv') {
    if (o.headers !== false) return toCsv(columns, rows, { excel: o.excel });
    return rows.map((r) => csvRecord(columns.map((c) => r[c]), o.excel)).join('');
  }
  const fitted = fitToWidth(columns, rows, width ?? 0);
  return toTable(columns, fitted);
}

/** Writes rows to stdout in the format the options ask for. */
export async function printRows(stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }, columns: string[], rows: Row[], o: RowOptions): Promise<void> {
  const format = rowFormat(o, stdout);
  const shown = o.limit !== undefined ? rows.slice(0, o.limit) : rows;
  stdout.write(await formatRows(columns, shown, format, o, stdout.isTTY ? stdout.columns : undefined));
}

const looksLikePath = (s: string) => /^(\/|~\/|\.\.?\/|[A-Za-z]:\\)/.test(s) || (s.includes('/') && !/\s/.test(s));

/**
 * Cells on one line each (line breaks and runs of space made one space), shortened so that the table
 * fits `width` columns: a path loses its start (`…/2017/tu-2017-03.pdf`), other text its end.
 * `width` 0: no limit (one line per cell only).
 */
export function fitToWidth(columns: string[], rows: Row[], width: number): Row[] {
  const flat = rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c] === null || r[c] === undefined ? r[c] : typeof r[c] === 'string' ? (r[c] as string).replace(/\s+/g, ' ').trim() : r[c]])) as Row);
  if (!width) return flat;
  // cli-table3's borders: one before each column and one at the end, one space of padding each side.
  const budget = width - (3 * columns.length + 1);
  const widths = columns.map((c) => Math.max(c.length, ...flat.map((r) => String(r[c] ?? '').length)));
  const total = () => widths.reduce((a, b) => a + b, 0);
  while (total() > budget) {
    const widest = widths.indexOf(Math.max(...widths));
    // Never below the header, nor below 8 characters.
    const floor = Math.max(8, columns[widest]!.length);
    if (widths[widest]! <= floor) break;
    widths[widest] = Math.max(floor, widths[widest]! - Math.max(1, total() - budget));
  }
  return flat.map((r) => {
    const out: Row = { ...r };
    columns.forEach((c, i) => {
      const v = r[c];
      if (typeof v !== 'string' || v.length <= widths[i]!) return;
      const keep = widths[i]! - 1;
      out[c] = looksLikePath(v) ? `…${v.slice(v.length - keep)}` : `${v.slice(0, keep)}…`;
    });
    return out;
  });
}

/** The closest of `names` to a mistyped `name` (Levenshtein distance ≤ 2 or a common prefix), for "did you mean". */
export function closest(name: string, names: readonly string[]): string | undefined {
  const distance = (a: string, b: string) => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0]![j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    return d[a.length]![b.length]!;
  };
  const scored = names.map((n) => ({ n, d: distance(name.toLowerCase(), n.toLowerCase()) })).sort((a, b) => a.d - b.d);
  const best = scored[0];
  if (best && best.d <= Math.max(2, Math.floor(name.length / 3))) return best.n;
  return names.find((n) => name.length >= 3 && n.startsWith(name.toLowerCase()));
}
