/**
 * Inline SVG charts for the web app (no script, no inline style: colours are presentation
 * attributes and CSS classes, so the page keeps its strict Content-Security-Policy). Years with no
 * report are drawn as pale bands, never as zeros; both axes have titles. The report's chart code
 * shares their geometry (src/query/chart-scale.ts); the report writes inline styles, these CSS classes.
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

import { chartScale, H, M, PALETTE, seriesBy, W, yearRange, type Series } from '../query/chart-scale.js';

export { PALETTE, seriesBy, yearRange, type Series };

const f1 = (n: number) => n.toFixed(1);
const num = (n: number) => n.toLocaleString('sv-SE');

function axes(years: number[], max: number, yTitle: string, empty: Set<number>) {
  const { x0, x1, y0, y1, x, y, band, ticks, labelled } = chartScale(years, max);
  const svg = html`${[...empty].map(
    (yr) => html`<rect x="${f1(x(yr) - band / 2)}" y="${y1}" width="${f1(band)}" height="${y0 - y1}" class="nodata" data-gap-year="${yr}"><title>${yr}: inga rapporter</title></rect>`,
  )}${ticks.map(
    (v) => html`<line x1="${x0}" x2="${x1}" y1="${f1(y(v))}" y2="${f1(y(v))}" class="grid"/><text x="${x0 - 6}" y="${f1(y(v) + 4)}" class="tick" text-anchor="end">${num(v)}</text>`,
  )}${labelled.map((yr) => html`<text x="${f1(x(yr))}" y="${y0 + 18}" class="tick" text-anchor="middle">${yr}</text>`)}<line x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}" class="axis"/><line x1="${x0}" x2="${x0}" y1="${y1}" y2="${y0}" class="axis"/><text x="${(x0 + x1) / 2}" y="${H - 10}" class="axis-title" text-anchor="middle">År</text><text x="16" y="${(y0 + y1) / 2}" class="axis-title" text-anchor="middle" transform="rotate(-90 16 ${(y0 + y1) / 2})">${yTitle}</text>`;
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
