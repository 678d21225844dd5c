import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DocumentFile } from '../src/document-file.js';
import { decodeWindows1252 } from '../src/ingest/decode-text.js';
import { repairEncoding } from '../src/repair/encoding.js';
import { loadRepairModels } from '../src/repair/models.js';
import { normalizeDocument } from '../src/repair/normalize.js';

const models = loadRepairModels();

function normalize(...pages: string[]): DocumentFile {
  return normalizeDocument(
    {
      path: '/x/doc.txt', name: 'doc.txt', size: 0, mtimeMs: 0, sha256: '', format: 'txt', mediaType: 'text/plain', messages: [],
      pages: pages.map((text, i) => ({ number: i + 1, text, source: 'text', confidence: null })),
    },
    models,
  );
}
const repaired = (file: DocumentFile) => file.pages.map((p) => p.repaired).join('\f');
const encodingMessages = (file: DocumentFile) => file.messages.filter((m) => m.rule === 'encoding');

/** UTF-8 bytes read as Windows-1252 (as a Windows program or a careless export does). */
const asCp1252 = (t: string) => decodeWindows1252(Buffer.from(t, 'utf8'));
const asLatin1 = (t: string) => Buffer.from(t, 'utf8').toString('latin1');
const SEVEN: Record<string, string> = { å: '}', ä: '{', ö: '|', Å: ']', Ä: '[', Ö: '\\' };
const asSevenBit = (t: string) => t.replace(/[åäöÅÄÖ]/g, (c) => SEVEN[c]!);

const CLEAN = [
  'Förvaltningens förslag till beslut',
  'Socialnämnden godkänner att Stödboendet Lönnen och Åsa Öberg på Ängby äldreboende deltar i',
  'Stockholms stads kvalitetsutmärkelse år 2024. Ärendet har beretts inom avdelningen för',
  'äldreomsorg. ÖVERSIKT: Östermalms stadsdelsförvaltning, Årsta och Älvsjö.',
].join('\n');

describe('encoding damage is detected from the whole text and reversed before word repair', () => {
  it('UTF-8 read as Windows-1252: fÃ¶rslag, SocialnÃ¤mnden, Ã… (and no letters inserted)', () => {
    const damaged = asCp1252(CLEAN);
    expect(damaged).toContain('fÃ¶rslag');
    expect(damaged).toContain('Ã…rsta');
    const file = normalize(damaged);
    expect(repaired(file)).toBe(CLEAN);
    const [message, ...more] = encodingMessages(file);
    expect(more).toEqual([]);
    expect(message).toMatchObject({ stage: 'normalize', rule: 'encoding' });
    expect(message!.reason).toMatch(/UTF-8 read as Windows-1252: \d+ sequences decoded/);
    // No word-level repair was needed once the encoding was reversed.
    expect(file.messages.filter((m) => m.expected)).toEqual([]);
  });

  it('UTF-8 read as Windows-1252 twice', () => {
    const damaged = asCp1252(asCp1252(CLEAN));
    expect(damaged).toContain('fÃƒÂ¶rslag');
    const file = normalize(damaged);
    expect(repaired(file)).toBe(CLEAN);
    expect(encodingMessages(file)[0]!.reason).toMatch(/Windows-1252 twice/);
  });

  it('UTF-8 read as Latin-1 (Å Ä Ö become Ã and a C1 control)', () => {
    const damaged = asLatin1(CLEAN);
    expect(damaged).toContain('Ã\u0085rsta');
    const file = normalize(damaged);
    expect(repaired(file)).toBe(CLEAN);
    expect(encodingMessages(file)[0]!.reason).toMatch(/Latin-1/);
  });

  it('handles the bytes Windows-1252 leaves undefined (0x81 0x8D 0x8F 0x90 0x9D) as ftfy does', () => {
    // Í is C3 8D in UTF-8: read as Windows-1252, 0x8D stays a C1 control.
    const clean = 'Handläggare Íris Sjöberg föreslår att förvaltningen deltar.';
    const damaged = asCp1252(clean);
    expect(damaged).toContain('Ã\u008dris');
    expect(repaired(normalize(damaged))).toBe(clean);
  });

  it('text whose pages were decoded differently: only the mojibake changes', () => {
    const clean = 'Östermalms stadsdelsförvaltning – 2024\nSocialnämnden föreslår: ”delta”.';
    const mixed = `Östermalms stadsdelsförvaltning – 2024\n${asCp1252('Socialnämnden föreslår: ”delta”.')}`;
    expect(repaired(normalize(mixed))).toBe(clean);
  });

  it('7-bit Swedish (ISO 646-SE): } { | ] [ \\ are å ä ö Å Ä Ö', () => {
    const damaged = asSevenBit(CLEAN);
    expect(damaged).toContain('f|rslag');
    expect(damaged).toContain('\\VERSIKT');
    const file = normalize(damaged);
    expect(repaired(file)).toBe(CLEAN);
    expect(encodingMessages(file)[0]!.reason).toMatch(/7-bit Swedish/);
  });

  it('7-bit Swedish with an e-mail address and a pipe table: those stay', () => {
    const damaged = 'Anm{lan skickas till kvalitet@stockholm.se senast den 30 juni.\n|Indikator|Utfall|\n| Andel n|jda | 88 % |\nS{rskilda sk{l f|r f|rvaltningen p} \\stermalm.';
    const out = repaired(normalize(damaged));
    expect(out).toBe('Anmälan skickas till kvalitet@stockholm.se senast den 30 juni.\n|Indikator|Utfall|\n| Andel nöjda | 88 % |\nSärskilda skäl för förvaltningen på Östermalm.');
  });

  it('U+FFFD from a lossy decode, no-break spaces and soft hyphens', () => {
    const clean = 'Förvaltningen föreslår att Socialnämnden godkänner anmälan till kvalitetsutmärkelsen 2024.\nÄrendet har beretts av äldreomsorgen.';
    const damaged = new TextDecoder('utf-8')
      .decode(Buffer.from(clean, 'latin1'))
      .replace('anm\uFFFDlan till', 'anm\uFFFDlan\u00a0till')
      .replace(/kvalitetsutm/, 'kvalitets\u00adutm');
    expect(damaged).toContain('F\uFFFDrvaltningen');
    const file = normalize(damaged);
    expect(repaired(file)).toBe(clean);
    expect(encodingMessages(file)[0]!.reason).toMatch(/no-break space.*soft hyphen.*U\+FFFD/s);
  });

  it('a soft hyphen where the line broke becomes a hyphen, so the word is joined', () => {
    const file = normalize('Förvaltningen föreslår att nämnden godkänner kvalitets\u00ad\nutmärkelsen 2024.');
    expect(repaired(file)).toBe('Förvaltningen föreslår att nämnden godkänner kvalitetsutmärkelsen\n2024.');
  });

  it('word-repair messages keep offsets into the text as read', () => {
    const text = asCp1252('Förvaltningens förslag: Socialnämnden godkanner att Lönnen deltar.');
    const file = normalize(text);
    expect(repaired(file)).toBe('Förvaltningens förslag: Socialnämnden godkänner att Lönnen deltar.');
    const edit = file.messages.find((m) => m.expected?.[0] === 'godkänner')!;
    expect(text.slice(edit.start, edit.end)).toBe('godkanner');
    expect(edit.actual).toBe('godkanner');
  });
});

describe('what is not encoding damage is never touched', () => {
  const untouched = (text: string) => {
    const r = repairEncoding([text], models);
    expect(r.findings).toEqual([]);
    expect(r.texts[0]).toBe(text);
    expect(encodingMessages(normalize(text))).toEqual([]);
  };

  it('a Markdown table with pipes', () => {
    untouched('| Indikator | Utfall 2017 | Mål 2019 |\n|---|---|---|\n| Andel nöjda brukare i hemtjänsten | 88 % | 90 % |\n|Andel|82 %|100 %|');
  });

  it('a JSON-ish brace, code and brackets', () => {
    untouched('Exporten: {"namn": "Södermalm", "år": 2017, "enheter": [1, 2]}\nif (x) { y = a[i] | b; } else {z}\nSe bilaga [1] och [sic].');
  });

  it('an e-mail address and a URL', () => {
    untouched('Anmälan till kvalitetsutmarkelsen@stockholm.se eller https://start.stockholm/a|b?x={y}.');
  });

  it('clean Swedish, capitals next to signs (PÅ”, Å–, Ä…), and the seeds and devset texts', () => {
    untouched(CLEAN);
    untouched('Rubriken ”LÄRANDE PÅ”– en text om ÅÄÖ… och Ö° med § 4.');
    const corpus = resolve(__dirname, '../corpus');
    const texts = readdirSync(corpus).filter((f) => /^\d.*\.txt$/.test(f)).map((f) => readFileSync(join(corpus, f), 'utf8'));
    const devset = [resolve(__dirname, 'devset/texts'), '/work/shared/devset/texts'].find((d) => existsSync(d));
    if (devset) texts.push(...readdirSync(devset).map((f) => readFileSync(join(devset, f), 'utf8')));
    expect(texts.length).toBeGreaterThanOrEqual(5 + 24);
    for (const t of texts) {
      const r = repairEncoding([t], models);
      expect(r.findings).toEqual([]);
      expect(r.texts[0] === t).toBe(true);
    }
  });

  it('an Å before a no-break space is not mojibake for Š', () => {
    const file = normalize('DET GÄLLER PÅ\u00a0STADENS VÄGNAR OCH FÖR NÄMNDEN.');
    expect(repaired(file)).toBe('DET GÄLLER PÅ STADENS VÄGNAR OCH FÖR NÄMNDEN.');
    expect(encodingMessages(file)[0]!.reason).toMatch(/^[^Š]*no-break space[^Š]*$/);
  });
});
