import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { markdownToText } from '../src/ingest/markdown.js';
import { words } from './helpers.js';

describe('markdownToText', () => {
  it('drops heading marks, emphasis and link targets but keeps every word', () => {
    const md = '## Ärendet\n\nSkicka till [kvalitet@stockholm.se](mailto:kvalitet@stockholm.se) på *webben* [start.stockholm](http://start.stockholm).\n';
    const text = markdownToText(md);
    expect(text).toBe('Ärendet\n\nSkicka till kvalitet@stockholm.se på webben start.stockholm.\n');
    expect(text).not.toContain('mailto:');
    expect(text).not.toContain('http://');
  });

  it('keeps list items as "- " lines without blank lines between them', () => {
    const text = markdownToText('Följande enheter:\n\n- Enheten för vuxna (sociala avdelningen)\n- Utvecklingsenheten\n\nSlut.\n');
    expect(text).toBe('Följande enheter:\n\n- Enheten för vuxna (sociala avdelningen)\n- Utvecklingsenheten\n\nSlut.\n');
  });

  it('keeps two table-like cells glued by bold markers apart', () => {
    expect(markdownToText('Telefon: 08-508 12 480**Till**  \nSödermalms stadsdelsnämnd\n')).toBe('Telefon: 08-508 12 480 Till\nSödermalms stadsdelsnämnd\n');
  });

  it('loses no word of the Markdown seed except link targets', () => {
    const md = readFileSync(new URL('../corpus/004_6306731b55b2ba86.txt', import.meta.url), 'utf8');
    const text = markdownToText(md);
    const withoutTargets = md.replace(/\]\([^)]*\)/g, ']');
    expect(words(text)).toEqual(words(withoutTargets));
  });
});
