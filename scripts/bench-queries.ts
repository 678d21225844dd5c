/**
 * p95 latency of every named query on the synthetic 100,000-document archive
 * (built by scripts/make-synthetic-archive.ts when missing), and the database size.
 *
 *   npm run bench:queries [-- --documents 100000]
 * The last line is one JSON object: query name → p95 ms, and the size.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../src/store/database.js';
import * as q from '../src/query/queries.js';
import { makeSyntheticArchive } from './make-synthetic-archive.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function benchQueries(dbPath: string, documents: number, runs = 30): Record<string, number> {
  if (!existsSync(dbPath)) makeSyntheticArchive(dbPath, documents);
  const db = openDatabase(dbPath, { readonly: true });
  const unit = (db.prepare('SELECT name FROM unit_identities ORDER BY id LIMIT 1 OFFSET 100').get() as { name: string }).name;
  const board = (db.prepare('SELECT board FROM participations LIMIT 1').get() as { board: string }).board;
  const named: Record<string, () => unknown> = {
    'participation --by year': () => q.participation(db, ['year']),
    'participation --by year,board': () => q.participation(db, ['year', 'board']),
    'participation --by year,class': () => q.participation(db, ['year', 'class']),
    [`unit "${unit}"`]: () => q.unitHistory(db, unit),
    'unit (forgiving, lower case, no type word)': () => q.unitHistory(db, unit.split(' ').slice(1).join(' ').toLowerCase()),
    'unit-aliases': () => q.unitAliases(db),
    classes: () => q.classesOffered(db),
    deadlines: () => q.deadlines(db),
    boards: () => q.boards(db),
    [`signatories --board "${board}"`]: () => q.signatories(db, { board }),
    'signatories --from 2020 --to 2020': () => q.signatories(db, { from: 2020, to: 2020 }),
    'search "kvalitetsutmarkelsen 2019"': () => q.search(db, 'kvalitetsutmarkelsen 2019'),
  };
  const p95: Record<string, number> = {};
  console.log(`${'query'.padEnd(52)}${'p50 ms'.padStart(9)}${'p95 ms'.padStart(9)}${'rows'.padStart(9)}`);
  for (const [name, fn] of Object.entries(named)) {
    fn(); // warm the page cache and statement
    const times: number[] = [];
    let rows = 0;
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      rows = (fn() as unknown[]).length;
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    p95[name] = +times[Math.ceil(runs * 0.95) - 1]!.toFixed(1);
    console.log(`${name.padEnd(52)}${times[Math.floor(runs / 2)]!.toFixed(1).padStart(9)}${p95[name]!.toFixed(1).padStart(9)}${String(rows).padStart(9)}`);
  }
  db.close();
  return p95;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--documents');
  const documents = i > 0 ? Number(process.argv[i + 1]) : 100_000;
  const dbPath = join(ROOT, `bench/out/synthetic-${documents}.sqlite`);
  const p95 = benchQueries(dbPath, documents);
  const worst = Math.max(...Object.values(p95));
  console.log(JSON.stringify({ documents, db_mib: +(statSync(dbPath).size / 2 ** 20).toFixed(1), query_p95_ms_max: worst, p95_ms: p95 }));
}
