/**
 * Inline SVG charts for the web app (no script, no inline style: colours are presentation
 * attributes and CSS classes, so the page keeps its strict Content-Security-Policy). Years with no
 * report are drawn as pale bands, never as zeros; both axes have titles. The report's chart code
 * (src/query/report.ts) is not exported and uses inline styles, so these are its web twins.
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

export const PALETTE = ['#1f5fa8', '#d1495b', '#edae49', '#00798c', '#66a182', '#8d6a9f', '#a0522d', '#5b5b5b', '#2e86ab', '#c17c74'];

export interface Series {
  name: string;
  values: Map<number, number>;
}

const W = 760;
const H = 300;
const M = { left: 64, right: 16, top: 16, bottom: 52 };

/** Every year from the first to the last of those given. */
export function yearRange(years: number[]): number[] {
  if (!years.length) return [];
  const lo = Math.min(...years);
  const hi = Math.max(...years);
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

function niceStep(raw: number): number {
  if (raw <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

const f1 = (n: number) => n.toFixed(1);
const num = (n: number) => n.toLocaleString('sv-SE');

function axes(years: number[], max: number, yTitle: string, empty: Set<number>) {
  const x0 = M.left;
  const x1 = W - M.right;
  const pad = 22;
  const y0 = H - M.bottom;
  const y1 = M.top;
  const span = Math.max(1, years[years.length - 1]! - years[0]!);
  const x = (year: number) => (years.length === 1 ? (x0 + x1) / 2 : x0 + pad + ((year - years[0]!) / span) * (x1 - x0 - 2 * pad));
  const step = niceStep(max / 5);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const y = (v: number) => y0 - (v / top) * (y0 - y1);
  const band = years.length > 1 ? (x1 - x0 - 2 * pad) / span : 40;
  const ticks: number[] = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push(v);
  const labelEvery = Math.max(1, Math.ceil(years.length / 12));
  const svg = html`${[...empty].map(
    (yr) => html`<rect x="${f1(x(yr) - band / 2)}" y="${y1}" width="${f1(band)}" height="${y0 - y1}" class="nodata" data-gap-year="${yr}"><title>${yr}: inga rapporter</title></rect>`,
  )}${ticks.map(
    (v) => html`<line x1="${x0}" x2="${x1}" y1="${f1(y(v))}" y2="${f1(y(v))}" class="grid"/><text x="${x0 - 6}" y="${f1(y(v) + 4)}" class="tick" text-anchor="end">${num(v)}</text>`,
  )}${years.map((yr, i) =>
    i % labelEvery === 0 || i === years.length - 1 ? html`<text x="${f1(x(yr))}" y="${y0 + 18}" class="tick" text-anchor="middle">${yr}</text>` : '',
  )}<line x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}" class="axis"/><line x1="${x0}" x2="${x0}" y1="${y1}" y2="${y0}" class="axis"/><text x="${(x0 + x1) / 2}" y="${H - 10}" class="axis-title" text-anchor="middle">År</text><text x="16" y="${(y0 + y1) / 2}" class="axis-title" text-anchor="middle" transform="rotate(-90 16 ${(y0 + y1) / 2})">${yTitle}</text>`;
  return { x, y, svg, bandWidth: band };
}

function legend(series: Series[]): HtmlEscapedString | Promise<HtmlEscapedString> {
  return html`<div class="legend">${series.map((s, i) => html`<span><i class="s${i % PALETTE.length}"></i>${s.name}</span>`)}</div>`;
}

function figure(testid: string, title: string, svg: unknown, series: Series[] | null) {
  return html`<figure><figcaption>${title}</figcaption><svg class="chart" data-testid="${testid}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${title}">${svg}</svg>${series && series.length > 1 ? legend(series) : ''}</figure>`;
}

/**
 * Bars of one value per year; each bar carries `data-year` and `data-value`. Years between the
 * first and last with no value are pale bands (`data-gap-year`).
 */
export function barChart(testid: string, title: string, yTitle: string, values: Map<number, number>) {
  const dataYears = [...values.keys()].sort((a, b) => a - b);
  const years = yearRange(dataYears);
  if (!years.length) return html`<p class="empty" data-testid="${testid}-empty">Inga uppgifter för ${title.toLowerCase()}.</p>`;
  const empty = new Set(years.filter((yr) => !values.has(yr)));
  const { x, y, svg } = axes(years, Math.max(1, ...values.values()), yTitle, empty);
  const bw = Math.max(4, Math.min(36, ((W - M.left - M.right) / Math.max(1, years.length)) * 0.7));
  const y0 = y(0);
  const bars = dataYears.map((yr) => {
    const v = values.get(yr)!;
    const top = y(v);
    return html`<rect x="${f1(x(yr) - bw / 2)}" y="${f1(top)}" width="${f1(bw)}" height="${f1(y0 - top)}" fill="${PALETTE[0]}" data-year="${yr}" data-value="${v}"><title>${yr}: ${num(v)}</title></rect>`;
  });
  return figure(testid, title, html`${svg}${bars}`, null);
}

/** Lines, one per series, broken where a series has no value for a year; each point carries `data-series`, `data-year`, `data-value`. */
export function lineChart(testid: string, title: string, yTitle: string, series: Series[]) {
  const years = yearRange(series.flatMap((s) => [...s.values.keys()]));
  if (!years.length) return html`<p class="empty" data-testid="${testid}-empty">Inga uppgifter för ${title.toLowerCase()}.</p>`;
  const all = new Set(series.flatMap((s) => [...s.values.keys()]));
  const empty = new Set(years.filter((yr) => !all.has(yr)));
  const max = Math.max(1, ...series.flatMap((s) => [...s.values.values()]));
  const { x, y, svg } = axes(years, max, yTitle, empty);
  const lines = series.map((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const runs: number[][] = [[]];
    for (const yr of years) {
      if (s.values.has(yr)) runs[runs.length - 1]!.push(yr);
      else if (runs[runs.length - 1]!.length) runs.push([]);
    }
    return html`${runs
      .filter((r) => r.length > 1)
      .map((r) => html`<polyline fill="none" stroke="${color}" stroke-width="2" points="${r.map((yr) => `${f1(x(yr))},${f1(y(s.values.get(yr)!))}`).join(' ')}"/>`)}${years
      .filter((yr) => s.values.has(yr))
      .map(
        (yr) =>
          html`<circle cx="${f1(x(yr))}" cy="${f1(y(s.values.get(yr)!))}" r="3" fill="${color}" data-series="${s.name}" data-year="${yr}" data-value="${s.values.get(yr)!}"><title>${s.name} ${yr}: ${num(s.values.get(yr)!)}</title></circle>`,
      )}`;
  });
  return figure(testid, title, html`${svg}${lines}`, series);
}

/** Series of `value` per year by `key` (the `limit` largest; the rest summed as Övriga). */
export function seriesBy(rows: Array<Record<string, unknown>>, key: string, value: string, name: (k: unknown) => string, limit = 8): Series[] {
  const OTHERS = 'Övriga';
  const totals = new Map<string, number>();
  for (const r of rows) if (r.year !== null) totals.set(name(r[key]), (totals.get(name(r[key])) ?? 0) + Number(r[value]));
  const top = [...totals].sort((a, b) => b[1] - a[1]).map(([k]) => k);
  const kept = new Set(top.slice(0, limit));
  const map = new Map<string, Series>();
  for (const r of rows) {
    if (r.year === null) continue;
    const n = kept.has(name(r[key])) ? name(r[key]) : OTHERS;
    const s = map.get(n) ?? { name: n, values: new Map() };
    s.values.set(Number(r.year), (s.values.get(Number(r.year)) ?? 0) + Number(r[value]));
    map.set(n, s);
  }
  return [...map.values()].sort((a, b) => (a.name === OTHERS ? 1 : b.name === OTHERS ? -1 : top.indexOf(a.name) - top.indexOf(b.name)));
}
