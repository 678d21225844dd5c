import { describe, expect, it } from 'vitest';
import { findLetterhead } from '../src/repair/letterhead.js';

const kinds = (text: string) => findLetterhead(text).map((s) => [s.kind, s.text]);

describe('findLetterhead', () => {
  it('marks side-column lines: administration, address, postcode and city, switchboard, e-mail, web', () => {
    const text = [
      'Utbildningsförvaltningen',
      'Hantverkargatan 2F',
      'Box 22049',
      '104 22 Stockholm',
      'Växel 08-508 000 00',
      'utbildning@edu.stockholm.se',
      'www.stockholm.se/utbildning',
      'Förskolan deltar i årets kvalitetsutmärkelse.',
    ].join('\n');
    expect(kinds(text)).toEqual([
      ['administration', 'Utbildningsförvaltningen'],
      ['address', 'Hantverkargatan 2F'],
      ['address', 'Box 22049'],
      ['postcode', '104 22 Stockholm'],
      ['phone', 'Växel 08-508 000 00'],
      ['email', 'utbildning@edu.stockholm.se'],
      ['web', 'www.stockholm.se/utbildning'],
    ]);
  });

  it('finds a side column OCR merged into the start of body lines, and logo garbage', () => {
    const text = '127 87 Skärholmen verksamheten har en chef med budgetansvar\n©}#>"~ 14 enheten deltar\nskarholmen@stockholm.se medarbetare inklusive chef.';
    expect(kinds(text)).toEqual([
      ['postcode', '127 87 Skärholmen'],
      ['garbage', '©}#>"~ 14'],
      ['email', 'skarholmen@stockholm.se'],
    ]);
  });

  it('leaves body text alone: an address the text sends you to, a case officer’s phone, signatures', () => {
    const text = [
      'Protokollsutdrag skickas senast den 28 juni till:',
      'kvalitet@stockholm.se',
      'Anmälan görs till kvalitet@stockholm.se, Stadsledningskontoret, senast i maj.',
      'Handläggare',
      'Eva Holm',
      'Telefon: 08-508 11 222',
      'Stadsdelsförvaltningen Stadsdelsförvaltningen',
    ].join('\n');
    expect(kinds(text)).toEqual([]);
  });

  it('gives offsets into the text', () => {
    const text = 'Beslut\n  123 45 Farsta\n';
    const [span] = findLetterhead(text);
    expect(text.slice(span!.start, span!.end)).toBe('123 45 Farsta');
  });
});
