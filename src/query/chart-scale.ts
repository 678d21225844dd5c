/**
 * The geometry both chart renderers share (the report's self-contained SVG in src/query/report.ts
 * and the web app's CSP-safe SVG in src/web/charts.ts): the plot's size, the year and value scales,
 * the tick steps, the palette, and the series of a by-board or by-class chart. Pure functions;
 * each renderer writes the markup its page allows.
 */
export const PALETTE = ['#1f5fa8', '#d1495b', '#edae49', '#00798c', '#66a182', '#8d6a9f', '#a0522d', '#5b5b5b', '#2e86ab', '#c17c74'];
export const OTHERS = 'Övriga';

export interface Series {
  name: string;
  values: Map<number, number>;
}

export const W = 760;
export const H = 300;
export const M = { left: 64, right: 16, top: 16, bottom: 52 };

/** Every year from the first to the last (years without data are gaps, not zeros). */
export function yearRange(years: number[]): number[] {
  if (!years.length) return [];
  const lo = Math.min(...years);
  const hi = Math.max(...years);
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

/** A whole step of 1, 2 or 5 × 10ⁿ at least `raw`, so tick labels need no rounding. */
export function niceStep(raw: number): number {
  if (raw <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

export interface Scale {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  x: (year: number) => number;
  y: (value: number) => number;
  /** The width of one year's band. */
  band: number;
  ticks: number[];
  /** The years that get a label (at most about twelve, and always the last). */
  labelled: number[];
}

/** The scales of a plot of `years` (ascending, consecutive) with values up to `max`. */
export function chartScale(years: number[], max: number): Scale {
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
  const band = years.length > 1 ? (x1 - x0 - 2 * pad) / span : 40;
  const ticks: number[] = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push(v);
  const labelEvery = Math.max(1, Math.ceil(years.length / 12));
  const labelled = years.filter((_, i) => i % labelEvery === 0 || i === years.length - 1);
  return { x0, x1, y0, y1, x, y, band, ticks, labelled };
}

/** Series of `value` per year by `key`: the `limit` largest, the rest summed as Övriga (rows without a year left out). */
export function seriesBy(rows: Array<Record<string, unknown>>, key: string, value: string, name: (k: unknown) => string, limit = 8): Series[] {
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
