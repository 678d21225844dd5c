/**
 * The text extraction reads: the repaired pages joined into one string, with letterhead spans
 * (marked by the normalize stage) blanked out so they cannot leak into fields, and a way back
 * from any offset to its page and the page's own offsets — the evidence of every value.
 */
import type { DocumentFile } from '../document-file.js';
import type { Evidence } from '../../schemas/record.js';

export interface DocText {
  /** All pages, separated by a blank line; letterhead replaced by spaces (offsets unchanged). */
  text: string;
  evidence(start: number, end: number, rule: string): Evidence;
}

export function docText(file: DocumentFile): DocText {
  const starts: number[] = [];
  let text = '';
  // Letterhead spans by page, in one pass over the messages.
  const letterhead = new Map<number, Array<{ start: number; actual: string }>>();
  for (const m of file.messages) {
    if (m.rule !== 'letterhead' || m.page === undefined || m.start === undefined || m.end === undefined || !m.actual) continue;
    const list = letterhead.get(m.page) ?? [];
    list.push({ start: m.start, actual: m.actual });
    letterhead.set(m.page, list);
  }
  for (const p of file.pages) {
    starts.push(text.length);
    let page = p.repaired ?? p.text;
    // Letterhead offsets refer to the text as read; blank them only where repair left the span as it
    // was: looked for near its offset (word repair moves text by a few characters, encoding repair
    // by as much as it shortened or lengthened the page), the page rebuilt once.
    const spans = (letterhead.get(p.number) ?? []).sort((a, b) => a.start - b.start);
    if (spans.length) {
      const shorter = Math.max(0, p.text.length - page.length);
      const longer = Math.max(0, page.length - p.text.length);
      const parts: string[] = [];
      let done = 0;
      for (const { start, actual } of spans) {
        const from = Math.max(done, start - 40 - shorter);
        const at = page.slice(from, start + 200 + longer + actual.length).indexOf(actual);
        if (at < 0) continue;
        parts.push(page.slice(done, from + at), ' '.repeat(actual.length));
        done = from + at + actual.length;
      }
      parts.push(page.slice(done));
      page = parts.join('');
    }
    text += `${page}\n\n`;
  }
  return {
    text,
    evidence(start, end, rule) {
      let i = starts.length - 1;
      while (i > 0 && starts[i]! > start) i--;
      const snippetStart = Math.max(0, start - 30);
      const snippetEnd = Math.min(text.length, end + 30);
      return {
        page: file.pages[i]?.number ?? 1,
        start: start - starts[i]!,
        end: end - starts[i]!,
        snippet: text.slice(snippetStart, snippetEnd).replace(/\s+/g, ' ').trim(),
        rule,
      };
    },
  };
}

/** Whitespace (line breaks included) collapsed to single spaces. */
export function flat(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}
