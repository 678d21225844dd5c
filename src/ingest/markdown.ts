/**
 * Markdown conversions of reports: keep the words, drop the markup and link targets.
 * Parsed with mdast-util-from-markdown (unified), then each block's text is written on its own
 * line(s), list items with a "- " bullet so list structure survives for extraction.
 *
 * Large files are parsed in sections (see {@link markdownSections}): the parser's time and its
 * tree's memory grow with the size of what it is given at once, and a 10 MB text in one piece ran
 * the reader out of its heap. The tree is walked without recursion, so Markdown nested thousands
 * deep (block quotes in block quotes) is read rather than overflowing the stack.
 */
import { fromMarkdown } from 'mdast-util-from-markdown';
import { DocumentError } from '../errors.js';

type Node = { type: string; value?: string; alt?: string | null; children?: Node[] };

const BLOCKS = new Set(['paragraph', 'heading', 'listItem', 'blockquote', 'list', 'root', 'table', 'tableRow', 'tableCell']);

/** Sections are cut from files larger than this (a 300-page report converted is about 1 MB). */
const SECTION_CHARS = 128 * 1024;

/** The text of an inline node and everything under it, walked without recursion. */
function inlineText(root: Node): string {
  // A frame collects its children's text; strong and emphasis pad theirs with spaces.
  type Frame = { node: Node; parts: string[]; next: number };
  const stack: Frame[] = [{ node: root, parts: [], next: 0 }];
  let result = '';
  while (stack.length) {
    const frame = stack[stack.length - 1]!;
    const { node } = frame;
    let text: string | undefined;
    switch (node.type) {
      case 'text':
      case 'inlineCode':
        text = node.value ?? '';
        break;
      case 'break':
        text = '\n';
        break;
      case 'image':
        text = node.alt ?? '';
        break;
      case 'html':
        text = (node.value ?? '').replace(/<[^>]*>/g, '');
        break;
      default: {
        const children = node.children ?? [];
        if (frame.next < children.length) {
          stack.push({ node: children[frame.next++]!, parts: [], next: 0 });
          continue;
        }
        // Conversions glue table cells into one line with bold markers in between
        // ("Telefon: 08-508 12 480**Till**"): keep the two cells apart.
        text = (node.type === 'strong' || node.type === 'emphasis') && frame.parts.length ? ` ${frame.parts.join('')} ` : frame.parts.join('');
      }
    }
    stack.pop();
    if (stack.length) stack[stack.length - 1]!.parts.push(text);
    else result = text;
  }
  return result;
}

function tidyLine(line: string): string {
  return line.replace(/[ \t]{2,}/g, ' ').trim();
}

/** Lines of a leaf block (paragraph, heading, table cell …). */
function leafLines(node: Node, out: string[]): void {
  const text = inlineText(node);
  for (const line of text.split('\n')) {
    const t = tidyLine(line);
    if (t) out.push(t);
  }
  if (node.type === 'paragraph' || node.type === 'heading') out.push('');
}

/**
 * The lines of a block and everything in it. Written as a loop over an explicit stack (a block's
 * children, then what is done once they are written), so depth costs heap, not call stack.
 */
function blockLines(root: Node, out: string[]): void {
  type Task = { node: Node } | { after: () => void };
  const tasks: Task[] = [{ node: root }];
  const pushChildren = (children: Node[]) => {
    for (let i = children.length - 1; i >= 0; i--) tasks.push({ node: children[i]! });
  };
  while (tasks.length) {
    const task = tasks.pop()!;
    if ('after' in task) {
      task.after();
      continue;
    }
    const { node } = task;
    if (node.type === 'code') {
      for (const line of (node.value ?? '').split('\n')) out.push(line);
      out.push('');
      continue;
    }
    if (node.type === 'thematicBreak') continue;
    if (node.type === 'listItem') {
      const children = node.children ?? [];
      // Items of a list follow each other without blank lines.
      tasks.push({
        after: () => {
          while (out.length && out[out.length - 1] === '') out.pop();
        },
      });
      for (let i = children.length - 1; i >= 0; i--) {
        if (i === 0) {
          const start = out.length;
          tasks.push({
            after: () => {
              if (out.length > start) out[start] = `- ${out[start]}`;
            },
          });
        }
        tasks.push({ node: children[i]! });
      }
      continue;
    }
    if (node.type === 'list') {
      tasks.push({ after: () => out.push('') });
      pushChildren(node.children ?? []);
      continue;
    }
    if (node.type === 'tableRow') {
      out.push((node.children ?? []).map((c) => tidyLine(inlineText(c))).filter(Boolean).join('  '));
      continue;
    }
    if (BLOCKS.has(node.type) && node.type !== 'paragraph' && node.type !== 'heading') {
      if (node.type === 'table' || node.type === 'blockquote') tasks.push({ after: () => out.push('') });
      pushChildren(node.children ?? []);
      continue;
    }
    leafLines(node, out);
  }
}

/** A line that starts a paragraph: a letter or digit (no list marker) indented less than code. */
const PARAGRAPH_START = /^ {0,3}[\p{L}\p{N}](?!\d*[.)](?:[ \t]|$))/u;
/** A line that may open a container (list item, block quote) that later indented lines continue. */
const CONTAINER_START = /^[ \t]*(?:[-+*>]|\d{1,9}[.)])/;
/** A fenced code block opens or closes. */
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
/** HTML blocks that run on over blank lines until their end marker. */
const HTML_BLOCK = /^<(?:!--|\?|![A-Za-z]|!\[CDATA\[|(?:script|pre|style|textarea)(?:[\s>]|$))/i;
const HTML_BLOCK_END = /-->|\?>|>|\]\]>|<\/(?:script|pre|style|textarea)>/i;
/** A link reference definition: `[label]: target`. */
const DEFINITION = /^ {0,3}\[(?:[^\]\\\n]|\\.)+\]:[ \t]*\S/;
/** The definitions repeated in every section are capped: past this, references across sections stay as written. */
const MAX_DEFINITION_CHARS = 16 * 1024;
/** Anything in a line that Markdown could read as markup: inline syntax anywhere, block syntax at its start. */
const MARKUP = /[\\`*_[\]<\0]|&#?[A-Za-z0-9]+;|^[ \t]*(?:[-+>#=~]|\d{1,9}[.)](?:[ \t]|$))/;

/** A piece of a large Markdown file: Markdown to parse, or the lines of a paragraph with no markup at all. */
export type MarkdownPiece = { markdown: string } | { plain: string[] };

/**
 * Cuts Markdown into pieces of about `size` characters that convert, one by one, to what the whole
 * would. Each cut is at a blank line followed by a margin line that starts a paragraph, which
 * closes every open container (list, block quote, indented code); never inside a fenced code block
 * or an HTML block. A paragraph at such a place with nothing Markdown could read as markup (most of
 * a report) is taken as its lines, unparsed. Link reference definitions are added to every piece
 * that is parsed, so a reference to a definition elsewhere still resolves.
 */
export function markdownPieces(markdown: string, size = SECTION_CHARS): MarkdownPiece[] {
  if (markdown.length <= size) return [{ markdown }];
  const pieces: MarkdownPiece[] = [];
  const definitions: string[] = [];
  let definitionChars = 0;
  let fence: string | undefined;
  let html = false;
  /** A list item or block quote may be open: indented lines may belong to it. */
  let container = false;
  let sectionStart = 0;
  let previousBlank = true;
  let pos = 0;
  const lineEnd = (at: number) => {
    const end = markdown.indexOf('\n', at);
    return end === -1 ? markdown.length : end;
  };
  const flush = (to: number) => {
    const part = markdown.slice(sectionStart, to);
    if (part.trim()) pieces.push({ markdown: part });
  };
  /** The lines of the paragraph starting at `at`, and where it ends, when none of them has markup. */
  const plainParagraph = (at: number): { lines: string[]; end: number } | undefined => {
    const lines: string[] = [];
    for (;;) {
      const e = lineEnd(at);
      const l = markdown.slice(at, e);
      if (l.trim() === '') return { lines, end: at };
      if (MARKUP.test(l)) return undefined;
      lines.push(l);
      if (e >= markdown.length) return { lines, end: markdown.length };
      at = e + 1;
    }
  };
  while (pos < markdown.length) {
    const end = lineEnd(pos);
    const line = markdown.slice(pos, end);
    const blank = line.trim() === '';
    if (fence) {
      const closing = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(line)?.[1];
      if (closing && closing[0] === fence[0] && closing.length >= fence.length) fence = undefined;
    } else if (html) {
      if (HTML_BLOCK_END.test(line)) html = false;
    } else {
      // After a blank line, a line at the margin closes every container (list, block quote).
      if (!blank && previousBlank && line[0] !== ' ' && line[0] !== '\t') container = false;
      // A paragraph there starts a piece: nothing before it changes how it or what follows reads.
      if (!blank && previousBlank && !container && PARAGRAPH_START.test(line)) {
        const plain = plainParagraph(pos);
        if (plain) {
          flush(pos);
          pieces.push({ plain: plain.lines });
          sectionStart = pos = plain.end;
          previousBlank = false;
          continue;
        }
        if (pos - sectionStart >= size) {
          flush(pos);
          sectionStart = pos;
        }
      }
      if (CONTAINER_START.test(line)) container = true;
      const opened = FENCE.exec(line);
      if (opened) fence = opened[1]!;
      else if (HTML_BLOCK.test(line) && !HTML_BLOCK_END.test(line.slice(1))) html = true;
      if (DEFINITION.test(line) && definitionChars <= MAX_DEFINITION_CHARS) {
        definitions.push(line);
        definitionChars += line.length;
      }
      previousBlank = blank;
    }
    pos = end + 1;
  }
  flush(markdown.length);
  const parsed = pieces.filter((p): p is { markdown: string } => 'markdown' in p);
  if (parsed.length < 2 && pieces.length === parsed.length) return pieces;
  if (!definitions.length || definitionChars > MAX_DEFINITION_CHARS) return pieces;
  // Only lines that are definitions on their own (a line that merely looks like one would add its
  // text to every piece).
  const valid = definitions.filter((line) => (fromMarkdown(line) as Node).children?.every((n) => n.type === 'definition'));
  if (!valid.length) return pieces;
  const block = `\n\n${valid.join('\n')}\n`;
  // Only where a reference can be (a '['), and never more added than the file has: many small
  // pieces and many definitions would otherwise be parsed many times over. Past that budget a
  // reference to another piece's definition stays as written (its words are kept all the same).
  const referring = parsed.filter((p) => p.markdown.includes('[')).length;
  if (referring * block.length > markdown.length) return pieces;
  return pieces.map((p) => ('markdown' in p && p.markdown.includes('[') ? { markdown: p.markdown + block } : p));
}

/** Plain text of a Markdown document: one line per source line of text, blank line between blocks. */
export function markdownToText(markdown: string, options: { name?: string; sectionChars?: number } = {}): string {
  const { name, sectionChars } = options;
  const out: string[] = [];
  for (const piece of markdownPieces(markdown, sectionChars)) {
    if ('plain' in piece) {
      for (const line of piece.plain) {
        const t = tidyLine(line);
        if (t) out.push(t);
      }
      out.push('');
      continue;
    }
    let tree: Node;
    try {
      tree = fromMarkdown(piece.markdown) as Node;
    } catch (error) {
      if (error instanceof RangeError) {
        throw new DocumentError('resource-limit', `${name ? `${name}: ` : ''}the Markdown is nested too deeply to parse (the parser ran out of stack)`);
      }
      throw error;
    }
    blockLines(tree, out);
    out.push('');
  }
  // At most one blank line in a row, none at the ends.
  return out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
    .concat('\n');
}
