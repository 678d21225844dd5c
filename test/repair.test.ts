import { describe, expect, it } from 'vitest';
import { loadRepairModels } from '../src/repair/models.js';
import { Lexicon } from '../src/repair/lexicon.js';
import { ROLE } from '../src/repair/hunspell.js';
import { applyEdits, TextRepairer } from '../src/repair/repair-text.js';
import { editCost, foldedVariants, loadConfusionModel } from '../src/repair/confusion.js';
import { normalizeDocument } from '../src/repair/normalize.js';
import type { DocumentFile } from '../src/document-file.js';

const models = loadRepairModels();
const repairer = new TextRepairer(models);
const fix = (text: string, damaged = true) => applyEdits(text, repairer.repair(text, damaged));
const rulesOf = (text: string, damaged = true) => repairer.repair(text, damaged).map((e) => [e.actual, e.replacement, e.rule]);

describe('lexicon', () => {
  it('knows inflected forms and analyses compounds it does not list', () => {
    const { lexicon } = models;
    for (const w of ['förvaltningarnas', 'nämnderna', 'godkände', 'utbildningsförvaltningens', 'hemtjänstgruppen', 'äldreboendets', 'förskoleavdelningen']) {
      expect(lexicon.isWord(w), w).toBe(true);
    }
    expect(lexicon.compound('hemtjänstgruppen')).toEqual(['hemtjänst', 'gruppen']);
    for (const w of ['forvaltningarnas', 'godkande', 'xqzvbrt', 'hemtjanstgruppen']) expect(lexicon.isWord(w), w).toBe(false);
  });

  it('finds words and compounds by their folded spelling', () => {
    expect(models.lexicon.formsByFold('for').sort()).toEqual(['for', 'för']);
    expect(models.lexicon.compoundsByFold('hemtjanstgruppen')).toContain('hemtjänstgruppen');
  });

  it('looks words up in its sorted table: first and last lines, keys that begin others, forms by fold; the same after a round trip', () => {
    const roles = new Map<string, number>([
      ['a', ROLE.word], ['ab', ROLE.word], ['abc', ROLE.word | ROLE.begin], ['abd', ROLE.begin], ['for', ROLE.word], ['för', ROLE.word], ['ö', ROLE.word], ['öra', ROLE.word],
    ]);
    const built = Lexicon.fromRoles(roles);
    for (const lexicon of [built, Lexicon.deserialize(built.serialize())]) {
      expect(lexicon.size).toBe(roles.size);
      for (const w of ['a', 'ab', 'abc', 'for', 'för', 'ö', 'öra']) expect(lexicon.hasForm(w), w).toBe(true);
      for (const w of ['abd', 'aa', 'abcd', 'b', 'fo', 'föra', 'öb', 'z']) expect(lexicon.hasForm(w), w).toBe(false);
      expect(lexicon.formsByFold('for').sort()).toEqual(['for', 'för']);
      expect(lexicon.formsByFold('o')).toEqual(['ö']);
      expect(lexicon.formsByFold('ora')).toEqual(['öra']);
      expect(lexicon.formsByFold('ab')).toEqual(['ab']);
      expect(lexicon.formsByFold('zz')).toEqual([]);
    }
    expect(Lexicon.deserialize(built.serialize()).serialize()).toBe(built.serialize());
  });

  it('knows Stockholm places and Swedish names from the gazetteer', () => {
    for (const w of ['Hägersten', 'Skärholmen', 'Vällingby', 'Sjöberg', 'Åsa', 'Jönsson']) expect(models.lexicon.isWord(w), w).toBe(true);
  });
});

describe('confusion model', () => {
  const model = loadConfusionModel();
  it('makes OCR damage cheap and other edits dear', () => {
    expect(editCost('godkénde', 'godkände', model)).toBeLessThan(1);
    expect(editCost('forskolan', 'förskolan', model)).toBe(1);
    expect(editCost('l1dra', 'lära', model)).toBeLessThan(2);
    expect(editCost('hund', 'hand', model)).toBeGreaterThan(3);
  });

  it('generates the folded spellings a damaged token may stand for', () => {
    const v = foldedVariants('bedémning', model);
    expect(v.get('bedomning')).toBe(1);
    expect(foldedVariants('skdrholmen', model).get('skarholmen')).toBe(1);
  });
});

describe('word repair in damaged text', () => {
  it('restores å/ä/ö read as é, d, i or a', () => {
    expect(fix('Utbildningsnémnden godkdnde att skolan i Skdrholmen fir delta.')).toBe('Utbildningsnämnden godkände att skolan i Skärholmen får delta.');
  });

  it('restores stripped diacritics, names and places included', () => {
    expect(fix('Forvaltningen foreslar att namnden beslutar om arets budget for Hagersten. Kontaktperson ar Asa Sjoberg.')).toBe(
      'Förvaltningen föreslår att nämnden beslutar om årets budget för Hägersten. Kontaktperson är Åsa Sjöberg.',
    );
  });

  it('reads a lone 1 between words as i, but keeps numbers', () => {
    expect(fix('Eleverna 1 skolan deltar 1 arbetet.')).toBe('Eleverna i skolan deltar i arbetet.');
    expect(fix('Se punkt 1 och 2 i bilaga 1.')).toBe('Se punkt 1 och 2 i bilaga 1.');
  });

  it('chooses between valid words by context', () => {
    expect(rulesOf('Det ar viktigt att alla far delta.')).toEqual([
      ['ar', 'är', 'context'],
      ['far', 'får', 'context'],
    ]);
  });

  it('repairs rn read as m and the reverse', () => {
    expect(fix('Nämnden har fatt ett förslag om fomiga rutiner.')).toContain('förslag');
    expect(fix('Förvaltningen ska rnedverka i arbetet.')).toBe('Förvaltningen ska medverka i arbetet.');
  });
});

describe('what is not damage', () => {
  it('keeps list numbers: "1." and a 1 that starts a line', () => {
    expect(fix('Förslag till beslut\n1. Nämnden godkänner rapporten.\n1 Bilagan läggs till handlingarna.')).toBe(
      'Förslag till beslut\n1. Nämnden godkänner rapporten.\n1 Bilagan läggs till handlingarna.',
    );
  });

  it('repairs a capitalized unknown word letter for letter, but does not add or drop letters in a name', () => {
    expect(fix('Ansvarig ar Kerstin Sjoberg. Tjanstemannen ar Arvid Lindqvist.')).toBe('Ansvarig är Kerstin Sjöberg. Tjänstemannen är Arvid Lindqvist.');
    expect(fix('Undertecknat av Gillis Petterson och Bo Strom.')).toBe('Undertecknat av Gillis Petterson och Bo Ström.');
  });

  it('restores a long compound that ends in the stripped twin of a common word', () => {
    expect(fix('Forvaltningen och stadsdelsdirektoren foreslar att arendet bordlaggs.')).toBe(
      'Förvaltningen och stadsdelsdirektören föreslår att ärendet bordläggs.',
    );
  });

  it('does not trade a listed word for a compound that only looks like one', () => {
    expect(fix('Forvaltningen har resurser for arbetet.')).toBe('Förvaltningen har resurser för arbetet.');
  });
});

describe('protection', () => {
  it('never changes e-mail addresses, URLs, registry numbers, dates, phone numbers or abbreviations', () => {
    const text = 'Skicka till utbildning.forvaltningen@stockholm.se eller se https://start.stockholm/forskola, Dnr UBN 2019/1234, den 2019-05-17, tel 08-508 33 000, enligt LSS och SFB.';
    expect(fix(text)).toBe(text);
  });

  it('leaves names it cannot confirm alone', () => {
    expect(fix('Handläggare är Kjellberg Ostrowski och Mirela Dzanic.', true)).toBe('Handläggare är Kjellberg Ostrowski och Mirela Dzanic.');
  });
});

describe('clean text is not harmed', () => {
  it('changes no valid word in clean text, even where a twin is more common', () => {
    const text = 'Han for till Farsta. Hon bar en väska. Man kan se mer av staden.';
    expect(fix(text, false)).toBe(text);
  });

  it('judges a document clean or damaged by the share of damaged words', () => {
    expect(repairer.damageEstimate(['Nämnden godkänner förvaltningens förslag till beslut om årets budget.']).rate).toBe(0);
    expect(repairer.damageEstimate(['Namnden godkanner forvaltningens forslag till beslut om arets budget.']).rate).toBeGreaterThan(0.3);
  });
});

describe('a short clean text with foreign or technical words', () => {
  // One unknown word in twenty is 5 %, above the damage rate; one word is no evidence of damage.
  const text = 'Bilden finns i img-mappen och som svg. Se link nedan. Filen heter README.md och är skriven i md format. Kontakta oss via länken.';
  const doc = (): DocumentFile => ({
    path: '/t.txt', name: 't.txt', size: 1, mtimeMs: 0, sha256: 'b'.repeat(64), format: 'txt', mediaType: 'text/plain',
    pages: [{ number: 1, text, source: 'text', confidence: null }], messages: [],
  });

  it('is not judged damaged on a single repairable word', () => {
    const estimate = repairer.damageEstimate([text]);
    expect(estimate.rate).toBeGreaterThan(0.02);
    expect(estimate.repairable).toBeLessThan(3);
    expect(estimate.damaged).toBe(false);
  });

  it('comes out of normalize unchanged: img, svg, link and md stay', () => {
    const d = normalizeDocument(doc(), models);
    expect(d.pages[0]!.repaired).toBe(text);
    expect(d.messages.find((m) => m.rule === 'damage-estimate')!.reason).toMatch(/clean text/);
  });

  it('a damaged text of the same length still is', () => {
    expect(repairer.damageEstimate(['Namnden godkanner att forvaltningen later tva enheter delta i arets kvalitetsutmarkelse.']).damaged).toBe(true);
  });
});

describe('hyphenation', () => {
  it('joins a word broken over a line when the joined form is a word', () => {
    expect(fix('Ärendet har beretts av utbildnings-\nförvaltningen i samråd med för-\nskolorna.', false)).toBe(
      'Ärendet har beretts av utbildningsförvaltningen\ni samråd med förskolorna.',
    );
  });

  it('keeps real hyphens: abbreviations, "nämnd- eller", dates', () => {
    expect(fix('Detta gäller SFI-\nundervisningen och nämnd- eller styrelsemöten den 2019-06-\n14.', false)).toBe(
      'Detta gäller SFI-undervisningen\noch nämnd- eller styrelsemöten den 2019-06-\n14.',
    );
  });
});

describe('normalizeDocument', () => {
  it('records every change as a message with rule, original, replacement, page and offsets', () => {
    const text = 'Socialnamnden godkanner att hemtjansten i Hogdalen deltar 1 arbetet.';
    const doc: DocumentFile = {
      path: '/x.txt', name: 'x.txt', size: 1, mtimeMs: 0, sha256: 'a'.repeat(64), format: 'txt', mediaType: 'text/plain',
      pages: [{ number: 1, text, source: 'text', confidence: null }], messages: [],
    };
    normalizeDocument(doc, models);
    expect(doc.pages[0]!.repaired).toBe('Socialnämnden godkänner att hemtjänsten i Högdalen deltar i arbetet.');
    const changes = doc.messages.filter((m) => m.expected);
    expect(changes.map((m) => [m.rule, m.actual, m.expected![0]])).toEqual([
      ['diacritic', 'Socialnamnden', 'Socialnämnden'],
      ['diacritic', 'godkanner', 'godkänner'],
      ['diacritic', 'hemtjansten', 'hemtjänsten'],
      ['diacritic', 'Hogdalen', 'Högdalen'],
      ['digit-as-letter', '1', 'i'],
    ]);
    for (const m of changes) expect(text.slice(m.start, m.end)).toBe(m.actual);
    expect(doc.messages[0]).toMatchObject({ rule: 'damage-estimate' });
  });
});
