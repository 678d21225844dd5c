/**
 * Markdown conversions of reports: keep the words, drop the markup and link targets.
 * Parsed with mdast-util-from-markdown (unified), then each block's text is written on its own
 * line(s), list items with a "- " bullet so list structure survives for extraction.
 */
import { fromMarkdown } from 'mdast-util-from-markdown';

type Node = { type: string; value?: string; alt?: string | null; children?: Node[] };

const BLOCKS = new Set(['paragraph', 'heading', 'listItem', 'blockquote', 'list', 'root', 'table', 'tableRow', 'tableCell']);

function inlineText(node: Node): string {
  switch (node.type) {
    case 'text':
    case 'inlineCode':
      return node.value ?? '';
    case 'break':
      return '\n';
    case 'image':
      return node.alt ?? '';
    case 'html':
      return (node.value ?? '').replace(/<[^>]*>/g, '');
    default: {
      const parts = (node.children ?? []).map(inlineText);
      // Conversions glue table cells into one line with bold markers in between
      // ("Telefon: 08-508 12 480**Till**"): keep the two cells apart.
      if ((node.type === 'strong' || node.type === 'emphasis') && parts.length) {
        return ` ${parts.join('')} `;
      }
      return parts.join('');
    }
  }
}

function tidyLine(line: string): string {
  return line.replace(/[ \t]{2,}/g, ' ').trim();
}

function blockLines(node: Node, out: string[]): void {
  if (node.type === 'code') {
    out.push(...(node.value ?? '').split('\n'));
    out.push('');
    return;
  }
  if (node.type === 'thematicBreak') return;
  if (node.type === 'listItem') {
    let first = true;
    for (const child of node.children ?? []) {
      const start = out.length;
      blockLines(child, out);
      if (first && out.length > start) out[start] = `- ${out[start]}`;
      first = false;
    }
    // Items of a list follow each other without blank lines.
    while (out.length && out[out.length - 1] === '') out.pop();
    return;
  }
  if (node.type === 'list') {
    for (const child of node.children ?? []) blockLines(child, out);
    out.push('');
    return;
  }
  if (node.type === 'tableRow') {
    out.push((node.children ?? []).map((c) => tidyLine(inlineText(c))).filter(Boolean).join('  '));
    return;
  }
  if (BLOCKS.has(node.type) && node.type !== 'paragraph' && node.type !== 'heading') {
    for (const child of node.children ?? []) blockLines(child, out);
    if (node.type === 'table' || node.type === 'blockquote') out.push('');
    return;
  }
  const text = inlineText(node);
  for (const line of text.split('\n')) {
    const t = tidyLine(line);
    if (t) out.push(t);
  }
  if (node.type === 'paragraph' || node.type === 'heading') out.push('');
}

/** Plain text of a Markdown document: one line per source line of text, blank line between blocks. */
export function markdownToText(markdown: string): string {
  const tree = fromMarkdown(markdown) as Node;
  const out: string[] = [];
  blockLines(tree, out);
  // At most one blank line in a row, none at the ends.
  return out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
    .concat('\n');
}
