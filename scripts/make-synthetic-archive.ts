/**
 * A synthetic archive for scale: realistic extracted records (no text processing) written through
 * the store, across 30 years, 60 boards and thousands of units, with units that come back year
 * after year, renames, private providers, the 2017 class change, deadlines and signatories.
 *
 *   npm run synthetic -- [--documents 100000] [--out bench/out/synthetic.sqlite]
 */
import { rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DocumentFile } from '../src/document-file.js';
import { Archive } from '../src/store/archive.js';
import { openDatabase } from '../src/store/database.js';
import type { ClassKey, Extracted } from '../schemas/record.js';
import { mulberry32 } from './fixtures.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const DISTRICTS = ['Rinkeby-Kista', 'Spånga-Tensta', 'Hässelby-Vällingby', 'Bromma', 'Kungsholmen', 'Norrmalm', 'Östermalm', 'Södermalm', 'Enskede-Årsta-Vantör', 'Skarpnäck', 'Farsta', 'Älvsjö', 'Hägersten-Liljeholmen', 'Skärholmen'];
const CITY_BOARDS = ['Socialnämnden', 'Utbildningsnämnden', 'Äldrenämnden', 'Arbetsmarknadsnämnden', 'Kulturnämnden', 'Idrottsnämnden', 'Miljö- och hälsoskyddsnämnden', 'Stadsbyggnadsnämnden', 'Trafiknämnden', 'Exploateringsnämnden', 'Fastighetsnämnden', 'Servicenämnden', 'Överförmyndarnämnden', 'Kyrkogårdsnämnden'];
const UNIT_TYPES = ['Förskolan', 'Hemtjänsten', 'Äldreboendet', 'Gruppbostaden', 'Fritidsgården', 'Biblioteket', 'Skolan', 'Dagverksamheten', 'Stödboendet', 'Korttidshemmet', 'Mottagningen', 'Träffpunkten'];
const NAMES = ['Ekorren', 'Lönnen', 'Solrosen', 'Tallen', 'Björken', 'Måsen', 'Fyren', 'Ängen', 'Vågen', 'Stjärnan', 'Ugglan', 'Näktergalen', 'Linden', 'Aspen', 'Kastanjen', 'Humlan', 'Myran', 'Tornet', 'Bryggan', 'Hamnen'];
const PROVIDERS = ['Vardaga AB', 'Attendo Sverige AB', 'Förenade Care AB', 'Humana AB', 'Frösunda Omsorg AB', 'Norlandia Förskolor AB'];
const OLD_CLASSES: ClassKey[] = ['forskola', 'skola', 'aldreomsorg', 'annan_vard_omsorg', 'andra_verksamheter'];
const NEW_CLASSES: ClassKey[] = ['forskola', 'skola', 'aldreomsorg', 'socialtjanst_funktionsnedsattning', 'andra_verksamheter'];

export function boards(): string[] {
  const out = [...DISTRICTS.map((d) => `${d}${/[sx]$/.test(d) ? '' : 's'} stadsdelsnämnd`), ...CITY_BOARDS];
  for (let i = 0; out.length < 60; i++) out.push(`Stadsdelsnämnd ${i + 1}`);
  return out.slice(0, 60);
}

export function makeSyntheticArchive(dbPath: string, documents: number, seed = 1): { seconds: number; bytes: number } {
  const t0 = performance.now();
  for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) rmSync(f, { force: true });
  const db = openDatabase(dbPath);
  const archive = new Archive(db);
  const random = mulberry32(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  const run = archive.startRun('synthetic', [String(documents)], {});
  const allBoards = boards();
  // Each board has a stable pool of units (so units come back year after year).
  const pools = allBoards.map((b, bi) =>
    Array.from({ length: 60 }, (_, k) => `${pick(UNIT_TYPES)} ${pick(NAMES)}${k > 19 ? ` ${bi}-${k}` : ''}`),
  );
  db.pragma('synchronous = OFF');
  const insertMany = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const year = 1995 + (i % 30);
      const b = i % allBoards.length;
      const board = allBoards[b]!;
      const administration = board.replace(/stadsdelsnämnd$/, 'stadsdelsförvaltning').replace(/nämnden$/, 'förvaltningen');
      const n = 1 + Math.floor(random() * 5);
      const classes = year < 2017 ? OLD_CLASSES : NEW_CLASSES;
      const units = Array.from({ length: n }, () => {
        const priv = random() < 0.15;
        let name = pick(pools[b]!);
        // Now and then a spelling variant of the same unit.
        if (random() < 0.05) name = name.toLowerCase();
        return { name, department: random() < 0.5 ? `avdelningen för ${pick(['äldreomsorg', 'förskola', 'socialt stöd', 'kultur och fritid'])}` : null, operator: priv ? ('private' as const) : ('municipal' as const), provider: priv ? pick(PROVIDERS) : null, class: random() < 0.6 ? pick(classes) : null };
      });
      const record: Extracted = {
        topic: random() < 0.97 ? 'award_participation' : 'other',
        year,
        board,
        administration,
        diarienummer: `1.${b}-${i}/${year}`,
        document_date: `${year}-05-${String(1 + (i % 28)).padStart(2, '0')}`,
        meeting_date: `${year}-06-${String(1 + (i % 20)).padStart(2, '0')}`,
        units,
        classes: random() < 0.7 ? classes : [],
        dates: [
          { kind: 'award', date: `${year}-11-${String(18 + (year % 10)).padStart(2, '0')}`, text: '' },
          { kind: 'submission_deadline', date: `${year}-05-${String(10 + (year % 15)).padStart(2, '0')}`, text: '' },
          { kind: 'minutes_deadline', date: `${year}-06-30`, text: '' },
        ],
        signatories: [{ name: `${pick(['Anna', 'Per', 'Eva', 'Lars', 'Åsa'])} ${pick(['Berg', 'Ström', 'Lind', 'Holm'])}`, title: 'Förvaltningschef' }],
        case_officer: null,
        target_units: null,
      };
      if (record.topic === 'other') record.units = [];
      const sha = i.toString(16).padStart(64, '0');
      const file: DocumentFile = {
        path: `/synthetic/${board}/${year}/dok-${i}.txt`,
        name: `dok-${i}.txt`,
        size: 4000,
        mtimeMs: 0,
        sha256: sha,
        format: 'txt',
        mediaType: 'text/plain',
        pages: [{ number: 1, text: `Syntetiskt tjänsteutlåtande ${i} om deltagande i kvalitetsutmärkelsen ${year}.`, source: 'text', confidence: null }],
        messages: [],
        extraction: { record, evidence: {} },
      };
      archive.saveDocument(file, run);
    }
  });
  for (let i = 0; i < documents; i += 2000) insertMany(i, Math.min(documents, i + 2000));
  archive.refreshSummaries();
  archive.finishRun(run, 'completed', { seen: documents, ingested: documents, changed: 0, unchanged: 0, reprocessed: 0, moved: 0, duplicate: 0, missing: 0, skipped: 0, failed: 0 });
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.exec('ANALYZE');
  db.close();
  return { seconds: (performance.now() - t0) / 1000, bytes: statSync(dbPath).size };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const documents = Number(arg('--documents') ?? 100_000);
  const out = resolve(arg('--out') ?? join(ROOT, 'bench/out/synthetic.sqlite'));
  const { seconds, bytes } = makeSyntheticArchive(out, documents);
  console.log(`wrote ${documents} documents to ${out} in ${seconds.toFixed(1)} s (${(bytes / 2 ** 20).toFixed(1)} MiB)`);
}
