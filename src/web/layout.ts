/**
 * The page frame and small HTML helpers. Every value goes through hono/html's escaping template;
 * nothing from the archive or the request is ever concatenated into markup unescaped.
 */
import { html } from 'hono/html';

export const NAV: Array<[href: string, label: string]> = [
  ['/trends', 'Trender'],
  ['/units', 'Enheter'],
  ['/documents', 'Dokument'],
  ['/search', 'Sök'],
  ['/review', 'Granskning'],
  ['/runs', 'Körningar'],
];

export function layout(title: string, current: string, body: unknown) {
  return html`<!doctype html>
<html lang="sv">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} – beslutsarkiv</title>
<link rel="stylesheet" href="/static/style.css">
</head>
<body>
<a class="skip" href="#main">Till innehållet</a>
<header class="top">
<a class="brand" href="/trends">beslutsarkiv</a>
<nav aria-label="Huvudmeny"><ul>${NAV.map(
    ([href, label]) => html`<li><a href="${href}"${current === href ? html` aria-current="page"` : ''}>${label}</a></li>`,
  )}</ul></nav>
</header>
<main id="main">
${body}
</main>
</body>
</html>
`;
}

/** A query string from parameters (empty ones left out), with its leading `?` when not empty. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

export const show = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** A table of rows: columns as [key, heading, optional cell renderer]. */
export function table(testid: string, rows: Array<Record<string, unknown>>, columns: Array<[string, string, ((v: unknown, r: Record<string, unknown>) => unknown)?]>, caption?: string) {
  return html`<table data-testid="${testid}">${caption ? html`<caption class="sr-only">${caption}</caption>` : ''}<thead><tr>${columns.map(([, h]) => html`<th scope="col">${h}</th>`)}</tr></thead><tbody>${rows.map(
    (r) => html`<tr>${columns.map(([k, , cell]) => html`<td${typeof r[k] === 'number' ? html` class="num"` : ''}>${cell ? cell(r[k], r) : show(r[k])}</td>`)}</tr>`,
  )}</tbody></table>${rows.length ? '' : html`<p class="muted">Inga rader.</p>`}`;
}
