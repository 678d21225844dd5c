/**
 * Sharded ingest (`ingest --shard K/N`) and `merge` (issue 15, part 2). The files are text, Markdown
 * and text PDFs, so nothing is OCRed.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { ingest, STAGE_VERSIONS } from '../src/pipeline.js';
import { findFiles, inShard, parseShard, relativeToRoot, shardOfRelative, ShardError, type Shard } from '../src/ingest/walk.js';
import { mergeArchives, MERGE_TABLES, MergeRefusedError, schemaTables, unhandledTables } from '../src/store/merge.js';
import { openDatabase } from '../src/store/database.js';
import { SCHEMA_VERSION } from '../src/store/migrations.js';
import { iterateRecordJson } from '../src/store/read.js';
import { buildShardCorpus, comparableExport } from '../scripts/bench-shard.js';
import { tempDir } from './helpers.js';

const ROOT = resolve(__dirname, '..');
const BIN = join(ROOT, 'src/cli/bin.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });

function query<T = Record<string, unknown>>(db: string, sql: string, ...args: unknown[]): T[] {
  const raw = new BetterSqlite3(db, { readonly: true, fileMustExist: true });
  try {
    return raw.prepare(sql).all(...args) as T[];
  } finally {
    raw.close();
  }
}

const regularFiles = async (dir: string) => (await findFiles([dir])).filter((f) => !('error' in f)).map((f) => f.path);

describe('shard selection', () => {
  let dir: string;
  beforeAll(() => {
    dir = join(tempDir('shard-select-'), 'arkiv');
    const names = ['Socialnämnden', 'Södermalms stadsdelsnämnd', 'Äldreförvaltningen/2017', 'Äldreförvaltningen/2018', 'övrigt'];
    let i = 0;
    for (const folder of names) {
      mkdirSync(join(dir, folder), { recursive: true });
      for (let k = 0; k < 12; k++) writeFileSync(join(dir, folder, `tjänsteutlåtande ${k} (${i++}).txt`), `dokument ${i}\n`);
    }
  });

  it('puts every file of a folder in exactly one of N shards, for N = 1 to 5', async () => {
    const paths = await regularFiles(dir);
    expect(paths).toHaveLength(60);
    for (let count = 1; count <= 5; count++) {
      const sizes = new Array<number>(count).fill(0);
      for (const path of paths) {
        const shards = Array.from({ length: count }, (_, index) => index).filter((index) => inShard(path, [dir], { index, count }));
        expect(shards, `${path} in ${count} shards`).toHaveLength(1);
        sizes[shards[0]!]!++;
      }
      // A hash spreads 60 files over at most 5 shards: none is empty.
      expect(Math.min(...sizes), `shard sizes ${sizes.join(', ')} for N = ${count}`).toBeGreaterThan(0);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(60);
    }
  });

  it('is stable for the same relative paths under another absolute root (another machine, another mount point)', async () => {
    const other = join(tempDir('shard-elsewhere-'), 'mnt', 'arkiv');
    cpSync(dir, other, { recursive: true });
    const here = await regularFiles(dir);
    const there = await regularFiles(other);
    expect(there.map((p) => relative(other, p))).toEqual(here.map((p) => relative(dir, p)));
    for (let count = 2; count <= 5; count++) {
      here.forEach((p, i) => {
        const shard = (root: string, path: string) => Array.from({ length: count }, (_, index) => index).find((index) => inShard(path, [root], { index, count }));
        expect(shard(other, there[i]!)).toBe(shard(dir, p));
        // The root as given with a trailing slash is the same root.
        expect(shard(resolve(`${dir}/`), p)).toBe(shard(dir, p));
      });
    }
    // The hash as documented: the first 8 bytes of SHA-256 of the relative path (UTF-8, "/" separators), big-endian, modulo N.
    const rel = relativeToRoot(here[13]!, [dir])!;
    expect(rel).toMatch(/^Södermalms stadsdelsnämnd\//);
    expect(shardOfRelative(rel, 5)).toBe(Number(createHash('sha256').update(rel).digest().readBigUInt64BE(0) % 5n));
  });

  it('reads K/N with K from 0, and refuses anything else with the reason', () => {
    expect(parseShard('0/4')).toEqual({ index: 0, count: 4 });
    expect(parseShard(' 3/4 ')).toEqual({ index: 3, count: 4 });
    expect(() => parseShard('4/4')).toThrow(/K is 0 to 3 for 4 shards/);
    expect(() => parseShard('1/0')).toThrow(ShardError);
    expect(() => parseShard('2')).toThrow(/not K\/N/);
    const r = cli('ingest', dir, '--shard', '4/4', '--db', join(tempDir(), 'x.sqlite'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--shard.*4\/4.*numbered from 0.*0 to 3/);
  });
});

describe('sharded ingest and merge', () => {
  let work: string;
  let files: string;
  let plain: string;
  let parts: string[];
  let merged: string;
  const N = 3;
  /** A copy of a file placed in another shard than its original (same bytes in two parts). */
  let crossCopy: { original: string; copy: string };

  beforeAll(async () => {
    work = tempDir('shard-merge-');
    files = join(work, 'files');
    await buildShardCorpus(files, { texts: 6, scans: false });
    const original = join(files, 'corpus/002_3e46df6f17c46d2f.txt');
    const home = Array.from({ length: N }, (_, index) => index).find((index) => inShard(original, [files], { index, count: N }))!;
    for (let i = 0; ; i++) {
      const copy = join(files, 'copies', `kopia-${i}.txt`);
      if (!inShard(copy, [files], { index: home, count: N })) {
        copyFileSync(original, copy);
        crossCopy = { original, copy };
        break;
      }
    }
    plain = join(work, 'plain.sqlite');
    await ingest([files], { db: plain, concurrency: 2 });
    parts = [];
    for (let index = 0; index < N; index++) {
      const part = join(work, `part-${index}.sqlite`);
      const summary = await ingest([files], { db: part, concurrency: 2, shard: { index, count: N } });
      expect(summary.failures).toEqual([]);
      parts.push(part);
    }
    merged = join(work, 'merged.sqlite');
    mergeArchives(parts, { db: merged });
    // Four ingests of some thirty files: a minute on an idle 2-core machine, several when it is shared.
  }, 600_000);

  it('each part holds its shard of the paths: together every path once, and its run records the shard', () => {
    const all = query<{ path: string }>(plain, 'SELECT path FROM files ORDER BY path').map((r) => r.path);
    const byPart = parts.map((p, index) => {
      const paths = query<{ path: string }>(p, 'SELECT path FROM files ORDER BY path').map((r) => r.path);
      for (const path of paths) expect(inShard(path, [files], { index, count: N })).toBe(true);
      const runs = query<{ args: string; versions: string }>(p, `SELECT args, versions FROM runs WHERE command = 'ingest'`);
      expect(runs.map((r) => JSON.parse(r.args))).toEqual([[files, '--shard', `${index}/${N}`]]);
      return paths;
    });
    expect(byPart.flat().sort()).toEqual(all);
    expect(byPart.every((paths) => paths.length > 0)).toBe(true);
  });

  it('shards files named one by one on the command line by their names: each in exactly one part', async () => {
    const named = [0, 1, 2, 3, 4, 5].map((i) => join(files, 'text', `doc-${String(i).padStart(4, '0')}.txt`)).concat([0, 1, 2, 3].map((i) => join(files, 'md', `seed-${i}.md`)));
    const seen: string[] = [];
    for (let index = 0; index < N; index++) {
      const db = join(work, `named-${index}.sqlite`);
      const summary = await ingest(named, { db, concurrency: 2, shard: { index, count: N } });
      expect(summary.failures).toEqual([]);
      const paths = query<{ path: string }>(db, 'SELECT path FROM files').map((r) => r.path);
      for (const p of paths) expect(shardOfRelative(p.slice(p.lastIndexOf('/') + 1), N)).toBe(index);
      seen.push(...paths);
    }
    expect(seen.sort()).toEqual([...named].sort());
  }, 300_000);

  it('merges the same bytes found by two shards into one document with both paths', () => {
    const inParts = parts.filter((p) => query(p, 'SELECT 1 FROM files WHERE path IN (?, ?)', crossCopy.original, crossCopy.copy).length > 0);
    expect(inParts).toHaveLength(2);
    const docs = query<{ document_id: number; path: string }>(merged, 'SELECT document_id, path FROM files WHERE path IN (?, ?) ORDER BY path', crossCopy.copy, crossCopy.original);
    expect(docs.map((d) => d.path).sort()).toEqual([crossCopy.copy, crossCopy.original].sort());
    expect(new Set(docs.map((d) => d.document_id)).size).toBe(1);
    // As one ingest of all the files stores them: as many documents, pages and paths.
    for (const table of ['documents', 'files', 'pages', 'extractions', 'units', 'evidence', 'messages']) {
      expect(query<{ n: number }>(merged, `SELECT count(*) AS n FROM ${table}`)[0]!.n, table).toBe(query<{ n: number }>(plain, `SELECT count(*) AS n FROM ${table}`)[0]!.n);
    }
    // Full-text search finds the merged pages.
    const hits = query<{ n: number }>(merged, `SELECT count(*) AS n FROM pages_fts WHERE pages_fts MATCH 'kvalitetsutmarkelsen'`)[0]!.n;
    expect(hits).toBe(query<{ n: number }>(plain, `SELECT count(*) AS n FROM pages_fts WHERE pages_fts MATCH 'kvalitetsutmarkelsen'`)[0]!.n);
    expect(hits).toBeGreaterThan(0);
  });

  it("gives the merged archive the same export as one plain ingest of the files (sorted)", () => {
    const a = comparableExport(plain);
    const b = comparableExport(merged);
    expect(b.length).toBe(query(plain, 'SELECT id FROM documents').length);
    expect(b).toEqual(a);
  });

  it('is the same whatever order the parts are merged in', () => {
    const reversed = join(work, 'reversed.sqlite');
    mergeArchives([...parts].reverse(), { db: reversed });
    expect(comparableExport(reversed)).toEqual(comparableExport(merged));
  });

  it('changes nothing when the same parts are merged again (exports and table counts)', () => {
    const counts = () => {
      const db = new BetterSqlite3(merged, { readonly: true });
      try {
        return Object.fromEntries(schemaTables(db).map((t) => [t, db.prepare(`SELECT count(*) FROM "${t}"`).pluck().get()]));
      } finally {
        db.close();
      }
    };
    const exported = () => {
      const db = new BetterSqlite3(merged, { readonly: true });
      try {
        return [...iterateRecordJson(db, { withEvidence: true })].map((r) => r.json);
      } finally {
        db.close();
      }
    };
    const before = { counts: counts(), export: exported(), runs: query(merged, 'SELECT * FROM runs ORDER BY id') };
    const again = mergeArchives(parts, { db: merged });
    expect(again.run).toBeNull();
    expect(again.parts.every((p) => !p.changed)).toBe(true);
    expect(counts()).toEqual(before.counts);
    expect(exported()).toEqual(before.export);
    expect(query(merged, 'SELECT * FROM runs ORDER BY id')).toEqual(before.runs);
    // A part merged twice in one command: the second time adds nothing either.
    const twice = join(work, 'twice.sqlite');
    const r = mergeArchives([parts[0]!, parts[0]!], { db: twice });
    expect(r.parts[0]!.changed).toBe(true);
    expect(r.parts[1]!.changed).toBe(false);
    const run = query<{ command: string; args: string }>(merged, `SELECT command, args FROM runs WHERE command = 'merge'`);
    expect(run).toHaveLength(1);
    expect(JSON.parse(run[0]!.args)).toEqual(parts);
  });

  it('refuses, writing nothing, a part of another schema version, naming the part and both versions', () => {
    const old = join(work, 'part-old-schema.sqlite');
    copyFileSync(parts[1]!, old);
    const raw = new BetterSqlite3(old);
    raw.pragma(`user_version = ${SCHEMA_VERSION - 1}`);
    raw.close();
    const target = join(work, 'refused.sqlite');
    expect(() => mergeArchives([parts[0]!, old], { db: target })).toThrow(MergeRefusedError);
    try {
      mergeArchives([parts[0]!, old], { db: target });
    } catch (error) {
      expect((error as Error).message).toContain(old);
      expect((error as Error).message).toContain(`schema version ${SCHEMA_VERSION - 1}`);
      expect((error as Error).message).toContain(`schema version ${SCHEMA_VERSION}`);
    }
    expect(existsSync(target)).toBe(false);
    // The command: exit 2, the reason on stderr, no database made.
    const r = cli('merge', parts[0]!, old, '--db', target);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(old);
    expect(r.stderr).toMatch(/nothing merged/);
    expect(existsSync(target)).toBe(false);
  });

  it('refuses a part made with other stage versions, naming the part and the versions', () => {
    const stale = join(work, 'part-stale.sqlite');
    copyFileSync(parts[2]!, stale);
    const raw = new BetterSqlite3(stale);
    raw.prepare(`UPDATE runs SET versions = json_set(versions, '$.extract', 'old-extract')`).run();
    raw.prepare(`UPDATE extractions SET repair_version = 'old-repair'`).run();
    raw.close();
    const target = join(work, 'refused-stages.sqlite');
    let message = '';
    try {
      mergeArchives([stale], { db: target });
    } catch (error) {
      expect(error).toBeInstanceOf(MergeRefusedError);
      message = (error as Error).message;
    }
    expect(message).toContain(stale);
    expect(message).toContain(`extract old-extract (this beslutsarkiv: ${STAGE_VERSIONS.extract})`);
    expect(message).toContain(`repair old-repair (this beslutsarkiv: ${STAGE_VERSIONS.repair})`);
    expect(existsSync(target)).toBe(false);
  });

  it('refuses a part with a table it does not know (a later migration), and knows every table of the schema', () => {
    const future = join(work, 'part-future.sqlite');
    copyFileSync(parts[0]!, future);
    const raw = new BetterSqlite3(future);
    raw.exec('CREATE TABLE stamps (document_id INTEGER, stamp TEXT)');
    raw.close();
    expect(() => mergeArchives([future], { db: join(work, 'refused-future.sqlite') })).toThrow(/part-future\.sqlite has tables .*: stamps/);
    // Every table a freshly migrated database has is handled by merge, and MERGE_TABLES names no table the schema lacks:
    // a migration that adds a table fails here until merge copies or rebuilds it.
    const fresh = openDatabase(join(work, 'fresh.sqlite'));
    try {
      expect(unhandledTables(fresh)).toEqual([]);
      expect(Object.keys(MERGE_TABLES).sort()).toEqual(schemaTables(fresh).sort());
    } finally {
      fresh.close();
    }
  });

  it('a shard ingest marks only its own files missing, and never counts the other shards\' files as gone', async () => {
    // Into an archive that has every file (the plain one): shard 0 alone finds 1/N of them; nothing is missing.
    const full = join(work, 'full.sqlite');
    copyFileSync(plain, full);
    const shard: Shard = { index: 0, count: N };
    const run = await ingest([files], { db: full, concurrency: 2, shard });
    expect(run.counts.missing).toBe(0);
    expect(run.notMarkedMissing).toEqual([]);
    expect(query(full, 'SELECT path FROM files WHERE missing_since IS NOT NULL')).toEqual([]);
    expect(run.counts.seen).toBe(query(parts[0]!, 'SELECT path FROM files').length);
    // A file of the shard removed: that one is missing on the shard's next run, the other shards' files are not.
    const own = query<{ path: string }>(full, 'SELECT path FROM files ORDER BY path').map((r) => r.path).filter((p) => inShard(p, [files], shard));
    const gone = own[0]!;
    const saved = readFileSync(gone);
    unlinkSync(gone);
    try {
      const again = await ingest([files], { db: full, concurrency: 2, shard });
      expect(again.counts.missing).toBe(1);
      expect(query<{ path: string }>(full, 'SELECT path FROM files WHERE missing_since IS NOT NULL').map((r) => r.path)).toEqual([gone]);
    } finally {
      writeFileSync(gone, saved);
    }
    rmSync(full, { force: true });
  }, 300_000);

  it('a changed and a removed file: the shards run again and merged again into the archive give what a plain run again gives', async () => {
    const again = join(work, 'again');
    mkdirSync(again);
    const plain2 = join(again, 'plain.sqlite');
    const merged2 = join(again, 'merged.sqlite');
    copyFileSync(plain, plain2);
    copyFileSync(merged, merged2);
    const parts2 = parts.map((p, k) => {
      const copy = join(again, `part-${k}.sqlite`);
      copyFileSync(p, copy);
      return copy;
    });
    const changed = join(files, 'corpus/004_6306731b55b2ba86.txt');
    const removed = join(files, 'text/doc-0001.txt');
    const saved = { changed: readFileSync(changed), removed: readFileSync(removed) };
    writeFileSync(changed, `${saved.changed.toString('utf8')}\nTillägg: beslutet justerades.\n`);
    unlinkSync(removed);
    try {
      await ingest([files], { db: plain2, concurrency: 2 });
      for (let index = 0; index < N; index++) await ingest([files], { db: parts2[index]!, concurrency: 2, shard: { index, count: N } });
      const result = mergeArchives(parts2, { db: merged2 });
      expect(result.run).not.toBeNull();
      expect(comparableExport(merged2)).toEqual(comparableExport(plain2));
      expect(query(merged2, 'SELECT path FROM files WHERE missing_since IS NOT NULL')).toEqual([{ path: removed }]);
      const versions = query<{ superseded: number }>(
        merged2,
        'SELECT d.superseded_by IS NOT NULL AS superseded FROM documents d WHERE d.id IN (SELECT document_id FROM files WHERE path = ?) OR d.file_name = ? ORDER BY d.id',
        changed,
        '004_6306731b55b2ba86.txt',
      );
      expect(versions.map((v) => v.superseded)).toEqual([1, 0]);
    } finally {
      writeFileSync(changed, saved.changed);
      writeFileSync(removed, saved.removed);
    }
  }, 300_000);
});
