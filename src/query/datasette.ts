/**
 * metadata.json for Datasette (`datasette beslutsarkiv.sqlite -m metadata.json`): what each table
 * and view holds, in Swedish and English, column descriptions, the full-text index of the pages,
 * and the Swedish labels of stored keys.
 */
import type { Database } from 'better-sqlite3';
import { basename, extname } from 'node:path';

interface TableMeta {
  description: string;
  columns?: Record<string, string>;
  fts_table?: string;
  fts_pk?: string;
  sort?: string;
  sort_desc?: string;
  label_column?: string;
  facets?: string[];
  hidden?: boolean;
}

const TABLES: Record<string, TableMeta> = {
  documents: {
    description: 'Handlingar: en rad per innehåll (sha256). / One row per distinct file content.',
    label_column: 'file_name',
    columns: { file_name: 'filens namn när den först lästes', format: 'formatet enligt innehållet', ocr: '1 när någon sida OCR-lästes', superseded_by: 'nyare version av handlingen' },
    facets: ['format', 'ocr'],
  },
  pages: {
    description: 'Sidor med text som lästes och reparerad text; sök med fritext. / Pages, text as read and repaired; full-text search.',
    fts_table: 'pages_fts',
    fts_pk: 'rowid',
    columns: { text: 'texten som den lästes', repaired_text: 'texten efter reparation (å/ä/ö, OCR-fel, avstavning)', source: 'text, text-layer eller ocr', confidence: 'OCR-säkerhet 0–100' },
    facets: ['source'],
  },
  extractions: {
    description: 'Utlästa uppgifter per handling. / The record extracted from each document.',
    columns: { topic: 'award_participation (deltagande) eller other', counted: '1 när handlingen är rapportens bästa och aktuell', current: '0 när handlingen ersatts av en nyare version' },
    facets: ['topic', 'year', 'board'],
  },
  reports: {
    description: 'Rapporter: handlingar som är samma tjänsteutlåtande (t.ex. en text-PDF och dess skanning) räknas en gång. / Report groups, counted once.',
    columns: { id: 'rapportens id = dess bästa handlings id', documents: 'antal handlingar i rapporten', missing: 'saknade uppgifter: year, board, units' },
    facets: ['year', 'board', 'missing'],
  },
  report_documents: { description: 'Vilka handlingar som hör till vilken rapport, och varför. / Documents of each report, and why.', facets: ['joined_by'] },
  report_decisions: { description: 'Arkivariens beslut: same = 1 samma rapport (group join), 0 inte samma (group split).' },
  participations: {
    description: 'En enhet som deltar i en handling. / A unit taking part, per document.',
    columns: { unit_id: 'den distinkta enheten (namn inom nämndens linje)', counted: '1 när raden räknas i trenderna' },
    facets: ['year', 'board', 'class', 'operator'],
  },
  distinct_units: { description: 'Distinkta enheter: ett namn (oavsett stavning) inom en nämnds linje (nämnden och de nämnder den bytt namn till eller gått upp i).', label_column: 'name' },
  unit_identities: { description: 'Ett enhetsnamn oavsett stavning (skiftläge, å/ä/ö, bestämd eller obestämd form, ordföljd); typordet hör till namnet (Förskolan Ekorren och Äldreboendet Ekorren är två enheter).', label_column: 'name' },
  board_successions: { description: 'Nämnder som bytt namn eller slagits samman (beslutsarkiv lineage add).' },
  unit_aliases: { description: 'Bekräftade alias: samma enhet under två namn eller nämnder (beslutsarkiv alias add).' },
  labels: { description: 'Svenska etiketter för lagrade nycklar (klasser, datumslag, ärendetyper).', facets: ['kind'] },
  units: { description: 'Enheter som handlingen nämner, i ordning.' },
  event_dates: { description: 'Datum i handlingen.', facets: ['kind'] },
  classes_offered: { description: 'Klasser som utmärkelsen erbjöd enligt handlingen.', facets: ['class'] },
  signatories: { description: 'Underskrifter.' },
  evidence: { description: 'Var varje uppgift kom ifrån: sida, position, textutdrag, regel.' },
  messages: { description: 'Granskningsspår: vad varje steg läste, beslutade eller ändrade.', facets: ['stage', 'rule', 'severity'] },
  files: { description: 'Sökvägar där innehållet setts.' },
  runs: { description: 'Körningar.', sort_desc: 'id' },
  failures: { description: 'Filer som inte kunde läsas, per körning.', facets: ['code', 'kind'] },
  participation_by_year: { description: 'Deltagande per år: rapporter, distinkta enheter, deltaganden (enhet i rapport).' },
  participation_by_year_board: { description: 'Deltagande per år och nämnd.', facets: ['board'] },
  participation_by_year_class: { description: 'Deltagande per år och klass.', facets: ['class_label'] },
  unit_history: { description: 'Varje deltagande av en enhet, med rapporten och dess handlingar.', facets: ['board', 'year'] },
  report_groups: { description: 'Rapporterna med sina handlingar.', facets: ['joined_by', 'format'] },
  incomplete_reports: { description: 'Rapporter om deltagande som saknar år, nämnd eller enheter: står utanför diagrammen.', facets: ['missing'] },
  deadlines_by_year: { description: 'Sista dagar och utdelning per år.', facets: ['kind_label'] },
  classes_by_year: { description: 'Erbjudna klasser per år.' },
  signatories_by_year: { description: 'Underskrifter per år och nämnd.' },
};

const INTERNAL = ['pages_fts', 'ocr_cache', 'schema_migrations', 'board_lineages', 'report_fingerprints', 'summary_state'];

export function datasetteMetadata(db: Database, dbPath: string): Record<string, unknown> {
  const present = new Set(db.prepare(`SELECT name FROM sqlite_master WHERE type IN ('table', 'view')`).pluck().all() as string[]);
  const tables: Record<string, TableMeta> = {};
  for (const [name, meta] of Object.entries(TABLES)) if (present.has(name)) tables[name] = meta;
  for (const name of present) {
    if (INTERNAL.includes(name) || name.startsWith('summary_') || name.startsWith('pages_fts_')) tables[name] = { description: 'intern tabell', hidden: true };
  }
  return {
    title: 'beslutsarkiv: Kvalitetsutmärkelsen',
    description:
      'Stockholms stads tjänsteutlåtanden om deltagande i Kvalitetsutmärkelsen, lästa och utlästa av beslutsarkiv. Trenderna räknar rapporter (inte filer) och distinkta enheter.',
    source: 'beslutsarkiv',
    databases: {
      [basename(dbPath, extname(dbPath))]: {
        description: 'Archive built by beslutsarkiv. Labels of stored keys are in the table labels.',
        tables,
      },
    },
  };
}
