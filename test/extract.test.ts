import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ingest } from '../src/pipeline.js';
import { openDatabase } from '../src/store/database.js';
import { exportRecords } from '../src/store/read.js';
import { compareRecords } from '../src/extract/compare.js';
import { classifyDates, findDates } from '../src/extract/dates.js';
import { canonicalUnitName, findUnits } from '../src/extract/units.js';
import { classesNamed } from '../src/extract/classes.js';
import { boardFor, administrationFor } from '../src/extract/organisation.js';
import { findSignatories } from '../src/extract/signatures.js';
import { findDiarienummer } from '../src/extract/header.js';
import { layoutText } from '../src/layout/blocks.js';
import { DocumentRecordSchema, type DocumentRecord } from '../schemas/record.js';
import { exportJsonSchema, SCHEMA_FILE } from '../scripts/make-schema.js';
import { expectedIn } from '../scripts/bench-extract.js';
import { tempDir } from './helpers.js';

const ROOT = resolve(__dirname, '..');
let seeds: DocumentRecord[];
let seedsWithEvidence: DocumentRecord[];
let variants: DocumentRecord[];

beforeAll(async () => {
  const dir = tempDir();
  await ingest([join(ROOT, 'corpus')], { db: join(dir, 'seeds.sqlite') });
  await ingest([join(ROOT, 'test/variants')], { db: join(dir, 'variants.sqlite') });
  const s = openDatabase(join(dir, 'seeds.sqlite'), { readonly: true });
  seeds = exportRecords(s);
  seedsWithEvidence = exportRecords(s, { withEvidence: true });
  s.close();
  const v = openDatabase(join(dir, 'variants.sqlite'), { readonly: true });
  variants = exportRecords(v);
  v.close();
});

describe('the exported records', () => {
  it('equal the gold records of all five seeds (F1 = 1.0)', () => {
    const c = compareRecords(seeds as never, expectedIn(join(ROOT, 'test/gold')));
    expect(c.misses).toEqual(Object.fromEntries(Object.keys(c.misses).map((k) => [k, []])));
    expect(c.f1).toBe(1);
  });

  it('reach F1 ≥ 0.95 on the variant documents (other boards, layouts, damage)', () => {
    const c = compareRecords(variants as never, expectedIn(join(ROOT, 'test/variants')));
    expect(c.f1).toBeGreaterThanOrEqual(0.95);
  });

  it('validate against the zod schema and the generated JSON Schema, which is up to date', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(exportJsonSchema());
    const validate = new Ajv2020({ strict: false }).compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')));
    for (const records of [seeds, seedsWithEvidence, variants]) {
      expect(validate(records), JSON.stringify(validate.errors)).toBe(true);
      for (const r of records) DocumentRecordSchema.parse(r);
    }
    expect(validate([{ source: { file: 'x' } }])).toBe(false);
  });

  it('carry evidence for every value: page, offsets into the repaired page, snippet, rule', () => {
    const r = seedsWithEvidence.find((x) => x.source.file.startsWith('004'))!;
    expect(Object.keys(r.evidence!)).toEqual(expect.arrayContaining(['board', 'meeting_date', 'case_officer', 'units[0]', 'units[3]', 'dates[0]']));
    const meeting = Object.values(r.evidence!).find((e) => e.rule === 'date-under-addressee')!;
    expect(meeting).toMatchObject({ page: 1, snippet: expect.stringContaining('23 maj 2024') });
    for (const e of Object.values(r.evidence!)) expect(e.confidence).toBeGreaterThan(0);
    expect(r.evidence!['units[2]']!.snippet).toContain('Relationsvårdscentrum Innerstaden');
    const scan = seedsWithEvidence.find((x) => x.source.file.startsWith('003'))!;
    expect(scan.evidence!['units[0]']!.snippet).toContain('LSS-hälsan');
  });
});

describe('units', () => {
  const units = (text: string) => findUnits(layoutText(text).blocks, { administration: 'Socialförvaltningen', board: null }).map((f) => f.unit);

  it('reads a proposal list, cutting at commas and "och" only before a new name', () => {
    expect(units('Nämnden godkänner att Mottagningsenheten för unga, boendet Solbacken och Stöd för barn och unga i familjer deltar i kvalitetsutmärkelsen.').map((u) => u.name)).toEqual([
      'Mottagningsenheten för unga',
      'Boendet Solbacken',
      'Stöd för barn och unga i familjer',
    ]);
  });

  it('takes a company as the provider of the unit it runs, not as a unit', () => {
    const u = units('Förvaltningen anmäler också de enskilt drivna verksamheterna Omsorgshuset i Norden AB, som deltar med Gruppbostaden Ängen samt Korttidshemmet Lyan.');
    expect(u).toEqual([
      { name: 'Gruppbostaden Ängen', department: null, operator: 'private', provider: 'Omsorgshuset i Norden AB', class: null },
      { name: 'Korttidshemmet Lyan', department: null, operator: 'private', provider: null, class: null },
    ]);
  });

  it('leaves out units that withdraw and generic phrases', () => {
    const u = units('Nämnden godkänner att Fältgruppen och Familjeteamet deltar i kvalitetsutmärkelsen. Familjeteamet har senare meddelat att de drar tillbaka sitt deltagande. Förvaltningen föreslår att nämnden godkänner att de enheter som anmält intresse deltar i utmärkelsen.');
    expect(u.map((x) => x.name)).toEqual(['Fältgruppen']);
  });

  it('gives each unit its department and class from the sentences about it', () => {
    const u = units('Nämnden godkänner att Fältgruppen och Familjeteamet deltar i kvalitetsutmärkelsen. Fältgruppen tillhör organisatoriskt avdelningen för barn och unga och Familjeteamet ligger under avdelningen för vuxna. Fältgruppen deltar i klassen socialtjänst och Familjeteamet i klassen andra verksamheter.');
    expect(u).toEqual([
      { name: 'Fältgruppen', department: 'avdelningen för barn och unga', operator: 'municipal', provider: null, class: 'socialtjanst_funktionsnedsattning' },
      { name: 'Familjeteamet', department: 'avdelningen för vuxna', operator: 'municipal', provider: null, class: 'andra_verksamheter' },
    ]);
  });

  it('reads "i egen regi" as municipal and "drivs av … AB" as private with its provider', () => {
    const u = units('Nämnden godkänner att Dagverksamheten Eken och Boendet Lärkan deltar i kvalitetsutmärkelsen. Dagverksamheten Eken drivs i egen regi. Boendet Lärkan drivs av Omsorgsbolaget Norr AB.');
    expect(u.map((x) => [x.name, x.operator, x.provider])).toEqual([
      ['Dagverksamheten Eken', 'municipal', null],
      ['Boendet Lärkan', 'private', 'Omsorgsbolaget Norr AB'],
    ]);
  });

  it('canonicalizes names', () => {
    expect(canonicalUnitName('stödboendet Lönnen')).toBe('Stödboendet Lönnen');
    expect(canonicalUnitName('Relationsvårdscentrum Innerstaden -RVCi')).toBe('Relationsvårdscentrum Innerstaden (RVCi)');
  });
});

describe('dates', () => {
  it('reads Swedish forms, supplies the year, and joins an ISO date broken over a line', () => {
    expect(findDates('Den 3 december 2015, senast den 1 april och 2015-06-\n12.', 2015).map((d) => d.iso)).toEqual(['2015-12-03', '2015-04-01', '2015-06-12']);
    expect(findDates('den 31 juni 2015', 2015)).toEqual([]);
  });

  it('keeps a cue after a date to the date\'s own clause', () => {
    const text = 'Bidraget ska vara inlämnat senast den 4 maj 2015 och protokollet ska skickas senast den 30 juni 2015.';
    expect(classifyDates(text, findDates(text, 2015)).map((d) => [d.kind, d.iso])).toEqual([
      ['submission_deadline', '2015-05-04'],
      ['minutes_deadline', '2015-06-30'],
    ]);
  });

  it('names each event from the words nearest it in its clause', () => {
    const text = 'Priset delas ut den 1 december 2015. Enheterna ska senast den 2 mars ha anmält deltagande och senast den 3 maj ha lämnat in tävlingsbidraget. Protokollet ska vara stadsledningskontoret tillhanda senast den 30 juni. Ärendet har behandlats i pensionärsrådet 2015-05-20 och i funktionshinderrådet 2015-05-21.';
    expect(classifyDates(text, findDates(text, 2015)).map((d) => [d.kind, d.iso])).toEqual([
      ['award', '2015-12-01'],
      ['registration_deadline', '2015-03-02'],
      ['submission_deadline', '2015-05-03'],
      ['minutes_deadline', '2015-06-30'],
      ['pensioners_council', '2015-05-20'],
      ['disability_council', '2015-05-21'],
    ]);
  });
});

describe('what OCR does to a header and a list', () => {
  it('reads a Dnr whose label OCR misread, by the shape of the number', async () => {
    expect(findDiarienummer('Tjänsteutlåtande\nDär 3.2-118/2022\nSida 1 (2)')?.value).toBe('3.2-118/2022');
    expect(findDiarienummer('Dur KSN 2019/77')?.value).toBe('KSN 2019/77');
    for (const label of ['Dör', 'Dår', 'Dmr', 'Dnr.', 'Dnr:']) expect(findDiarienummer(`${label} HVS 2021/0312`)?.value).toBe('HVS 2021/0312');
    expect(findDiarienummer('Dagar 2021/22 räknas')).toBeNull();
    expect(findDiarienummer('där staden har 12 förskolor')).toBeNull();
  });

  it('reads a bullet list whose bullets OCR turned into « or o, after an intro that wraps', () => {
    const text = 'Nämnden godkänner att följande enheter deltar i kvalitetsutmärkelsen\n2020:\n\n« Förskolan Myran\n\no Fritidsgården Tornet (avdelningen för kultur och fritid)\n\nÖvriga enheter avstår.';
    expect(findUnits(layoutText(text).blocks, { administration: null, board: null }).map((f) => [f.unit.name, f.unit.department])).toEqual([
      ['Förskolan Myran', null],
      ['Fritidsgården Tornet', 'avdelningen för kultur och fritid'],
    ]);
  });
});

describe('classes, boards and signatures', () => {
  it('maps class phrases to keys across the 2017 change', () => {
    expect(classesNamed('förskola, skola, äldreomsorg, annan vård och omsorg samt andra verksamheter')).toEqual(['forskola', 'skola', 'aldreomsorg', 'annan_vard_omsorg', 'andra_verksamheter']);
    expect(classesNamed('Förskola, Skola, Äldreomsorg inklusive myndighetsutövning, Socialtjänst samt stöd och service till personer med funktionsnedsättning')).toEqual([
      'forskola', 'skola', 'aldreomsorg', 'socialtjanst_funktionsnedsattning',
    ]);
  });

  it('infers the board from the administration and back', () => {
    expect(boardFor('Äldreförvaltningen')).toBe('Äldrenämnden');
    expect(boardFor('Enskede-Årsta-Vantörs stadsdelsförvaltning')).toBe('Enskede-Årsta-Vantörs stadsdelsnämnd');
    expect(administrationFor('Kulturnämnden')).toBe('Kulturförvaltningen');
  });

  it('pairs names with titles by column, and a title without a name with null', () => {
    const pairs = (t: string) => findSignatories(layoutText(`Förslag till beslut\n\nNämnden beslutar.\n\n${t}`).blocks).map((s) => s.value);
    expect(pairs('Åsa Berg Lind     Per Ström\nStadsdelsdirektör     Avdelningschef\n')).toEqual([
      { name: 'Åsa Berg Lind', title: 'Stadsdelsdirektör' },
      { name: 'Per Ström', title: 'Avdelningschef' },
    ]);
    expect(pairs('Åsa Berg Lind Eva Ström\nSocialdirektör Avdelningschef\n')).toEqual([
      { name: 'Åsa Berg Lind', title: 'Socialdirektör' },
      { name: 'Eva Ström', title: 'Avdelningschef' },
    ]);
    expect(pairs('Per Ström\n\nFörvaltningschef\n     Avdelningschef\n')).toEqual([
      { name: 'Per Ström', title: 'Förvaltningschef' },
      { name: null, title: 'Avdelningschef' },
    ]);
  });
});

describe('documents of other kinds', () => {
  const extract = async (text: string) => {
    const { extractRecord } = await import('../src/extract/extract.js');
    return extractRecord({ path: '/x.txt', name: 'x.txt', size: text.length, mtimeMs: 0, sha256: '0'.repeat(64), format: 'txt', mediaType: 'text/plain', pages: [{ number: 1, text, source: 'text', confidence: null }], messages: [] }).record;
  };

  it('reads the award item of minutes and nothing of the other items', async () => {
    const r = await extract([
      'PROTOKOLL',
      'Sammanträde 2011-04-07',
      'Norrmalms stadsdelsnämnd',
      '',
      '§ 5 Budgetuppföljning per mars',
      'Dnr 2011/0301',
      'Nämnden godkänner uppföljningen. Förskolan Tulpanen deltar i ett projekt om matsvinn sedan den 1 mars 2011.',
      '',
      '§ 6 Anmälan till stadens kvalitetsutmärkelse 2011',
      'Dnr 2011/0412',
      'Handläggare: Planeringssekreterare Eva Lind, 508 12 345',
      'Stadsdelsnämnden anmäler Hemtjänsten Vasastan och förskolan Lärkan till stadens kvalitetsutmärkelse 2011.',
      'Protokollet ska ha nått stadsledningskontoret senast den 29 april 2011.',
      '',
      '§ 7 Anmälningsärenden',
      'Nämnden lägger anmälningarna till handlingarna.',
    ].join('\n'));
    expect(r.topic).toBe('award_participation');
    expect(r.year).toBe(2011);
    expect(r.units.map((u) => u.name)).toEqual(['Hemtjänsten Vasastan', 'Förskolan Lärkan']);
    expect(r.dates.map((d) => [d.kind, d.date])).toEqual([['board_meeting', '2011-04-07'], ['minutes_deadline', '2011-04-29']]);
    expect(r.case_officer).toEqual({ name: 'Eva Lind', phone: '508 12 345' });
  });

  it('keeps a report about another prize "other", though it names units that took part in the award', async () => {
    const r = await extract([
      'Tjänsteutlåtande',
      'Dnr 1.2-99/2019',
      '2019-05-02',
      '',
      'Till',
      'Farsta stadsdelsnämnd',
      '2019-05-16',
      '',
      'Redovisning av stadens miljöpris 2018',
      '',
      'Förslag till beslut',
      'Nämnden godkänner redovisningen.',
      '',
      'Förskolan Eken, som deltar i stadens kvalitetsutmärkelse i år, fick miljöpriset. Kvalitetsutmärkelsen nämns här bara i förbigående.',
    ].join('\n'));
    expect(r.topic).toBe('other');
    expect(r.units).toEqual([]);
    expect(r.dates.map((d) => d.kind).sort()).toEqual(['board_meeting', 'document']);
  });
});
