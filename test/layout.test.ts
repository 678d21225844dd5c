/**
 * The layout stage: the same blocks and sentences from any text form.
 */
import { describe, expect, it } from 'vitest';
import { layoutText, sentencesOf } from '../src/layout/blocks.js';

const texts = (t: string) => layoutText(t).blocks.filter((b) => b.kind !== 'header' && b.kind !== 'page-header').map((b) => [b.kind, b.text]);

describe('layout', () => {
  it('keeps a sentence whole when a plain line break cuts it before a lower-case word', () => {
    const t = 'Förslag till beslut\n\nNämnden godkänner att Förskolan Blåklockan och\nhemtjänsten Västra deltar i utmärkelsen.\n';
    expect(texts(t)).toContainEqual(['paragraph', 'Nämnden godkänner att Förskolan Blåklockan och hemtjänsten Västra deltar i utmärkelsen.']);
  });

  it('reads a Word export (a blank line after every line) as paragraphs, and joins hyphenation', () => {
    const lines = ['Bakgrund', 'Stadens kvalitetsutmärkelse ska stimulera verksamheterna att utveckla', 'kvaliteten och sprida goda exempel. Utmärkelsen delas ut i tävlings-', 'klasserna förskola och skola. Anmälan ska göras till stadsledningskontoret', 'senast den 18 februari.', 'Förvaltningens synpunkter', 'Tre enheter har anmält intresse.'];
    const t = lines.map((l) => `${l}  \n \n`).join('');
    const b = texts(t);
    expect(b[0]).toEqual(['heading', 'Bakgrund']);
    expect(b[1]![1]).toBe('Stadens kvalitetsutmärkelse ska stimulera verksamheterna att utveckla kvaliteten och sprida goda exempel. Utmärkelsen delas ut i tävlingsklasserna förskola och skola. Anmälan ska göras till stadsledningskontoret senast den 18 februari.');
    expect(b[2]).toEqual(['heading', 'Förvaltningens synpunkter']);
  });

  it('drops a page header in the middle of a paragraph, and the sentence reads whole', () => {
    const t = 'Sammanfattning\nProtokollsutdrag ska skickas senast den 26 februari. Tävlingsbidragen ska\n\nTjänsteutlåtande\nDnr 1.2-41/2016\nSida 2 (3)\n\nlämnas in senast den 1 april 2016.\n';
    const l = layoutText(t);
    expect(l.blocks.find((b) => b.kind === 'paragraph')!.text).toBe('Protokollsutdrag ska skickas senast den 26 februari. Tävlingsbidragen ska lämnas in senast den 1 april 2016.');
    expect(l.blocks.filter((b) => b.kind === 'page-header').map((b) => b.text)).toEqual(['Tjänsteutlåtande', 'Dnr 1.2-41/2016', 'Sida 2 (3)']);
    expect(l.notes.filter((n) => n.rule === 'page-header')).toHaveLength(3);
  });

  it('keeps a suspended compound and joins a hyphenation left inside a line', () => {
    const t = 'Förslag till beslut\n\nNämnden anmäler Vård- och omsorgsboendet Eken och Daglig verk- samhet Hökarängen.\n';
    expect(texts(t)[1]![1]).toBe('Nämnden anmäler Vård- och omsorgsboendet Eken och Daglig verksamhet Hökarängen.');
  });

  it('reads a two-column first page column by column', () => {
    const t = [
      '                               Tjänsteutlåtande',
      '                               Dnr 1.2-73/2021',
      '                               2021-01-19',
      'Spånga-Tensta                  Till',
      'stadsdelsförvaltning           Spånga-Tensta stadsdelsnämnd',
      'Handläggare                    2021-02-11',
      'Julia Berg                     Anmälan till Kvalitetsutmärkelsen 2021',
      'Telefon: 08-508 03 317         Förslag till beslut',
      '',
      'Stadsdelsnämnden beslutar att anmäla fyra enheter till Kvalitetsutmärkelsen 2021.',
    ].join('\n');
    const header = layoutText(t).blocks.find((b) => b.kind === 'header')!;
    expect(header.text.split('\n')).toEqual(['Spånga-Tensta', 'stadsdelsförvaltning', 'Handläggare', 'Julia Berg', 'Telefon: 08-508 03 317', 'Tjänsteutlåtande', 'Dnr 1.2-73/2021', '2021-01-19', 'Till', 'Spånga-Tensta stadsdelsnämnd', '2021-02-11']);
  });

  it('reads a text table by its columns, a wrapped cell continuing its column', () => {
    const t = [
      'Förvaltningen anmäler följande enheter:',
      '',
      'Enhet                        Avdelning                       Klass',
      'Förskolan Äpplet             avdelningen för förskola        Förskola',
      'Gruppbostaden Ek             avdelningen för socialtjänst    Socialtjänst',
      '                             och stöd',
      '',
    ].join('\n');
    const table = layoutText(t).blocks.find((b) => b.kind === 'table')!;
    expect(table.rows).toEqual([
      ['Enhet', 'Avdelning', 'Klass'],
      ['Förskolan Äpplet', 'avdelningen för förskola', 'Förskola'],
      ['Gruppbostaden Ek', 'avdelningen för socialtjänst och stöd', 'Socialtjänst'],
    ]);
    expect(sentencesOf(table)).toHaveLength(3);
  });

  it('makes list items of bullets and numbers, continuation lines joined', () => {
    const t = 'Följande enheter föreslås delta:\n\n1. Förskolan Blåklockan, avdelningen för förskola – tävlingsklass\n   förskola\n2. Hemtjänsten Årsta – tävlingsklass äldreomsorg\n';
    expect(texts(t).filter(([k]) => k === 'item').map(([, x]) => x)).toEqual(['Förskolan Blåklockan, avdelningen för förskola – tävlingsklass förskola', 'Hemtjänsten Årsta – tävlingsklass äldreomsorg']);
  });

  it('splits sentences, not abbreviations or numbered Dnr', () => {
    const [b] = layoutText('Förslag till beslut\n\nEnheten arbetar bl.a. med uppföljning. Dnr 1.2.3-45/2017 gäller. Nästa mening.').blocks.filter((x) => x.kind === 'paragraph');
    expect(sentencesOf(b!).map((s) => s.text)).toEqual(['Enheten arbetar bl.a. med uppföljning.', 'Dnr 1.2.3-45/2017 gäller.', 'Nästa mening.']);
  });
});
