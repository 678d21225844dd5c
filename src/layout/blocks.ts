/**
 * The layout stage: a document's blocks rebuilt from any text form — hard-wrapped lines, Word
 * exports with a blank line after every line, Markdown, OCR text, two-column letterheads, page
 * headers in the middle of a paragraph. Extraction reads these blocks and their sentences, never
 * raw lines.
 *
 * Kinds of block:
 * - `header`: the letterhead zone before the title (administration, Dnr, date, "Till <nämnd>",
 *   handläggare), its cells read column by column;
 * - `heading`: a short line that is not part of a sentence;
 * - `paragraph`: lines joined into running text, whatever the line breaks and blank lines;
 * - `item`: one list item (bullet, number), continuation lines joined;
 * - `table`: rows of cells (Markdown pipes, or columns two or more spaces apart).
 * Page headers repeated mid-text ("Tjänsteutlåtande / Dnr … / Sida 2 (3)") are dropped, so the
 * sentence they interrupted reads whole.
 */

export type BlockKind = 'header' | 'page-header' | 'heading' | 'paragraph' | 'item' | 'table';

export interface Block {
  kind: BlockKind;
  /** Running text: lines joined with single spaces, line-end hyphenation joined. */
  text: string;
  /** Offsets of the block's first and last character in the document text. */
  start: number;
  end: number;
  /** Table rows (and a header's cells by column), when the block has cells. */
  rows?: string[][];
  /** Maps an offset in `text` back to the document: pairs of [textOffset, docOffset], ascending. */
  map: Array<[number, number]>;
}

export interface Layout {
  blocks: Block[];
  /** What the stage did, for the document's messages. */
  notes: Array<{ rule: string; reason: string; start: number; end: number }>;
}

interface Line {
  text: string;
  start: number;
  /** Column of the first character. */
  indent: number;
  trimmed: string;
  cells: Array<{ text: string; col: number; start: number }>;
}

/** A list marker as typed (- • * 1. a)) or as OCR reads a bullet (« » ► ■ ▪, or o/e before a capital). */
const BULLET = /^(?:[-•*·–▪►■○◦«»]|\d{1,2}[.)]|[a-z][.)]|[oe](?=[ \t]+\p{Lu}))\s+/u;
const MD_TABLE = /^\|.*\|$/u;
const MD_RULE = /^\|?[\s:|-]+\|?$/u;
const PAGE_MARK = /^Sida\s+\d+\s*(?:\(\s*\d+\s*\)|av\s+\d+)$/iu;
/** Words that cannot end a finished line of running text. */
const OPEN_END = /(?:[,–-]|\b(?:och|samt|eller|att|i|av|för|till|med|på|om|som|den|det|de|en|ett|vid|från|inom|under|är|har|ska|kan|enligt|mellan|efter|genom|hos|utan|respektive|sin|sitt|sina|dess|deras|nämndens|stadens|förvaltningens))$/iu;
const SENTENCE_END = /[.!?:]["”’)]*$/u;
const HEADER_LIKE = /^(?:tjänsteutlåtande|sida\s+\d+.*|dnr\b.*|diarienummer\b.*|bilaga\b.*|\d{4}-\d{2}-\d{2}|[\p{L}-]+(?:s\s+stadsdelsförvaltning|förvaltningen|kontoret))$/iu;

function makeLine(raw: string, start: number, colOffset = 0): Line {
  const t = raw.replace(/\s+$/u, '');
  const trimmed = t.trim();
  const indent = t.length - t.trimStart().length;
  const cells: Line['cells'] = [];
  if (trimmed) {
    for (const m of t.matchAll(/\S(?:.*?\S)?(?=\s{3,}|\t|$)/gu)) cells.push({ text: m[0], col: m.index + colOffset, start: start + m.index });
  }
  return { text: t, start, indent: indent + colOffset, trimmed, cells };
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  let at = 0;
  for (const raw of text.split('\n')) {
    lines.push(makeLine(raw, at));
    at += raw.length + 1;
  }
  return splitPageColumns(lines);
}

/**
 * A first page laid out in two columns (letterhead and handläggare on the left; Dnr, "Till", the
 * title and even the decision on the right) comes out of text extraction interleaved line by line.
 * Where a run of lines shares one column boundary — text starts at the same column on several
 * lines, some of them with nothing on the left, and nothing crosses it — the run is read as the
 * left column, then the right one.
 */
function splitPageColumns(lines: Line[]): Line[] {
  const out: Line[] = [];
  let i = 0;
  while (i < lines.length) {
    const region = columnRegion(lines, i);
    if (!region) {
      out.push(lines[i]!);
      i++;
      continue;
    }
    const { col, end } = region;
    const left: Line[] = [];
    const right: Line[] = [];
    for (const l of lines.slice(i, end)) {
      if (!l.trimmed) {
        left.push(l);
        continue;
      }
      const leftText = l.text.slice(0, col);
      const rightText = l.text.length > col ? l.text.slice(col) : '';
      if (leftText.trim()) left.push(makeLine(leftText, l.start));
      if (rightText.trim()) right.push(makeLine(rightText, l.start + col, col));
    }
    out.push(...left, makeLine('', left[left.length - 1]?.start ?? 0), ...right);
    i = end;
  }
  return out;
}

function columnRegion(lines: Line[], from: number): { col: number; end: number } | null {
  const first = lines[from]!;
  if (!first.trimmed) return null;
  // Candidate boundaries: where a second cell starts on this line or the next few.
  const candidates = new Set<number>();
  for (const l of lines.slice(from, from + 4)) for (const c of l.cells) if (c.col >= 20) candidates.add(c.col);
  for (const col of [...candidates].sort((a, b) => a - b)) {
    let end = from;
    let rightOnly = 0;
    let both = 0;
    let gap = 0;
    while (end < lines.length) {
      const l = lines[end]!;
      if (!l.trimmed) {
        if (++gap > 2) break;
        end++;
        continue;
      }
      gap = 0;
      const crosses = l.cells.some((c) => c.col < col - 1 && c.col + c.text.length > col - 1);
      const atCol = l.cells.some((c) => Math.abs(c.col - col) <= 1);
      const leftOnly = l.cells.every((c) => c.col + c.text.length < col - 1);
      if (crosses) break;
      if (atCol && l.cells.some((c) => c.col < col - 1)) both++;
      else if (atCol && l.indent >= col - 1) rightOnly++;
      else if (!leftOnly && !l.cells.every((c) => c.col >= col - 1)) break;
      end++;
    }
    while (end > from && !lines[end - 1]!.trimmed) end--;
    if (rightOnly >= 3 && rightOnly + both >= 4) return { col, end };
  }
  return null;
}

/** Strips Markdown emphasis and heading marks from a line's text (offsets are not needed for these). */
function plain(s: string): string {
  return s
    .replace(/^#{1,6}\s+/u, '')
    .replace(/\*\*(.+?)\*\*/gu, '$1')
    .replace(/__(.+?)__/gu, '$1')
    .replace(/(^|\s)\*(\S.*?\S|\S)\*(?=\s|$|[.,;:])/gu, '$1$2')
    .replace(/^\/(.+)\/$/u, '$1')
    .trim();
}

class Builder {
  text = '';
  map: Array<[number, number]> = [];
  start = -1;
  end = -1;

  add(piece: string, docStart: number, docEnd: number): void {
    if (!piece) return;
    // A hyphenation that an earlier export left inside a line ("verk- samhet") is joined too.
    piece = piece.replace(/(\p{Ll}{2})- (?!(?:och|eller|samt|respektive|resp|till)\b)(\p{Ll}{2})/gu, '$1$2');
    if (this.start < 0) this.start = docStart;
    this.end = docEnd;
    if (this.text) {
      // A line-end hyphen before a lower-case continuation is a soft break ("kvalitets-" / "utmärkelsen"),
      // unless the next word is a conjunction (a suspended compound: "vård- och omsorgsboende").
      const soft = /[\p{Ll}]{2}-$/u.test(this.text) && /^\p{Ll}/u.test(piece) && !/^(?:och|eller|samt|respektive|resp)\b/u.test(piece);
      if (soft) this.text = this.text.slice(0, -1);
      else this.text += ' ';
    }
    this.map.push([this.text.length, docStart]);
    this.text += piece;
  }
}

function finish(kind: BlockKind, b: Builder, rows?: string[][]): Block | null {
  if (!b.text.trim()) return null;
  const block: Block = { kind, text: b.text, start: b.start, end: b.end, map: b.map };
  if (rows) block.rows = rows;
  return block;
}

/** Document offset of an offset in a block's text. */
export function docOffset(block: Block, offset: number): number {
  let best = block.map[0] ?? [0, block.start];
  for (const m of block.map) {
    if (m[0] > offset) break;
    best = m;
  }
  return best[1] + (offset - best[0]);
}

/**
 * Lines that repeat a page header in the middle of the text: a "Sida N (M)" line and the
 * header-like lines around it (Tjänsteutlåtande, Dnr …, the administration's name, a date).
 */
function pageHeaderLines(lines: Line[], headerEnd: number, doubleSpaced: boolean): Set<number> {
  const drop = new Set<number>();
  const firstLines = new Set(lines.slice(0, headerEnd).map((l) => l.trimmed.toLowerCase()).filter(Boolean));
  const headerish = (l: Line) =>
    !!l.trimmed &&
    (l.cells.every((c) => HEADER_LIKE.test(plain(c.text)) || PAGE_MARK.test(plain(c.text))) || (firstLines.has(l.trimmed.toLowerCase()) && l.trimmed.length < 70 && !SENTENCE_END.test(l.trimmed)));
  lines.forEach((l, i) => {
    if (i < headerEnd || !l.cells.some((c) => PAGE_MARK.test(plain(c.text)))) return;
    drop.add(i);
    for (let j = i - 1, seen = 0; j >= headerEnd && seen < 4; j--) {
      if (!lines[j]!.trimmed) continue;
      if (!headerish(lines[j]!)) break;
      drop.add(j);
      seen++;
    }
    for (let j = i + 1, seen = 0; j < lines.length && seen < 2; j++) {
      if (!lines[j]!.trimmed) continue;
      if (!headerish(lines[j]!) || SENTENCE_END.test(lines[j]!.trimmed)) break;
      drop.add(j);
      seen++;
    }
    // A running title under the page mark ("Anmälan om deltagande i" / "kvalitetsutmärkelsen 2017"),
    // ended by a blank line: short, unpunctuated lines that belong to the page header too.
    // In a double-spaced export single blank lines separate every line; there the title ends at two.
    const gapAt = (k: number) => {
      let n = 0;
      while (k + n < lines.length && !lines[k + n]!.trimmed) n++;
      return n;
    };
    let j = i + 1;
    while (j < lines.length && drop.has(j)) j++;
    if (doubleSpaced && gapAt(j) === 1) j++;
    const title: number[] = [];
    while (j < lines.length && lines[j]!.trimmed && title.length < 3) {
      const t = lines[j]!.trimmed;
      if (t.length > 60 || /[.!?;:,]$/u.test(t)) break;
      title.push(j);
      j++;
      if (doubleSpaced && gapAt(j) === 1 && lines[j + 1]?.trimmed) j++;
    }
    if (title.length && j < lines.length && gapAt(j) >= (doubleSpaced ? 2 : 1)) for (const k of title) drop.add(k);
  });
  return drop;
}

/** Where the letterhead zone ends: at the title, "Förslag till beslut", or the first sentence. */
function findHeaderEnd(lines: Line[]): number {
  let sawMark = false;
  let previous = '';
  for (let i = 0; i < Math.min(lines.length, 45); i++) {
    const t = plain(lines[i]!.trimmed);
    if (!t) continue;
    const before = previous;
    previous = t;
    if (lines[i]!.cells.length > 1) continue;
    // A line of words after the header's last date is the title, whatever it is about.
    const fieldsFollow = lines.slice(i + 1, i + 5).some((l) => /^(?:Dnr|Diarienummer|Sida|Datum|Till|Handläggare|Telefon|Tfn|Tel)\b/iu.test(plain(l.trimmed)));
    if (sawMark && !fieldsFollow && /^\d{4}-\d{2}-\d{2}$/u.test(before) && t.split(/\s+/u).length >= 4 && !/:/u.test(t) && /^\p{Lu}/u.test(t) && !/^(?:Dnr|Diarienummer|Sida|Datum|Till|Handläggare|Telefon|Tfn|Tel|Avdelningen|Enheten|Staben|Kansliet)\b|förvaltning|kontoret/iu.test(t)) return i;
    if (/^(?:Dnr|Diarienummer|Sida|Datum|Till|Handläggare|Telefon|Tfn|Tel)\b/iu.test(t) || /^\d{4}-\d{2}-\d{2}$/u.test(t)) {
      sawMark = true;
      continue;
    }
    if (/^(?:förvaltningens\s+)?förslag till beslut\b/iu.test(t) || /^(?:sammanfattning|ärendet|bakgrund)$/iu.test(t)) return i;
    if (/utmärkelse|kvalitetspris/iu.test(t) && sawMark) return i;
    if (t.split(/\s+/).length >= 9 && /[.!?]$/u.test(t)) return i;
    if (/^§\s*\d+/u.test(t)) return i;
  }
  return sawMark ? Math.min(lines.length, 45) : 0;
}

/** The layout of a document text (pages already joined; letterhead blanked). */
export function layoutText(text: string): Layout {
  const lines = splitLines(text);
  const notes: Layout['notes'] = [];
  const headerEnd = findHeaderEnd(lines);
  // A Word export puts a blank line after every line: there a blank line says nothing about paragraphs.
  const filled = lines.filter((l) => l.trimmed);
  const doubleSpaced = filled.length > 6 && lines.filter((l, k) => l.trimmed && k + 1 < lines.length && !lines[k + 1]!.trimmed).length / filled.length > 0.7;
  const dropped = pageHeaderLines(lines, headerEnd, doubleSpaced);
  for (const i of dropped) notes.push({ rule: 'page-header', reason: `page header line dropped from the running text: "${lines[i]!.trimmed}"`, start: lines[i]!.start, end: lines[i]!.start + lines[i]!.text.length });
  const pageHeaders: Block[] = [...dropped].sort((a, b) => a - b).map((i) => ({ kind: 'page-header' as const, text: lines[i]!.trimmed, start: lines[i]!.start + lines[i]!.indent, end: lines[i]!.start + lines[i]!.text.length, map: [[0, lines[i]!.start + lines[i]!.indent]] }));

  const blocks: Block[] = [];
  // The header zone, read column by column: left cells, then cells further right.
  if (headerEnd > 0) {
    const zone = lines.slice(0, headerEnd).filter((l) => l.trimmed);
    // Columns only where they are real: two or more lines whose right cells start at the same place.
    const widths = zone.filter((l) => l.cells.length > 1).map((l) => l.cells[l.cells.length - 1]!.col);
    const aligned = widths.length >= 2 && Math.max(...widths) - Math.min(...widths) <= 4;
    // … and at least one line with nothing on the left (else the "columns" are wrapped text side by side).
    const rightOnly = aligned && zone.some((l) => l.cells.length === 1 && l.indent >= Math.min(...widths) - 2);
    const split = aligned && rightOnly ? Math.min(...widths) : Infinity;
    const left: Array<{ text: string; start: number; end: number }> = [];
    const right: typeof left = [];
    for (const l of zone) {
      for (const c of l.cells) {
        const isRight = split !== Infinity && c.col >= split - 2;
        (isRight ? right : left).push({ text: plain(c.text), start: c.start, end: c.start + c.text.length });
      }
    }
    // Cells keep their own lines, so fields never run into one another.
    const cells = [...left, ...right].filter((c) => c.text);
    if (cells.length) {
      let o = 0;
      const map: Array<[number, number]> = cells.map((c) => {
        const entry: [number, number] = [o, c.start];
        o += c.text.length + 1;
        return entry;
      });
      blocks.push({
        kind: 'header',
        text: cells.map((c) => c.text).join('\n'),
        start: lines[0]!.start,
        end: lines[headerEnd - 1]!.start + lines[headerEnd - 1]!.text.length,
        rows: [left.map((c) => c.text), right.map((c) => c.text)],
        map,
      });
    }
  }

  let current: { kind: BlockKind; b: Builder; rows?: string[][]; last: Line; itemIndent?: number; marker?: string; cols?: number[] } | null = null;
  let blank = 0;
  let maxWidth = 0;
  for (const l of lines) maxWidth = Math.max(maxWidth, l.trimmed.length);
  // A wrapped line is one near the text's usual width (taken from the longer lines, not the longest).
  const lengths = lines.map((l) => l.trimmed.length).filter((n) => n > 0).sort((a, b) => a - b);
  const typical = lengths[Math.floor(lengths.length * 0.75)] ?? maxWidth;
  const wide = Math.max(35, Math.min(70, typical * 0.7));
  const close = () => {
    if (current) {
      const block = finish(current.kind, current.b, current.rows);
      if (block) blocks.push(block);
    }
    current = null;
  };

  for (let i = headerEnd; i < lines.length; i++) {
    const l = lines[i]!;
    if (dropped.has(i)) continue;
    if (!l.trimmed || /^\f+$/u.test(l.trimmed)) {
      blank++;
      continue;
    }
    const t = l.trimmed.replace(/^\f+/u, '');
    const wasBlank = blank > 0;
    blank = 0;
    const isMdHeading = /^#{1,6}\s/u.test(t);
    const isMdTable = MD_TABLE.test(t);
    const isBullet = BULLET.test(t);
    const cellCount = l.cells.length;

    if (isMdTable) {
      if (MD_RULE.test(t)) continue;
      const cells = t.replace(/^\||\|$/gu, '').split('|').map((c) => plain(c.trim()));
      if (current?.kind !== 'table') {
        close();
        current = { kind: 'table', b: new Builder(), rows: [], last: l };
      }
      current.rows!.push(cells);
      current.b.add(cells.join(' | '), l.start, l.start + l.text.length);
      current.last = l;
      continue;
    }
    // A line under a table whose text starts in one of its later columns continues that column's cell.
    if (current?.kind === 'table' && current.cols && !wasBlank && l.indent > current.cols[0]! + 2 && current.cols.some((c) => Math.abs(c - l.indent) <= 2)) {
      const cells = cellsAt(l, current.cols);
      const last = current.rows![current.rows!.length - 1]!;
      cells.forEach((c, k) => {
        if (c) last[k] = last[k] ? `${last[k]} ${c}` : c;
      });
      current.b.text = current.rows!.map((r) => r.join(' | ')).join('\n');
      current.last = l;
      continue;
    }
    if (cellCount > 1 && !isBullet) {
      // Columns three or more spaces apart: a table row (a text table, a signature block side by side).
      const aligned = current?.kind === 'table' && current.cols && (!wasBlank || current.rows![0]!.length === cellCount);
      if (!aligned) {
        close();
        current = { kind: 'table', b: new Builder(), rows: [], last: l, cols: l.cells.map((c) => c.col) };
      }
      const cells = aligned ? cellsAt(l, current!.cols!) : l.cells.map((c) => plain(c.text));
      current!.rows!.push(cells);
      if (current!.b.start < 0) current!.b.add(cells.join(' | '), l.start, l.start + l.text.length);
      else {
        current!.b.map.push([current!.b.text.length + 1, l.start]);
        current!.b.end = l.start + l.text.length;
      }
      current!.b.text = current!.rows!.map((r) => r.join(' | ')).join('\n');
      current!.last = l;
      continue;
    }
    const piece = plain(t);
    if (isMdHeading) {
      close();
      const b = new Builder();
      b.add(piece, l.start, l.start + l.text.length);
      blocks.push(finish('heading', b)!);
      continue;
    }
    // A dash or bullet indented under the current item's text continues it ("… avdelningen för X –" / "– förskola").
    const marker = isBullet ? markerKind(BULLET.exec(t)![0]) : '';
    if (isBullet && current?.kind === 'item' && !SENTENCE_END.test(current.b.text) && marker !== current.marker && (l.indent >= (current.itemIndent ?? 99) - 1 || l.indent > current.last.indent || /^[–—]$/u.test(marker))) {
      current.b.add(piece, l.start + l.indent, l.start + l.text.length);
      current.last = l;
      continue;
    }
    if (isBullet) {
      close();
      const m = BULLET.exec(t)![0];
      current = { kind: 'item', b: new Builder(), last: l, itemIndent: l.indent + m.length, marker };
      // The item's text without its marker; the marker's kind is kept on the block.
      current.b.add(plain(t.slice(m.length)), l.start + l.indent + m.length, l.start + l.text.length);
      continue;
    }
    if (current) {
      const prev = current.b.text;
      const lastPiece = plain(current.last.trimmed);
      // A colon ends a line before a list or a new sentence, not before a lower-case inline list.
      const finished = SENTENCE_END.test(prev) && !(/:$/u.test(prev) && (/^\p{Ll}/u.test(piece) || (!wasBlank && lastPiece.length >= wide && current.kind === 'paragraph')));
      const lower = /^[\p{Ll}\d(]/u.test(piece);
      const open = OPEN_END.test(prev);
      let join = false;
      if (current.kind === 'table') {
        // A single-cell line under a table: a wrapped cell (lower case) or the table's end.
        join = false;
      } else if (current.kind === 'item') {
        // A numbered item is a sentence of a decision: unfinished, it goes on to its full stop.
        join = !finished && (lower || open || /^[–—:(-]/u.test(piece) || (!wasBlank && l.indent >= (current.itemIndent ?? 99) - 1) || (current.marker === 'number' && !isHeadingLike(piece, undefined) && piece.length > 20));
      } else if (!finished) {
        const short = lastPiece.length < wide && !open;
        join = lower || open || (!short && (!wasBlank || doubleSpaced) && !isHeadingLike(piece, lines[i + 1]));
      }
      if (join) {
        current.b.add(piece, l.start + l.indent, l.start + l.text.length);
        current.last = l;
        continue;
      }
      close();
    }
    current = { kind: 'paragraph', b: new Builder(), last: l };
    current.b.add(piece, l.start + l.indent, l.start + l.text.length);
  }
  close();

  // A one-line paragraph that is short and unpunctuated, followed by another block, is a heading.
  for (const b of blocks) {
    if (b.kind === 'paragraph' && b.text.length < 70 && !/[.!?:,;]$/u.test(b.text) && /^\p{Lu}/u.test(b.text) && b.text.split(/\s+/).length <= 9) b.kind = 'heading';
  }
  return { blocks: [...blocks, ...pageHeaders], notes };
}

/** Bullets are one kind, numbers another, letters a third: a different kind under an unfinished item continues it. */
function markerKind(m: string): string {
  const t = m.trim();
  return /^\d/u.test(t) ? 'number' : /^[a-z][.)]$/u.test(t) ? 'letter' : t;
}

/** A line's text cut at a table's column starts (where a space precedes the column). */
function cellsAt(l: Line, cols: number[]): string[] {
  const text = ' '.repeat(Math.max(0, l.indent - (l.text.length - l.text.trimStart().length))) + l.text;
  const cuts = cols.map((c, k) => (k === 0 ? 0 : /\s/u.test(text[c - 1] ?? ' ') ? c : -1));
  const out: string[] = [];
  let from = 0;
  for (let k = 0; k < cols.length; k++) {
    const to = k + 1 < cols.length ? (cuts[k + 1]! >= 0 ? cuts[k + 1]! : -1) : text.length;
    if (to < 0) {
      out.push('');
      continue;
    }
    out.push(plain(text.slice(from, to).trim()));
    from = to;
  }
  // Cells that a missing cut merged stay in the earlier column.
  return out;
}

function isHeadingLike(piece: string, next: Line | undefined): boolean {
  return piece.length < 60 && /^\p{Lu}/u.test(piece) && !!next && !next.trimmed;
}

export interface Sentence {
  text: string;
  /** Offset in the block's text. */
  start: number;
  end: number;
  block: Block;
}

const ABBREVIATION = /\b(?:t\.ex|bl\.a|s\.k|m\.m|d\.v\.s|dvs|ca|kl|nr|resp|jfr|fr\.o\.m|t\.o\.m|o\.s\.v|p\.g\.a|enl|tel|tfn)\.$/iu;

/** Sentences already split, by block (extraction reads each block's sentences several times). */
const sentenceCache = new WeakMap<Block, { text: string; sentences: Sentence[] }>();

/**
 * The sentences of a block: ends at . ! ? before a capital or a digit, not after an abbreviation.
 * Split once per block and text (the list is shared: callers must not change it).
 */
export function sentencesOf(block: Block): Sentence[] {
  const cached = sentenceCache.get(block);
  if (cached && cached.text === block.text) return cached.sentences;
  const sentences = splitSentences(block);
  sentenceCache.set(block, { text: block.text, sentences });
  return sentences;
}

function splitSentences(block: Block): Sentence[] {
  const out: Sentence[] = [];
  const text = block.text;
  if (block.kind === 'table') {
    let at = 0;
    for (const row of text.split('\n')) {
      if (row.trim()) out.push({ text: row, start: at, end: at + row.length, block });
      at += row.length + 1;
    }
    return out;
  }
  let start = 0;
  for (const m of text.matchAll(/[.!?](?=["”’)]*\s+["”“(]?[\p{Lu}\d])/gu)) {
    const end = m.index + 1;
    if (ABBREVIATION.test(text.slice(Math.max(0, end - 8), end))) continue;
    // "Dnr 1.2.3-45" and "2.1 Bakgrund" are not sentence ends.
    if (/\d\.$/u.test(text.slice(end - 2, end)) && /^\s*\d/u.test(text.slice(end))) continue;
    const s = text.slice(start, end).trim();
    if (s) out.push({ text: s, start: start + (text.slice(start).length - text.slice(start).trimStart().length), end, block });
    start = end;
  }
  const rest = text.slice(start).trim();
  if (rest) out.push({ text: rest, start: start + (text.slice(start).length - text.slice(start).trimStart().length), end: text.length, block });
  return out;
}
