/**
 * The HTML report: one self-contained file (no external scripts, fonts or links beyond the
 * archive's own source files) with inline SVG charts of participation over the years (total, by
 * board, by class), the classes and deadlines timeline, unit histories, suggested renames, and
 * every document with a link to its source file and the evidence of its values.
 */
import type { Database } from 'better-sqlite3';
import { pathToFileURL } from 'node:url';
import { boards, classesOffered, deadlines, participation, unitAliases, type Row } from './queries.js';

const esc = (v: unknown) =>
  String(v ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

const PALETTE = ['#1f5fa8', '#d1495b', '#edae49', '#00798c', '#66a182', '#8d6a9f', '#a0522d', '#5b5b5b', '#2e86ab', '#c17c74'];
const CLASS_LABELS: Record<string, string> = {
  forskola: 'Förskola',
  skola: 'Skola',
  aldreomsorg: 'Äldreomsorg',
  annan_vard_omsorg: 'Annan vård och omsorg',
  socialtjanst_funktionsnedsattning: 'Socialtjänst, funktionsnedsättning',
  andra_verksamheter: 'Andra verksamheter',
  unknown: 'Klass ej angiven',
};

interface Series {
  name: string;
  values: Map<number, number>;
}

const W = 760;
const H = 280;
const M = { left: 48, right: 16, top: 16, bottom: 36 };

function axes(years: number[], max: number): { x: (y: number) => number; y: (v: number) => number; svg: string } {
  const x0 = M.left;
  const x1 = W - M.right;
  // Room inside the plot so the first and last bars are not cut by its edges.
  const pad = 22;
  const y0 = H - M.bottom;
  const y1 = M.top;
  const span = Math.max(1, years[years.length - 1]! - years[0]!);
  const x = (year: number) => (years.length === 1 ? (x0 + x1) / 2 : x0 + pad + ((year - years[0]!) / span) * (x1 - x0 - 2 * pad));
  const step = niceStep(max / 5);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const y = (v: number) => y0 - (v / top) * (y0 - y1);
  const parts: string[] = [];
  for (let v = 0; v <= top + step / 2; v += step) {
    parts.push(`<line x1="${x0}" x2="${x1}" y1="${y(v)}" y2="${y(v)}" class="grid"/><text x="${x0 - 6}" y="${y(v) + 4}" class="tick" text-anchor="end">${v}</text>`);
  }
  const labelEvery = Math.max(1, Math.ceil(years.length / 12));
  years.forEach((yr, i) => {
    if (i % labelEvery === 0 || i === years.length - 1) parts.push(`<text x="${x(yr)}" y="${y0 + 18}" class="tick" text-anchor="middle">${yr}</text>`);
  });
  parts.push(`<line x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}" class="axis"/>`);
  return { x, y, svg: parts.join('') };
}

/** A whole step of 1, 2 or 5 × 10ⁿ at least `raw`, so tick labels need no rounding. */
function niceStep(raw: number): number {
  if (raw <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function legend(series: Series[]): string {
  return `<div class="legend">${series
    .map((s, i) => `<span><i style="background:${PALETTE[i % PALETTE.length]}"></i>${esc(s.name)}</span>`)
    .join('')}</div>`;
}

function lineChart(title: string, series: Series[], years: number[]): string {
  if (!years.length) return `<p class="empty">No data for ${esc(title)}.</p>`;
  const max = Math.max(...series.flatMap((s) => [...s.values.values()]));
  const { x, y, svg } = axes(years, max);
  const lines = series.map((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const pts = years.map((yr) => `${x(yr).toFixed(1)},${y(s.values.get(yr) ?? 0).toFixed(1)}`);
    const dots = years.map((yr) => `<circle cx="${x(yr).toFixed(1)}" cy="${y(s.values.get(yr) ?? 0).toFixed(1)}" r="3" fill="${color}"><title>${esc(s.name)} ${yr}: ${s.values.get(yr) ?? 0}</title></circle>`);
    return `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"/>${dots.join('')}`;
  });
  return `<figure><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">${svg}${lines.join('')}</svg>${legend(series)}</figure>`;
}

function stackedBars(title: string, series: Series[], years: number[]): string {
  if (!years.length) return `<p class="empty">No data for ${esc(title)}.</p>`;
  const totals = years.map((yr) => series.reduce((s, x) => s + (x.values.get(yr) ?? 0), 0));
  const { x, y, svg } = axes(years, Math.max(...totals));
  const bw = Math.max(4, Math.min(36, ((W - M.left - M.right) / Math.max(1, years.length)) * 0.7));
  const bars: string[] = [];
  years.forEach((yr) => {
    let acc = 0;
    series.forEach((s, i) => {
      const v = s.values.get(yr) ?? 0;
      if (!v) return;
      const top = y(acc + v);
      const bottom = y(acc);
      bars.push(`<rect x="${(x(yr) - bw / 2).toFixed(1)}" y="${top.toFixed(1)}" width="${bw.toFixed(1)}" height="${(bottom - top).toFixed(1)}" fill="${PALETTE[i % PALETTE.length]}"><title>${esc(s.name)} ${yr}: ${v}</title></rect>`);
      acc += v;
    });
  });
  return `<figure><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">${svg}${bars.join('')}</svg>${legend(series)}</figure>`;
}

function seriesBy(rows: Row[], key: string, value: string, limit = 8): Series[] {
  const totals = new Map<string, number>();
  for (const r of rows) totals.set(String(r[key]), (totals.get(String(r[key])) ?? 0) + Number(r[value]));
  const top = [...totals].sort((a, b) => b[1] - a[1]).map(([k]) => k);
  const kept = new Set(top.slice(0, limit));
  const map = new Map<string, Series>();
  for (const r of rows) {
    const name = kept.has(String(r[key])) ? String(r[key]) : 'Övriga';
    const s = map.get(name) ?? { name, values: new Map() };
    s.values.set(Number(r.year), (s.values.get(Number(r.year)) ?? 0) + Number(r[value]));
    map.set(name, s);
  }
  return [...map.values()].sort((a, b) => (a.name === 'Övriga' ? 1 : b.name === 'Övriga' ? -1 : top.indexOf(a.name) - top.indexOf(b.name)));
}

function table(rows: Row[], columns: Array<[string, string]>, cls = ''): string {
  if (!rows.length) return '<p class="empty">None.</p>';
  return `<table class="${cls}"><thead><tr>${columns.map(([, h]) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${columns.map(([k]) => `<td>${esc(r[k])}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

export interface ReportOptions {
  dbPath: string;
  /** Documents listed with their evidence (the newest first); the rest are counted. */
  maxDocuments?: number;
  /** Units in the history table (those seen in most years first). */
  maxUnits?: number;
}

export function renderReport(db: Database, options: ReportOptions): string {
  const byYear = participation(db, ['year']).filter((r) => r.year !== null);
  const years = byYear.map((r) => Number(r.year));
  const byBoard = participation(db, ['year', 'board']).filter((r) => r.year !== null);
  const byClass = participation(db, ['year', 'class']).filter((r) => r.year !== null);
  const classRows = classesOffered(db).filter((r) => r.year !== null);
  const classYears = [...new Set(classRows.map((r) => Number(r.year)))].sort();
  const classKeys = Object.keys(CLASS_LABELS).filter((k) => k !== 'unknown');
  const offered = new Set(classRows.map((r) => `${r.year} ${r.class}`));
  const deadlineRows = deadlines(db);
  const totals = db
    .prepare(`SELECT (SELECT count(*) FROM documents) AS documents, (SELECT count(*) FROM extractions WHERE current AND topic = 'award_participation') AS about_award,
                     (SELECT count(*) FROM participations WHERE current) AS participations, (SELECT count(DISTINCT identity_id) FROM participations WHERE current) AS units`)
    .get() as Row;
  const maxUnits = options.maxUnits ?? 300;
  const histories = db
    .prepare(
      `SELECT i.name AS unit, group_concat(DISTINCT p.board) AS boards, count(DISTINCT p.year) AS years, min(p.year) AS first, max(p.year) AS last,
              group_concat(DISTINCT p.year) AS year_list
       FROM participations p JOIN unit_identities i ON i.id = p.identity_id WHERE p.current
       GROUP BY i.id ORDER BY years DESC, i.name LIMIT ?`,
    )
    .all(maxUnits) as Row[];
  const maxDocs = options.maxDocuments ?? 200;
  const docs = db
    .prepare(
      `SELECT d.id, d.file_name, d.format, e.year, e.board, e.topic, d.superseded_by,
              (SELECT path FROM files f WHERE f.document_id = d.id ORDER BY missing_since IS NOT NULL, first_seen LIMIT 1) AS path,
              (SELECT count(*) FROM participations p WHERE p.document_id = d.id) AS units
       FROM documents d LEFT JOIN extractions e ON e.document_id = d.id ORDER BY e.year DESC, d.file_name LIMIT ?`,
    )
    .all(maxDocs) as Row[];
  const evidence = db.prepare('SELECT path, page, snippet, rule FROM evidence WHERE document_id = ? ORDER BY rowid');
  const docHtml = docs
    .map((d) => {
      const ev = evidence.all(d.id) as Row[];
      const link = d.path ? `<a href="${esc(pathToFileURL(String(d.path)).href)}">${esc(d.file_name)}</a>` : esc(d.file_name);
      return `<details><summary>${link} <span class="meta">${esc(d.year ?? '—')} · ${esc(d.board ?? '—')} · ${esc(d.topic ?? 'not extracted')} · ${esc(d.units)} units${d.superseded_by ? ' · superseded' : ''}</span></summary>${table(
        ev,
        [
          ['path', 'value'],
          ['page', 'page'],
          ['snippet', 'from the text'],
          ['rule', 'rule'],
        ],
        'evidence',
      )}</details>`;
    })
    .join('');
  const aliases = unitAliases(db);

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
  .kpi { background: #fff; border: 1px solid #e1e4e8; border-radius: 6px; padding: 10px 16px; min-width: 150px; }
  .kpi b { display: block; font-size: 24px; }
  .charts { display: grid; grid-template-columns: 1fr; gap: 8px; }
  figure { margin: 0 0 10px; }
  figcaption { font-weight: 600; margin-bottom: 4px; }
  svg { width: 100%; height: auto; background: #fff; }
  .grid { stroke: #eceff3; } .axis { stroke: #9aa4ae; } .tick { font-size: 11px; fill: #5c6670; }
  .legend { display: flex; flex-wrap: wrap; gap: 6px 14px; font-size: 12.5px; color: #3b444d; }
  .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
  table { border-collapse: collapse; width: 100%; font-size: 13.5px; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eef0f2; vertical-align: top; }
  th { background: #f3f5f7; font-weight: 600; }
  td.yes { color: #0b7a3e; font-weight: 700; text-align: center; } td.no { color: #c4c9ce; text-align: center; }
  details { border-bottom: 1px solid #eef0f2; padding: 4px 0; } summary { cursor: pointer; }
  .meta { color: #5c6670; font-size: 13px; } .empty { color: #5c6670; font-style: italic; }
  table.evidence { margin: 6px 0 10px 18px; width: calc(100% - 18px); font-size: 12.5px; }
  .note { color: #5c6670; font-size: 13px; }
</style>
</head>
<body>
<header><h1>Kvalitetsutmärkelsen: deltagande över åren</h1><p>beslutsarkiv report of ${esc(options.dbPath)} · ${esc(new Date().toISOString().slice(0, 10))}</p></header>
<main>
<div class="kpis">
  <div class="kpi"><b>${esc(totals.documents)}</b>documents</div>
  <div class="kpi"><b>${esc(totals.about_award)}</b>about participation</div>
  <div class="kpi"><b>${esc(totals.participations)}</b>participations</div>
  <div class="kpi"><b>${esc(totals.units)}</b>distinct units</div>
  <div class="kpi"><b>${years.length ? `${years[0]}–${years[years.length - 1]}` : '—'}</b>years</div>
</div>
<section><h2>Participation over the years</h2><div class="charts">
${lineChart('Units taking part, and documents, per year', [
  { name: 'units', values: new Map(byYear.map((r) => [Number(r.year), Number(r.units)])) },
  { name: 'documents', values: new Map(byYear.map((r) => [Number(r.year), Number(r.documents)])) },
], years)}
${lineChart('Units per year by board (the eight largest)', seriesBy(byBoard, 'board', 'units'), years)}
${stackedBars('Units per year by class', seriesBy(byClass, 'class', 'units', 7).map((s) => ({ ...s, name: CLASS_LABELS[s.name] ?? s.name })), years)}
</div>
<p class="note">Only current versions of reports about taking part count; a unit named twice in one report counts once.</p></section>
<section><h2>Classes offered</h2>
<table><thead><tr><th>year</th>${classKeys.map((k) => `<th>${esc(CLASS_LABELS[k])}</th>`).join('')}</tr></thead><tbody>${classYears
    .map((yr) => `<tr><td>${yr}</td>${classKeys.map((k) => (offered.has(`${yr} ${k}`) ? '<td class="yes">✓</td>' : '<td class="no">·</td>')).join('')}</tr>`)
    .join('')}</tbody></table>
<p class="note">In 2017 "Annan vård och omsorg" gave way to "Socialtjänst samt stöd och service till personer med funktionsnedsättning".</p></section>
<section><h2>Deadlines and award days</h2>${table(deadlineRows, [
    ['year', 'year'],
    ['kind', 'event'],
    ['earliest', 'earliest'],
    ['latest', 'latest'],
    ['documents', 'documents'],
  ])}</section>
<section><h2>Boards</h2>${table(boards(db), [
    ['board', 'board'],
    ['years', 'years'],
    ['first', 'first'],
    ['last', 'last'],
    ['documents', 'documents'],
    ['units', 'units'],
  ])}</section>
<section><h2>Unit histories</h2>${table(histories, [
    ['unit', 'unit'],
    ['boards', 'board'],
    ['years', 'years'],
    ['year_list', 'taking part'],
  ])}<p class="note">Spellings of one unit are grouped (case, å/ä/ö, punctuation, a leading type word). Likely renames are suggested below, never merged.</p></section>
<section><h2>Possible renames</h2>${table(aliases, [
    ['board', 'board'],
    ['name', 'name'],
    ['years', 'years'],
    ['possibly_renamed_to', 'possibly renamed to'],
    ['from', 'from'],
    ['similarity', 'similarity'],
  ])}</section>
<section><h2>Documents</h2><p class="note">Each links to its source file; open one to see where every value came from.${
    Number(totals.documents) > docs.length ? ` Showing the ${docs.length} newest of ${totals.documents}; <code>beslutsarkiv export --with-evidence</code> has them all.` : ''
  }</p>${docHtml}</section>
</main>
</body>
</html>
`;
}
