/**
 * Answers as tables, JSON, CSV and spreadsheets. CSV always has its header row, even for no rows.
 * `excel`: CSV as Swedish Excel opens it by double-click (UTF-8 byte-order mark, `;` between
 * fields, CRLF line ends, decimal comma). XLSX through exceljs: one sheet, numbers as numbers,
 * header row frozen, filters on.
 */
import Table from 'cli-table3';
import type { Row } from './queries.js';

export type OutputFormat = 'table' | 'csv' | 'json' | 'xlsx';

export interface CsvOptions {
  excel?: boolean;
}

export const rowCount = (n: number) => `${n} ${n === 1 ? 'row' : 'rows'}`;

const cell = (v: unknown) => (v === null || v === undefined ? '' : v);

/**
 * One CSV field (RFC 4180): quoted, with quotes doubled, when it holds the delimiter, a quote or a
 * line break; with `excel`, a decimal comma in non-whole numbers.
 */
export function csvField(v: unknown, excel = false): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return excel && !Number.isInteger(v) ? String(v).replace('.', ',') : String(v);
  const s = typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
  return s.includes(excel ? ';' : ',') || /["\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV record, with its line end. */
export function csvRecord(values: unknown[], excel = false): string {
  return `${values.map((v) => csvField(v, excel)).join(excel ? ';' : ',')}${excel ? '\r\n' : '\n'}`;
}

export function toCsv(columns: string[], rows: Row[], options: CsvOptions = {}): string {
  const excel = options.excel ?? false;
  let out = `${excel ? '\ufeff' : ''}${csvRecord(columns, excel)}`;
  for (const r of rows) out += csvRecord(columns.map((c) => r[c]), excel);
  return out;
}

export function toTable(columns: string[], rows: Row[]): string {
  if (!rows.length) return `${columns.join('  ')}\n${rowCount(0)}\n`;
  const table = new Table({ head: columns, style: { head: [], border: [] } });
  for (const r of rows) table.push(columns.map((c) => String(cell(r[c]))));
  return `${table.toString()}\n${rowCount(rows.length)}\n`;
}

export function toJson(rows: unknown[]): string {
  return `${JSON.stringify(rows, null, 2)}\n`;
}

/** An .xlsx workbook of one sheet (named after the query). */
export async function toXlsx(columns: string[], rows: Row[], sheet = 'beslutsarkiv'): Promise<Buffer> {
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  wb.creator = 'beslutsarkiv';
  const ws = wb.addWorksheet(sheet.slice(0, 31), { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = columns.map((c) => ({ header: c, key: c, width: Math.min(60, Math.max(c.length + 2, ...rows.slice(0, 200).map((r) => String(cell(r[c])).length + 1))) }));
  for (const r of rows) ws.addRow(columns.map((c) => (r[c] === null || r[c] === undefined ? null : r[c])));
  ws.getRow(1).font = { bold: true };
  if (columns.length) ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: columns.length } };
  return Buffer.from(await wb.xlsx.writeBuffer());
}
