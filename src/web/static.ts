/**
 * The web app's static files, held in memory: a request names one of these keys, never a path on
 * disk, so nothing under /static/ can reach the file system.
 */

const CSS = `
:root { --fg: #1b1b1b; --muted: #5b5b5b; --line: #d5d5d5; --accent: #1f5fa8; --bg: #fff; --mark: #ffe27a; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
a:focus, button:focus, input:focus, select:focus { outline: 3px solid #f2a900; outline-offset: 1px; }
.skip { position: absolute; left: -999px; top: 0; background: #fff; padding: 4px 8px; }
.skip:focus { left: 8px; }
header.top { display: flex; gap: 24px; align-items: baseline; padding: 10px 20px; border-bottom: 1px solid var(--line); background: #f6f7f9; }
header.top .brand { font-weight: 700; color: var(--fg); text-decoration: none; }
nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: 16px; margin: 0; padding: 0; }
nav a[aria-current="page"] { font-weight: 700; text-decoration: none; color: var(--fg); }
main { padding: 16px 20px 40px; max-width: 1200px; }
h1 { font-size: 1.5rem; margin: 8px 0 12px; }
h2 { font-size: 1.2rem; margin: 28px 0 8px; }
h3 { font-size: 1rem; margin: 16px 0 6px; }
form.filters, form.inline { display: flex; flex-wrap: wrap; gap: 10px 16px; align-items: flex-end; margin: 8px 0 16px; }
form label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); gap: 2px; }
input, select, button { font: inherit; padding: 4px 6px; }
button { cursor: pointer; }
table { border-collapse: collapse; margin: 6px 0 8px; font-size: .92rem; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px 4px 0; text-align: left; vertical-align: top; }
th { font-weight: 600; }
td.num, th.num { text-align: right; }
.downloads { font-size: .85rem; margin: 0 0 12px; }
.downloads a { margin-right: 12px; }
.muted, .note { color: var(--muted); font-size: .9rem; }
.notice { background: #e8f4ea; border: 1px solid #9ccaa4; padding: 8px 12px; margin: 8px 0; }
.error { background: #fbeaea; border: 1px solid #d9a3a3; padding: 8px 12px; margin: 8px 0; }
mark { background: var(--mark); padding: 0 1px; }
mark:target { outline: 3px solid #d1495b; }
pre.page { white-space: pre-wrap; word-wrap: break-word; background: #fafafa; border: 1px solid var(--line); padding: 10px 12px; font: 14px/1.5 ui-monospace, Menlo, Consolas, monospace; }
figure { margin: 8px 0 4px; }
figcaption { font-weight: 600; margin-bottom: 4px; }
svg.chart { width: 100%; max-width: 820px; height: auto; }
svg .grid { stroke: #e6e6e6; }
svg .axis { stroke: #444; }
svg .tick { font-size: 11px; fill: #444; }
svg .axis-title { font-size: 12px; fill: #222; }
svg .nodata { fill: #f1f1f1; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 14px; font-size: .85rem; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; }
.s0 { background: #1f5fa8; } .s1 { background: #d1495b; } .s2 { background: #edae49; } .s3 { background: #00798c; } .s4 { background: #66a182; }
.s5 { background: #8d6a9f; } .s6 { background: #a0522d; } .s7 { background: #5b5b5b; } .s8 { background: #2e86ab; } .s9 { background: #c17c74; }
.grid2 { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 24px; }
@media (max-width: 900px) { .grid2 { grid-template-columns: 1fr; } }
.pager { display: flex; gap: 16px; margin: 10px 0; }
.hit { margin: 10px 0 14px; }
.hit .snippet { margin: 2px 0; }
.forms { display: flex; flex-wrap: wrap; gap: 20px; }
.forms form { border: 1px solid var(--line); padding: 8px 12px; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
`;

export interface StaticFile {
  type: string;
  body: string;
}

export const STATIC_FILES: ReadonlyMap<string, StaticFile> = new Map([['style.css', { type: 'text/css; charset=utf-8', body: CSS }]]);
