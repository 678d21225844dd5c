/**
 * A synthetic archive for scale, with the shape of the real one: extracted records (no text
 * processing) written through the store, 1995–2024, with Stockholm-like boards that live for
 * their years (district boards renamed in 1997, merged in 2007 and 2020, city boards created
 * later), each board's units persisting for years and taking part in some of them (a few renamed
 * now and then, common names shared by unrelated boards), private providers, the 2017 class change,
 * deadlines and signatories; some reports archived twice (a scan beside the born-digital file:
 * same Dnr and board, OCR damage), some incomplete (no year, no board, no units), some about
 * something else. The lineages are declared as `beslutsarkiv lineage add` would.
 *
 *   npm run synthetic -- [--documents 100000] [--out bench/out/synthetic.sqlite]
 */
import { rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DocumentFile } from '../src/document-file.js';
import { Archive } from '../src/store/archive.js';
import { openDatabase } from '../src/store/database.js';
import { rescopeUnits } from '../src/store/units.js';
import type { ClassKey, Extracted } from '../schemas/record.js';
import { mulberry32 } from './fixtures.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export { SYNTHETIC_VERSION } from './synthetic-version.js';

export const FIRST_YEAR = 1995;
export const LAST_YEAR = 2024;

export interface SyntheticBoard {
  name: string;
  from: number;
  to: number;
  /** Boards it succeeds: [board, kind]. */
  after: Array<[string, 'renamed' | 'merged']>;
  /** Relative size: how many units it has. */
  weight: number;
}

/** Södermalms, Skarpnäcks, but Bromma, Farsta, Hässelby-Vällingby: the genitive s after a consonant. */
const sdn = (d: string) => `${d}${/[aeiouyåäösx]$/i.test(d) ? '' : 's'} stadsdelsnämnd`;

/** Districts before 2007, the mergers of 2007 and 2020, and city boards with their own lifespans. */
export function syntheticBoards(): SyntheticBoard[] {
  const early = ['Kista', 'Rinkeby', 'Spånga-Tensta', 'Hässelby', 'Vällingby', 'Bromma', 'Kungsholmen', 'Norrmalm', 'Östermalm', 'Katarina-Sofia', 'Maria-Gamla stan', 'Enskede-Årsta', 'Vantör', 'Skarpnäck', 'Farsta', 'Älvsjö', 'Hägersten', 'Liljeholmen', 'Skärholmen'];
  const merged2007: Record<string, string[]> = {
    'Rinkeby-Kista': ['Kista', 'Rinkeby'],
    'Hässelby-Vällingby': ['Hässelby', 'Vällingby'],
    Södermalm: ['Katarina-Sofia', 'Maria-Gamla stan'],
    'Enskede-Årsta-Vantör': ['Enskede-Årsta', 'Vantör'],
    'Hägersten-Liljeholmen': ['Hägersten', 'Liljeholmen'],
  };
  const out: SyntheticBoard[] = [];
  const into2007 = new Map(Object.entries(merged2007).flatMap(([to, froms]) => froms.map((f) => [f, to] as const)));
  for (const d of early) {
    // 1995–1996 the social district boards; renamed stadsdelsnämnd in 1997.
    out.push({ name: `${d} socialdistriktsnämnd`, from: FIRST_YEAR, to: 1996, after: [], weight: 1 });
    const merges = into2007.has(d);
    const mergedIn2020 = d === 'Älvsjö';
    out.push({ name: sdn(d), from: 1997, to: merges ? 2006 : mergedIn2020 ? 2019 : LAST_YEAR, after: [[`${d} socialdistriktsnämnd`, 'renamed']], weight: 1 });
  }
  for (const [to, froms] of Object.entries(merged2007)) {
    out.push({ name: sdn(to), from: 2007, to: to === 'Hägersten-Liljeholmen' ? 2019 : LAST_YEAR, after: froms.map((f) => [sdn(f), 'merged']), weight: 2 });
  }
  out.push({ name: sdn('Hägersten-Älvsjö'), from: 2020, to: LAST_YEAR, after: [[sdn('Hägersten-Liljeholmen'), 'merged'], [sdn('Älvsjö'), 'merged']], weight: 3 });
  const city: Array<[string, number, number]> = [
    ['Socialnämnden', FIRST_YEAR, LAST_YEAR],
    ['Utbildningsnämnden', FIRST_YEAR, LAST_YEAR],
    ['Kulturnämnden', FIRST_YEAR, LAST_YEAR],
    ['Miljö- och hälsoskyddsnämnden', FIRST_YEAR, LAST_YEAR],
    ['Stadsbyggnadsnämnden', FIRST_YEAR, LAST_YEAR],
    ['Fastighetsnämnden', 1998, LAST_YEAR],
    ['Trafiknämnden', 2007, LAST_YEAR],
    ['Idrottsnämnden', 2007, LAST_YEAR],
    ['Arbetsmarknadsnämnden', 2008, LAST_YEAR],
    ['Servicenämnden', 2012, LAST_YEAR],
    ['Äldrenämnden', 2019, LAST_YEAR],
  ];
  for (const [name, from, to] of city) out.push({ name, from, to, after: [], weight: name === 'Socialnämnden' || name === 'Utbildningsnämnden' ? 2 : 0.5 });
  return out;
}

const UNIT_TYPES = ['Förskolan', 'Hemtjänsten', 'Äldreboendet', 'Gruppbostaden', 'Fritidsgården', 'Biblioteket', 'Skolan', 'Dagverksamheten', 'Stödboendet', 'Korttidshemmet', 'Mottagningen', 'Träffpunkten'];
const NAMES = ['Ekorren', 'Lönnen', 'Solrosen', 'Tallen', 'Björken', 'Måsen', 'Fyren', 'Ängen', 'Vågen', 'Stjärnan', 'Ugglan', 'Näktergalen', 'Linden', 'Aspen', 'Kastanjen', 'Humlan', 'Myran', 'Tornet', 'Bryggan', 'Hamnen', 'Eken', 'Rönnen', 'Hägern', 'Tranan', 'Svanen', 'Lärkan', 'Vitsippan', 'Blåklockan', 'Klövern', 'Gläntan'];
const PROVIDERS = ['Vardaga AB', 'Attendo Sverige AB', 'Förenade Care AB', 'Humana AB', 'Frösunda Omsorg AB', 'Norlandia Förskolor AB'];
const OLD_CLASSES: ClassKey[] = ['forskola', 'skola', 'aldreomsorg', 'annan_vard_omsorg', 'andra_verksamheter'];
const NEW_CLASSES: ClassKey[] = ['forskola', 'skola', 'aldreomsorg', 'socialtjanst_funktionsnedsattning', 'andra_verksamheter'];

interface Unit {
  name: string;
  /** A later name (a rename), from this year. */
  renamed?: { name: string; from: number };
  from: number;
  to: number;
  private: boolean;
  provider: string | null;
  classBefore2017: ClassKey;
  classFrom2017: ClassKey;
}

/** OCR damage on a scan's copy: å/ä/ö lost, rn for m. */
const damage = (s: string) => s.replace(/[åä]/g, 'a').replace(/ö/g, 'o').replace(/m/g, 'rn');

export interface SyntheticSummary {
  seconds: number;
  bytes: number;
  documents: number;
  reports: number;
}

interface Report {
  record: Extracted;
  text: string;
  ocr: boolean;
  board: string;
}

/**
 * The archive's reports, board-year by board-year, for units of `unitsPerWeight` per board weight;
 * deterministic for a seed.
 */
function* generate(boards: SyntheticBoard[], unitsPerWeight: number, seed: number): Generator<Report[]> {
  const random = mulberry32(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  const boardYears = boards.flatMap((b) => Array.from({ length: b.to - b.from + 1 }, (_, i) => ({ board: b, year: b.from + i })));
  // Units belong to a lineage root (units carry over renames and mergers); a board's units are those of its predecessors plus its own.
  const unitsOf = new Map<string, Unit[]>();
  const makeUnits = (b: SyntheticBoard): Unit[] => {
    // A successor inherits its predecessors' units and only adds those started in its own years.
    const inherits = b.after.length > 0;
    const n = Math.round(unitsPerWeight * (inherits ? 0.5 : 1) * b.weight * Math.max(1, (b.to - b.from + 1) / 15));
    const taken = new Set<string>();
    return Array.from({ length: n }, () => {
      // Half are there when the board starts, half start later; they last 5–30 years (carried on by successors).
      const from = !inherits && random() < 0.5 ? b.from : b.from + Math.floor(random() * (b.to - b.from + 1));
      const to = Math.min(LAST_YEAR, from + 5 + Math.floor(random() * 26));
      // Common names recur across boards (the same name under unrelated boards is two units), and
      // within a board under different type words (Förskolan Ekorren, Äldreboendet Ekorren: two
      // units); a full name is one unit's in its board, numbered when the names run out.
      const type = pick(UNIT_TYPES);
      let proper = pick(NAMES);
      for (let n = 2; taken.has(`${type} ${proper}`); n++) proper = `${proper.replace(/ \d+$/, '')} ${n}`;
      taken.add(`${type} ${proper}`);
      const name = `${type} ${proper}`;
      const priv = random() < 0.15;
      const renamed = random() < 0.03 && to - from > 6 ? { name: `${name} ${pick(['Nord', 'Syd', 'Centrum', 'och Vänner'])}`, from: from + 3 + Math.floor(random() * (to - from - 4)) } : undefined;
      return {
        name,
        renamed,
        from,
        to,
        private: priv,
        provider: priv ? pick(PROVIDERS) : null,
        classBefore2017: pick(OLD_CLASSES),
        classFrom2017: pick(NEW_CLASSES),
      };
    });
  };
  for (const b of boards) {
    const inherited = b.after.flatMap(([p]) => (unitsOf.get(p) ?? []).filter((u) => u.to >= b.from));
    const seen = new Set(inherited.map((u) => u.name));
    unitsOf.set(b.name, [...inherited, ...makeUnits(b).filter((u) => !seen.has(u.name))]);
  }

  for (const { board: b, year } of boardYears) {
    const out: Report[] = [];
    const alive = (unitsOf.get(b.name) ?? []).filter((u) => u.from <= year && u.to >= year && random() < 0.4);
    const administration = b.name.replace(/stadsdelsnämnd$/, 'stadsdelsförvaltning').replace(/nämnd(en)?$/, 'förvaltningen');
    const classes = year < 2017 ? OLD_CLASSES : NEW_CLASSES;
    let r = 0;
    while (alive.length) {
      const batch = alive.splice(0, 1 + Math.floor(random() * 4));
      const units = batch.map((u) => ({
        name: u.renamed && year >= u.renamed.from ? u.renamed.name : random() < 0.05 ? u.name.replace(/^\p{Lu}/u, (c) => c.toLowerCase()) : u.name,
        department: random() < 0.5 ? `avdelningen för ${pick(['äldreomsorg', 'förskola', 'socialt stöd', 'kultur och fritid'])}` : null,
        operator: u.private ? ('private' as const) : ('municipal' as const),
        provider: u.provider,
        class: random() < 0.6 ? (year < 2017 ? u.classBefore2017 : u.classFrom2017) : null,
      }));
      const dnr = `1.${boards.indexOf(b)}.${r++}-${Math.floor(random() * 900) + 100}/${year}`;
      const roll = random();
      const record: Extracted = {
        topic: roll < 0.03 ? 'other' : 'award_participation',
        year: roll >= 0.03 && roll < 0.04 ? null : year,
        board: roll >= 0.04 && roll < 0.05 ? null : b.name,
        administration,
        diarienummer: roll >= 0.04 && roll < 0.05 ? null : dnr,
        document_date: `${year}-05-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}`,
        meeting_date: `${year}-06-${String(1 + Math.floor(random() * 20)).padStart(2, '0')}`,
        units: roll < 0.03 || (roll >= 0.05 && roll < 0.06) ? [] : units,
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
      const text = `Tjänsteutlåtande Dnr ${dnr}. Till ${b.name}. Anmälan till Stockholms stads kvalitetsutmärkelse ${year}. Förslag till beslut: nämnden godkänner att ${record.units.map((u) => u.name).join(', ')} deltar i kvalitetsutmärkelsen ${year}. Kvalitetsutmärkelsen delas ut i november. Syftet är att stimulera och uppmuntra arbetet med en långsiktigt hållbar kvalitetsutveckling och att lyfta fram förebilder och goda exempel.`;
      out.push({ record, text, ocr: false, board: b.name });
      // The same report archived twice: its scan, OCR-damaged, now and then without the year it could not read.
      if (random() < 0.04) {
        const scan: Extracted = { ...record, year: random() < 0.2 ? null : record.year, units: record.units.map((u) => ({ ...u, name: random() < 0.3 ? damage(u.name) : u.name })) };
        out.push({ record: scan, text: damage(text), ocr: true, board: b.name });
      }
    }
    yield out;
  }
}

export function makeSyntheticArchive(dbPath: string, documents: number, seed = 1): SyntheticSummary {
  const t0 = performance.now();
  for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) rmSync(f, { force: true });
  const boards = syntheticBoards();
  // Units per board weight so that the archive comes out at about `documents`: a first guess (a
  // unit takes part in 40 % of its years, 2.5 units a report), corrected by counting dry runs.
  const weightYears = boards.reduce((s, b) => s + b.weight * (b.to - b.from + 1), 0);
  let unitsPerWeight = Math.max(3, (documents * 2.5 * 1.5) / (weightYears * 0.4));
  for (let i = 0; i < 3; i++) {
    let n = 0;
    for (const batch of generate(boards, unitsPerWeight, seed)) n += batch.length;
    if (Math.abs(n - documents) / documents < 0.01) break;
    unitsPerWeight *= documents / Math.max(1, n);
  }

  const db = openDatabase(dbPath);
  const archive = new Archive(db);
  const random = mulberry32(seed + 1);
  const run = archive.startRun('synthetic', [String(documents)], {});
  // The lineages, as an archivist declares them.
  const succession = db.prepare('INSERT OR REPLACE INTO board_successions (board, successor, year, kind, decided_at) VALUES (?, ?, ?, ?, ?)');
  for (const b of boards) for (const [from, kind] of b.after) succession.run(from, b.name, b.from, kind, new Date().toISOString());
  rescopeUnits(db);
  db.pragma('synchronous = OFF');
  let docNo = 0;
  const save = ({ record, text, ocr, board }: Report) => {
    const i = docNo++;
    const file: DocumentFile = {
      path: `/synthetic/${board}/${record.year ?? 'okänt'}/dok-${i}.${ocr ? 'pdf' : 'txt'}`,
      name: `dok-${i}.${ocr ? 'pdf' : 'txt'}`,
      size: text.length,
      mtimeMs: 0,
      sha256: i.toString(16).padStart(64, '0'),
      format: ocr ? 'pdf' : 'txt',
      mediaType: ocr ? 'application/pdf' : 'text/plain',
      pages: [{ number: 1, text, source: ocr ? 'ocr' : 'text', confidence: ocr ? 70 + random() * 25 : null }],
      messages: [],
      extraction: { record, evidence: {} },
    };
    archive.saveDocument(file, run);
  };
  const write = db.transaction((batch: Report[]) => batch.forEach(save));
  for (const batch of generate(boards, unitsPerWeight, seed)) write(batch);
  const tWrite = performance.now();
  archive.refreshSummaries();
  if (process.env.SYNTHETIC_TIMING) console.error(`write ${((tWrite - t0) / 1000).toFixed(1)} s, groups + summaries ${((performance.now() - tWrite) / 1000).toFixed(1)} s`);
  archive.finishRun(run, 'completed', { seen: docNo, ingested: docNo, changed: 0, unchanged: 0, reprocessed: 0, moved: 0, duplicate: 0, missing: 0, skipped: 0, failed: 0 });
  const reports = db.prepare('SELECT count(*) FROM reports').pluck().get() as number;
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.exec('ANALYZE');
  db.close();
  return { seconds: (performance.now() - t0) / 1000, bytes: statSync(dbPath).size, documents: docNo, reports };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const documents = Number(arg('--documents') ?? 100_000);
  const out = resolve(arg('--out') ?? join(ROOT, 'bench/out/synthetic.sqlite'));
  const s = makeSyntheticArchive(out, documents);
  console.log(`wrote ${s.documents} documents (${s.reports} reports) to ${out} in ${s.seconds.toFixed(1)} s (${(s.bytes / 2 ** 20).toFixed(1)} MiB)`);
}
