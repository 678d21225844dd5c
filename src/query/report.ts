/**
 * The HTML report, in Swedish: one self-contained file (no external scripts, fonts or links beyond
 * the archive's own source files) with inline SVG charts of participation over the years (total,
 * by board, by class; axis titles, gaps where a year has no report), the classes and deadlines,
 * every unit's history (never cut), suggested renames, reports archived in several documents,
 * incomplete reports (which the charts cannot place), and documents with the evidence of their values.
 * The boards table sorts by any column with one small inline script (without it, biggest first).
 */
import type { Database } from 'better-sqlite3';
import { dirname, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { boards, classesOffered, deadlines, incomplete, participation, unitAliases, type Row } from './queries.js';
import { LABELS, UNKNOWN_BOARD, UNKNOWN_YEAR } from './labels.js';
import { chartScale, H, M, PALETTE, seriesBy, W, yearRange, type Series } from './chart-scale.js';

const esc = (v: unknown) =>
  String(v ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

const num = (n: unknown) => Number(n ?? 0).toLocaleString('sv-SE');
const boardName = (b: unknown) => (b === null || b === undefined || b === '' ? UNKNOWN_BOARD : String(b));
const yearName = (y: unknown) => (y === null || y === undefined ? UNKNOWN_YEAR : String(y));

const CLASS_LABELS = LABELS.class;

function axes(years: number[], max: number, yTitle: string, empty: Set<number>): { x: (y: number) => number; y: (v: number) => number; svg: string } {
  const { x0, x1, y0, y1, x, y, band, ticks, labelled } = chartScale(years, max);
  const parts: string[] = [];
  // Years with no report at all: a pale band, so a gap reads as "no data", not as zero.
  for (const yr of empty) parts.push(`<rect x="${(x(yr) - band / 2).toFixed(1)}" y="${y1}" width="${band.toFixed(1)}" height="${y0 - y1}" class="nodata"><title>${yr}: inga rapporter</title></rect>`);
  for (const v of ticks) {
    parts.push(`<line x1="${x0}" x2="${x1}" y1="${y(v)}" y2="${y(v)}" class="grid"/><text x="${x0 - 6}" y="${y(v) + 4}" class="tick" text-anchor="end">${v.toLocaleString('sv-SE')}</text>`);
  }
  for (const yr of labelled) parts.push(`<text x="${x(yr)}" y="${y0 + 18}" class="tick" text-anchor="middle">${yr}</text>`);
  parts.push(`<line x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}" class="axis"/><line x1="${x0}" x2="${x0}" y1="${y1}" y2="${y0}" class="axis"/>`);
  parts.push(`<text x="${(x0 + x1) / 2}" y="${H - 10}" class="axis-title" text-anchor="middle">År</text>`);
  parts.push(`<text x="16" y="${(y0 + y1) / 2}" class="axis-title" text-anchor="middle" transform="rotate(-90 16 ${(y0 + y1) / 2})">${esc(yTitle)}</text>`);
  return { x, y, svg: parts.join('') };
}

function legend(series: Series[]): string {
  return `<div class="legend">${series
    .map((s, i) => `<span><i style="background:${PALETTE[i % PALETTE.length]}"></i>${esc(s.name)}</span>`)
    .join('')}</div>`;
}

function figure(title: string, svg: string, series: Series[]): string {
  return `<figure><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">${svg}</svg>${legend(series)}</figure>`;
}

/** Lines broken where a series has no value for a year (a gap, never a drop to zero). */
function lineChart(title: string, yTitle: string, series: Series[], years: number[], empty: Set<number>): string {
  if (!years.length) return `<p class="empty">Inga uppgifter för ${esc(title.toLowerCase())}.</p>`;
  const max = Math.max(1, ...series.flatMap((s) => [...s.values.values()]));
  const { x, y, svg } = axes(years, max, yTitle, empty);
  const lines = series.map((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const runs: number[][] = [];
    for (const yr of years) {
      if (!s.values.has(yr)) runs.push([]);
      else {
        if (!runs.length) runs.push([]);
        runs[runs.length - 1]!.push(yr);
      }
    }
    const polylines = runs
      .filter((r) => r.length > 1)
      .map((r) => `<polyline fill="none" stroke="${color}" stroke-width="2" points="${r.map((yr) => `${x(yr).toFixed(1)},${y(s.values.get(yr)!).toFixed(1)}`).join(' ')}"/>`);
    const dots = years
      .filter((yr) => s.values.has(yr))
      .map((yr) => `<circle cx="${x(yr).toFixed(1)}" cy="${y(s.values.get(yr)!).toFixed(1)}" r="3" fill="${color}"><title>${esc(s.name)} ${yr}: ${num(s.values.get(yr))}</title></circle>`);
    return polylines.join('') + dots.join('');
  });
  return figure(title, svg + lines.join(''), series);
}

function stackedBars(title: string, yTitle: string, series: Series[], years: number[], empty: Set<number>): string {
  if (!years.length) return `<p class="empty">Inga uppgifter för ${esc(title.toLowerCase())}.</p>`;
  const totals = years.map((yr) => series.reduce((s, x) => s + (x.values.get(yr) ?? 0), 0));
  const { x, y, svg } = axes(years, Math.max(1, ...totals), yTitle, empty);
  const bw = Math.max(4, Math.min(36, ((W - M.left - M.right) / Math.max(1, years.length)) * 0.7));
  const bars: string[] = [];
  years.forEach((yr) => {
    let acc = 0;
    series.forEach((s, i) => {
      const v = s.values.get(yr) ?? 0;
      if (!v) return;
      const top = y(acc + v);
      const bottom = y(acc);
      bars.push(`<rect x="${(x(yr) - bw / 2).toFixed(1)}" y="${top.toFixed(1)}" width="${bw.toFixed(1)}" height="${(bottom - top).toFixed(1)}" fill="${PALETTE[i % PALETTE.length]}"><title>${esc(s.name)} ${yr}: ${num(v)}</title></rect>`);
      acc += v;
    });
  });
  return figure(title, svg + bars.join(''), series);
}

type Column = [key: string, title: string, show?: (v: unknown, r: Row) => string];

/**
 * A table the reader can sort by clicking a column header (SORT_SCRIPT turns each header into a button).
 * The rows are written in `initial` order, which its header says with `aria-sort`, so without script
 * the table is complete and in that order; `numeric` columns sort by their raw value (`data-sort`).
 */
interface Sortable {
  numeric: string[];
  initial: [key: string, order: 'ascending' | 'descending'];
}

function table(rows: Row[], columns: Column[], cls = '', sortable?: Sortable): string {
  if (!rows.length) return '<p class="empty">Inga.</p>';
  const numeric = new Set(sortable?.numeric ?? []);
  const th = ([k, h]: Column) =>
    sortable
      ? `<th scope="col"${numeric.has(k) ? ' data-type="number"' : ''}${sortable.initial[0] === k ? ` aria-sort="${sortable.initial[1]}"` : ''}>${esc(h)}</th>`
      : `<th>${esc(h)}</th>`;
  const td = (k: string, r: Row, show: Column[2]) =>
    `<td${sortable && numeric.has(k) ? ` data-sort="${esc(r[k])}"` : ''}>${show ? show(r[k], r) : esc(r[k])}</td>`;
  return `<table class="${cls}"${sortable ? ' data-sortable' : ''}><thead><tr>${columns.map(th).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${columns.map(([k, , show]) => td(k, r, show)).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/**
 * Progressive enhancement for `table[data-sortable]`: each header's text becomes a button (keyboard:
 * Tab, Enter/Space; the `[data-sort-hint]` saying so is shown only then) that sorts the rows by that column, ascending first, again for descending; the
 * sorted header carries `aria-sort`. Empty values (an unknown year) sort last either way; ties keep the
 * written order. Inline and small, so the report stays one self-contained file.
 */
const SORT_SCRIPT = `(() => {
  for (const hint of document.querySelectorAll('[data-sort-hint]')) hint.hidden = false;
  const collator = new Intl.Collator('sv', { numeric: true, sensitivity: 'base' });
  for (const table of document.querySelectorAll('table[data-sortable]')) {
    const heads = [...table.tHead.rows[0].cells];
    const body = table.tBodies[0];
    [...body.rows].forEach((row, i) => { row.dataset.order = String(i); });
    heads.forEach((th, col) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'sort';
      button.append(...th.childNodes);
      th.append(button);
      button.addEventListener('click', () => {
        const order = th.getAttribute('aria-sort') === 'ascending' ? 'descending' : 'ascending';
        const sign = order === 'ascending' ? 1 : -1;
        const numeric = th.dataset.type === 'number';
        // An empty cell has no key (empty: true) and goes last. (The script names no empty JS value:
        // the report's test reads the whole file for such words, which must never reach the page.)
        const key = (row) => {
          const cell = row.cells[col];
          const raw = (numeric ? cell.dataset.sort : cell.textContent.trim()) || '';
          return raw === '' ? { empty: true } : { empty: false, value: numeric ? Number(raw) : raw };
        };
        const rows = [...body.rows].map((row) => ({ row, ...key(row), order: Number(row.dataset.order) }));
        rows.sort((a, b) => {
          if (a.empty || b.empty) return a.empty === b.empty ? a.order - b.order : a.empty ? 1 : -1;
          const c = numeric ? a.value - b.value : collator.compare(a.value, b.value);
          return c ? sign * c : a.order - b.order;
        });
        body.append(...rows.map((r) => r.row));
        for (const other of heads) other.removeAttribute('aria-sort');
        th.setAttribute('aria-sort', order);
      });
    });
  }
})();`;

export interface ReportOptions {
  dbPath: string;
  /** Where the report is written: source links are then relative to it (the report and the archive can move together). */
  htmlPath?: string;
  /** Documents listed with their evidence (the newest first); the rest are counted and the cut is said. */
  maxDocuments?: number;
}

const FIELD_LABELS: Record<string, string> = {
  topic: 'ärende', year: 'år', board: 'nämnd', administration: 'förvaltning', diarienummer: 'diarienummer', document_date: 'datum',
  meeting_date: 'sammanträde', units: 'enhet', classes: 'klass', dates: 'datum', signatories: 'undertecknare', case_officer: 'handläggare', target_units: 'antal enheter',
};

/** `units[2].name` → `enhet 3`: a field path for people. */
function fieldLabel(path: string): string {
  const m = /^(\w+)(?:\[(\d+)\])?/.exec(path);
  if (!m) return path;
  return `${FIELD_LABELS[m[1]!] ?? m[1]}${m[2] === undefined ? '' : ` ${Number(m[2]) + 1}`}`;
}

/** A document's record, as far as evidence paths point into it. */
function recordOf(db: Database, id: number): Record<string, unknown> {
  const e = (db.prepare('SELECT * FROM extractions WHERE document_id = ?').get(id) ?? {}) as Record<string, unknown>;
  const list = (sql: string) => db.prepare(sql).all(id) as Row[];
  return {
    ...e,
    case_officer: e.has_case_officer ? { name: e.case_officer_name, phone: e.case_officer_phone } : null,
    units: list('SELECT name, department, operator, provider, class FROM units WHERE document_id = ? ORDER BY position'),
    classes: list('SELECT class FROM classes_offered WHERE document_id = ? ORDER BY position').map((r) => r.class),
    dates: list('SELECT kind, date FROM event_dates WHERE document_id = ? ORDER BY position'),
    signatories: list('SELECT name, title FROM signatories WHERE document_id = ? ORDER BY position'),
  };
}

/** The value an evidence path points to, as people read it: a unit's name, a date and its kind, a class's label. */
export function valueAt(record: Record<string, unknown>, path: string): string {
  let v: unknown = record;
  for (const part of path.match(/[^.[\]]+/g) ?? []) v = v === null || v === undefined ? undefined : (v as Record<string, unknown>)[part];
  if (v === null || v === undefined) return '';
  if (typeof v !== 'object') {
    if (/^classes|\.class$/.test(path)) return LABELS.class[String(v)] ?? String(v);
    if (path === 'topic') return LABELS.topic[String(v)] ?? String(v);
    return String(v);
  }
  const o = v as Record<string, unknown>;
  if ('date' in o) return `${o.date} (${LABELS.date_kind[String(o.kind)] ?? o.kind})`;
  if ('title' in o) return [o.name, o.title].filter(Boolean).join(', ');
  if ('name' in o) return String(o.name ?? '');
  return Object.values(o).filter(Boolean).join(', ');
}

/**
 * The text around a value's place on its page, cut at word boundaries, the value marked
 * (<mark>); the stored snippet when the page text does not have the place. HTML.
 */
export function evidenceSnippet(page: string, start: number, end: number, stored: string, around = 60): string {
  if (!(end > start && end <= page.length)) return esc(stored);
  const from = Math.max(0, start - around);
  const to = Math.min(page.length, end + around);
  // Whole words only: the word the window starts or ends inside is left out.
  let before = page.slice(from, start);
  if (from > 0) before = /\s/u.test(before) ? before.slice(before.search(/\s/u)).trimStart() : '';
  let after = page.slice(end, to);
  if (to < page.length) after = /\s\S*$/u.test(after) ? after.slice(0, after.search(/\s\S*$/u)).trimEnd() : '';
  const flat = (t: string) => esc(t.replace(/\s+/gu, ' '));
  return `${from > 0 ? '…' : ''}${flat(before)}<mark>${flat(page.slice(start, end))}</mark>${flat(after)}${to < page.length ? '…' : ''}`;
}

export function renderReport(db: Database, options: ReportOptions): string {
  const byYearAll = participation(db, ['year']);
  const byYear = byYearAll.filter((r) => r.year !== null);
  const dataYears = byYear.map((r) => Number(r.year));
  const years = yearRange(dataYears);
  const empty = new Set(years.filter((y) => !dataYears.includes(y)));
  const byBoard = participation(db, ['year', 'board']).filter((r) => r.year !== null);
  const byClass = participation(db, ['year', 'class']).filter((r) => r.year !== null);
  const classRows = classesOffered(db).filter((r) => r.year !== null);
  const classYears = [...new Set(classRows.map((r) => Number(r.year)))].sort();
  const classKeys = Object.keys(CLASS_LABELS).filter((k) => k !== 'unknown');
  const offered = new Set(classRows.map((r) => `${r.year} ${r.class}`));
  const deadlineRows = deadlines(db);
  const totals = db
    .prepare(
      `SELECT (SELECT count(*) FROM documents) AS documents,
              (SELECT count(*) FROM reports) AS reports,
              (SELECT count(*) FROM reports WHERE topic = 'award_participation') AS about_award,
              (SELECT count(*) FROM reports WHERE documents > 1) AS multi,
              (SELECT count(DISTINCT document_id << 32 | unit_id) FROM participations WHERE counted) AS participations,
              (SELECT count(DISTINCT unit_id) FROM participations WHERE counted) AS units`,
    )
    .get() as Row;
  const incompleteRows = incomplete(db);
  const noYear = incompleteRows.filter((r) => r.year === null).length;
  const noUnits = incompleteRows.filter((r) => r.year !== null && Number(r.units) === 0).length;
  const noBoard = incompleteRows.filter((r) => r.year !== null && Number(r.units) > 0 && r.board === null).length;
  const outside = noYear + noUnits;
  const nullYearUnits = byYearAll.find((r) => r.year === null);

  // Every unit's history: one row per distinct unit, all of them.
  const histories = db
    .prepare(
      `SELECT u.name AS unit, p.unit_id, group_concat(DISTINCT coalesce(p.board, '${UNKNOWN_BOARD}')) AS boards, count(DISTINCT p.year) AS years,
              min(p.year) AS first, max(p.year) AS last, group_concat(DISTINCT p.year) AS year_list
       FROM participations p JOIN distinct_units u ON u.id = p.unit_id WHERE p.counted
       GROUP BY p.unit_id ORDER BY boards, u.name, p.unit_id`,
    )
    .all() as Row[];
  const multi = db
    .prepare(
      `SELECT r.id, r.year, r.board, r.units, group_concat(d.file_name || ' (' || d.format || CASE WHEN d.ocr THEN ', OCR' ELSE '' END || ', ' ||
              CASE WHEN rd.is_primary THEN 'räknas' ELSE (SELECT label FROM labels WHERE kind = 'joined_by' AND key = rd.joined_by) END || ')', '; ') AS files
       FROM reports r JOIN report_documents rd ON rd.report_id = r.id JOIN documents d ON d.id = rd.document_id
       WHERE r.documents > 1 GROUP BY r.id ORDER BY r.year, r.board, r.id`,
    )
    .all() as Row[];
  const maxDocs = options.maxDocuments ?? 200;
  const docs = db
    .prepare(
      `SELECT d.id, d.file_name, d.format, e.year, e.board, e.topic, d.superseded_by, rd.report_id, rd.is_primary,
              (SELECT path FROM files f WHERE f.document_id = d.id ORDER BY missing_since IS NOT NULL, first_seen LIMIT 1) AS path,
              (SELECT count(*) FROM participations p WHERE p.document_id = d.id) AS units
       FROM documents d LEFT JOIN extractions e ON e.document_id = d.id LEFT JOIN report_documents rd ON rd.document_id = d.id
       ORDER BY e.year IS NULL, e.year DESC, d.file_name LIMIT ?`,
    )
    .all(maxDocs) as Row[];
  const evidence = db.prepare('SELECT path, page, start, "end", snippet, rule FROM evidence WHERE document_id = ? ORDER BY rowid');
  const pageText = db.prepare('SELECT coalesce(repaired_text, text) FROM pages WHERE document_id = ? AND page = ?').pluck();
  const href = (path: string) =>
    options.htmlPath ? relative(dirname(options.htmlPath), path).split(sep).map(encodeURIComponent).join('/') : pathToFileURL(path).href;
  const docHtml = docs
    .map((d) => {
      const record = recordOf(db, Number(d.id));
      const ev = (evidence.all(d.id) as Row[]).map((e) => ({
        ...e,
        path: fieldLabel(String(e.path)),
        value: valueAt(record, String(e.path)),
        snippet: evidenceSnippet(String(pageText.get(d.id, e.page) ?? ''), Number(e.start), Number(e.end), String(e.snippet ?? '')),
      }));
      const link = d.path ? `<a href="${esc(href(String(d.path)))}">${esc(d.file_name)}</a>` : esc(d.file_name);
      const role = d.report_id === null ? '' : d.is_primary ? ` · rapport ${esc(d.report_id)}` : ` · i rapport ${esc(d.report_id)}, räknas inte själv`;
      const meta = [yearName(d.year), boardName(d.board), d.topic ? LABELS.topic[String(d.topic)] ?? String(d.topic) : 'ej utläst', `${num(d.units)} enheter`].map(esc).join(' · ');
      return `<details><summary>${link} <span class="meta">${meta}${role}${d.superseded_by ? ' · ersatt av nyare version' : ''}</span></summary>${table(
        ev,
        [
          ['path', 'uppgift'],
          ['value', 'värde'],
          ['page', 'sida'],
          ['snippet', 'ur texten', (v) => String(v)],
          ['rule', 'regel'],
        ],
        'evidence',
      )}</details>`;
    })
    .join('');
  const aliases = unitAliases(db);
  const boardRows = boards(db);
  const yearSpan = dataYears.length ? `${dataYears[0]}–${dataYears[dataYears.length - 1]}` : '–';

  return `<!doctype html>
<html lang="sv">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>beslutsarkiv: Kvalitetsutmärkelsen</title>
<style>
  body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d232a; margin: 0; background: #f6f7f9; }
  header { background: #1f3b57; color: #fff; padding: 20px 32px; }
  header h1 { margin: 0 0 4px; font-size: 22px; }
  header p { margin: 0; opacity: .85; }
  main { max-width: 1120px; margin: 0 auto; padding: 8px 32px 40px; }
  section { background: #fff; border: 1px solid #e1e4e8; border-radius: 6px; padding: 16px 20px; margin: 18px 0; }
  h2 { font-size: 18px; margin: 4px 0 12px; }
  .kpis { display: flex; gap: 14px; flex-wrap: wrap; }
  .kpi { background: #fff; border: 1px solid #e1e4e8; border-radius: 6px; padding: 10px 16px; min-width: 130px; }
  .kpi b { display: block; font-size: 24px; }
  .charts { display: grid; grid-template-columns: 1fr; gap: 8px; }
  figure { margin: 0 0 10px; }
  figcaption { font-weight: 600; margin-bottom: 4px; }
  svg { width: 100%; height: auto; background: #fff; }
  .grid { stroke: #eceff3; } .axis { stroke: #9aa4ae; } .tick { font-size: 11px; fill: #5c6670; }
  .axis-title { font-size: 12px; fill: #3b444d; font-weight: 600; } .nodata { fill: #f1f1f1; }
  .legend { display: flex; flex-wrap: wrap; gap: 6px 14px; font-size: 12.5px; color: #3b444d; }
  .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
  table { border-collapse: collapse; width: 100%; font-size: 13.5px; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eef0f2; vertical-align: top; }
  th { background: #f3f5f7; font-weight: 600; }
  td.yes { color: #0b7a3e; font-weight: 700; text-align: center; } td.no { color: #c4c9ce; text-align: center; }
  details { border-bottom: 1px solid #eef0f2; padding: 4px 0; } summary { cursor: pointer; }
  .meta { color: #5c6670; font-size: 13px; } .empty { color: #5c6670; font-style: italic; }
  table.evidence { margin: 6px 0 10px 18px; width: calc(100% - 18px); font-size: 12.5px; }
  .note { color: #5c6670; font-size: 13px; } .warn { background: #fff7e6; border-color: #f0c36d; }
  th button.sort { font: inherit; color: inherit; background: none; border: 0; padding: 0; cursor: pointer; text-align: left; }
  th button.sort:focus-visible { outline: 2px solid #1f5fa8; outline-offset: 2px; }
  /* The arrow is outside the button, so the button's accessible name stays the column's name (aria-sort says the order). */
  th[aria-sort=ascending]::after { content: " ▲"; font-size: 10px; }
  th[aria-sort=descending]::after { content: " ▼"; font-size: 10px; }
</style>
</head>
<body>
<header><h1>Kvalitetsutmärkelsen: deltagande över åren</h1><p>Rapport från beslutsarkiv över ${esc(options.dbPath)} · ${esc(new Date().toISOString().slice(0, 10))}</p></header>
<main>
<div class="kpis">
  <div class="kpi"><b>${num(totals.documents)}</b>handlingar</div>
  <div class="kpi"><b>${num(totals.reports)}</b>rapporter</div>
  <div class="kpi"><b>${num(totals.about_award)}</b>om deltagande</div>
  <div class="kpi"><b>${num(totals.participations)}</b>deltaganden</div>
  <div class="kpi"><b>${num(totals.units)}</b>distinkta enheter</div>
  <div class="kpi"><b>${yearSpan}</b>år</div>
</div>
${
  incompleteRows.length
    ? `<section class="warn"><h2>Ofullständiga rapporter</h2><p>${num(incompleteRows.length)} rapporter om deltagande saknar år, nämnd eller enheter. <b>${num(outside)} står utanför diagrammen</b> (${num(noYear)} utan år, ${num(noUnits)} utan enheter)${
        noBoard ? `; ${num(noBoard)} utan nämnd räknas per år men visas som ${UNKNOWN_BOARD}` : ''
      }.${nullYearUnits ? ` Deras ${num(nullYearUnits.units)} enheter under ${UNKNOWN_YEAR} ingår inte i årsdiagrammen.` : ''} Listan: <code>beslutsarkiv query incomplete</code>.</p>${table(incompleteRows, [
        ['report', 'rapport'],
        ['year', 'år', (v) => esc(yearName(v))],
        ['board', 'nämnd', (v) => esc(boardName(v))],
        ['units', 'enheter'],
        ['missing', 'saknas', (v) => esc(String(v ?? '').replace('year', 'år').replace('board', 'nämnd').replace('units', 'enheter'))],
        ['files', 'handlingar'],
      ])}</section>`
    : ''
}
<section><h2>Deltagande över åren</h2><div class="charts">
${lineChart('Distinkta enheter, deltaganden och rapporter per år', 'Antal', [
  { name: 'distinkta enheter', values: new Map(byYear.map((r) => [Number(r.year), Number(r.units)])) },
  { name: 'deltaganden (enhet i rapport)', values: new Map(byYear.map((r) => [Number(r.year), Number(r.participations)])) },
  { name: 'rapporter', values: new Map(byYear.map((r) => [Number(r.year), Number(r.reports)])) },
], years, empty)}
${lineChart('Distinkta enheter per år och nämnd (de åtta största)', 'Enheter', seriesBy(byBoard, 'board', 'units', boardName), years, empty)}
${stackedBars('Distinkta enheter per år och klass', 'Enheter', seriesBy(byClass, 'class', 'units', (k) => CLASS_LABELS[String(k)] ?? String(k), 7), years, empty)}
</div>
<p class="note">Varje rapport räknas en gång även när den arkiverats i flera handlingar (t.ex. en text-PDF och dess skanning): ${num(totals.multi)} rapporter finns i mer än en handling. En enhet är ett namn (oavsett stavning) inom en nämnds linje; samma namn under två nämnder är två enheter om inte ett alias bekräftats. Bara aktuella versioner räknas.${
    empty.size ? ` År utan rapporter visas som luckor (grått): ${[...empty].join(', ')}.` : ''
  }</p></section>
<section><h2>Erbjudna klasser</h2>
${classYears.length ? `<table><thead><tr><th>år</th>${classKeys.map((k) => `<th>${esc(CLASS_LABELS[k])}</th>`).join('')}</tr></thead><tbody>${classYears
    .map((yr) => `<tr><td>${yr}</td>${classKeys.map((k) => (offered.has(`${yr} ${k}`) ? '<td class="yes">✓</td>' : '<td class="no">·</td>')).join('')}</tr>`)
    .join('')}</tbody></table>` : '<p class="empty">Inga.</p>'}
<p class="note">2017 ersattes "Annan vård och omsorg" av "Socialtjänst samt stöd och service till personer med funktionsnedsättning".</p></section>
<section><h2>Sista dagar och utdelning</h2>${table(deadlineRows, [
    ['year', 'år', (v) => esc(yearName(v))],
    ['label', 'händelse'],
    ['earliest', 'tidigast'],
    ['latest', 'senast'],
    ['reports', 'rapporter'],
  ])}</section>
<section><h2>Nämnder</h2><p class="note">Flest distinkta enheter först.<span data-sort-hint hidden> Klicka på en kolumnrubrik för att sortera efter den.</span></p>${table(
    boardRows,
    [
      ['board', 'nämnd', (v) => esc(boardName(v))],
      ['years', 'år'],
      ['first', 'första', (v) => esc(v ?? '–')],
      ['last', 'senaste', (v) => esc(v ?? '–')],
      ['reports', 'rapporter'],
      ['units', 'distinkta enheter'],
      ['participations', 'deltaganden'],
    ],
    'boards',
    { numeric: ['years', 'first', 'last', 'reports', 'units', 'participations'], initial: ['units', 'descending'] },
  )}</section>
<section><h2>Enheternas historik</h2><p class="note">Alla ${num(histories.length)} distinkta enheter, per nämnd. Stavningar av en enhet slås ihop (skiftläge, å/ä/ö, skiljetecken, ett inledande typord); troliga namnbyten föreslås nedan men slås aldrig ihop utan ett bekräftat alias (<code>beslutsarkiv alias add</code>).</p>${table(histories, [
    ['unit', 'enhet'],
    ['boards', 'nämnd'],
    ['years', 'antal år'],
    ['year_list', 'deltog', (v) => esc(String(v ?? '').split(',').filter(Boolean).sort().join(', ') || UNKNOWN_YEAR)],
  ])}</section>
<section><h2>Möjliga namnbyten</h2>${table(aliases, [
    ['board', 'nämnd', (v) => esc(boardName(v))],
    ['name', 'namn'],
    ['years', 'år'],
    ['possibly_renamed_to', 'möjligen nytt namn'],
    ['from', 'från'],
    ['similarity', 'likhet'],
  ])}</section>
<section><h2>Rapporter i flera handlingar</h2><p class="note">Handlingar som är samma rapport (samma diarienummer och nämnd, nästan samma text, eller arkivariens beslut) räknas en gång, med den mest fullständiga handlingens uppgifter. Ändra med <code>beslutsarkiv group split|join</code>.</p>${table(multi, [
    ['id', 'rapport'],
    ['year', 'år', (v) => esc(yearName(v))],
    ['board', 'nämnd', (v) => esc(boardName(v))],
    ['units', 'enheter'],
    ['files', 'handlingar'],
  ])}</section>
<section><h2>Handlingar</h2><p class="note">Varje handling länkar till sin källfil; öppna en för att se var varje uppgift kom ifrån.${
    Number(totals.documents) > docs.length ? ` Visar de ${num(docs.length)} senaste av ${num(totals.documents)}; <code>beslutsarkiv export --with-evidence</code> har alla.` : ''
  }</p>${docHtml}</section>
</main>
<script>${SORT_SCRIPT}</script>
</body>
</html>
`;
}
