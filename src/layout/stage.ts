/**
 * The layout stage: the repaired pages (letterhead blanked) rebuilt into blocks and sentences, so
 * that extraction reads running text whatever the archive did to the lines. Records what it
 * dropped or rejoined as `layout` messages.
 */
import { addMessage, type DocumentFile } from '../document-file.js';
import { docText } from '../extract/doc-text.js';
import { layoutText } from './blocks.js';

export function layoutDocument(file: DocumentFile): DocumentFile {
  const { text } = docText(file);
  const layout = layoutText(text);
  file.layout = { ...layout, text };
  for (const n of layout.notes) addMessage(file, { stage: 'layout', rule: n.rule, severity: 'info', reason: n.reason });
  const counts = new Map<string, number>();
  for (const b of layout.blocks) counts.set(b.kind, (counts.get(b.kind) ?? 0) + 1);
  addMessage(file, { stage: 'layout', rule: 'blocks', severity: 'info', reason: `blocks: ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}` });
  return file;
}
