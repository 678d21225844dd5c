/**
 * The README's cron line, run literally (as cron runs it: `sh -c`, with the installed `beslutsarkiv`
 * on PATH, here the built command), with its paths pointed at a temporary folder. What it prints on
 * stdout and stderr is what cron mails: nothing on success, a summary whenever something needs a person.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureBuilt, jsonLines, ROOT } from './built-cli.js';
import { tempDir } from './helpers.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The command of the cron line in the README's cron block (the line after the five schedule fields). */
function cronCommand(): string {
  const section = README.slice(README.indexOf('### Scheduled re-ingestion'));
  const block = section.slice(section.indexOf('```cron') + 7, section.indexOf('```', section.indexOf('```cron') + 7));
  const line = block.split('\n').find((l) => /^[\d*]/.test(l.trim()));
  if (!line) throw new Error('no cron line in the README');
  return line.trim().split(/\s+/).slice(5).join(' ');
}

let dir: string;
let bin: string;
let command: string;

/** Runs the cron line with the README's paths replaced; returns what cron would mail (stdout + stderr) and the exit code. */
function cron(paths: { archive: string; db: string; log: string }): { mail: string; code: number | null } {
  const line = command
    .replaceAll('/archive/tjansteutlatanden', paths.archive)
    .replaceAll('/srv/data/beslutsarkiv.sqlite', paths.db)
    .replaceAll('/var/log/beslutsarkiv.jsonl', paths.log);
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH}`, FORCE_COLOR: '0' };
  delete env.BESLUTSARKIV_FROM_SOURCE;
  const r = spawnSync('/bin/sh', ['-c', line], { cwd: dir, env, encoding: 'utf8' });
  return { mail: r.stdout + r.stderr, code: r.status };
}

beforeAll(() => {
  ensureBuilt();
  command = cronCommand();
  dir = tempDir();
  // The installed command, as `npm install -g` links it.
  bin = join(dir, 'bin');
  mkdirSync(bin);
  symlinkSync(BIN, join(bin, 'beslutsarkiv'));
});

describe("the README's cron line", () => {
  it('uses the installed command, not npx, and writes its JSON log to a file', () => {
    expect(command).toMatch(/^beslutsarkiv ingest /);
    expect(command).not.toContain('npx');
    expect(command).toContain('--log-file');
  });

  it('mails nothing on success, and a summary naming the problem when a file is broken, the db folder is missing or the folder is emptied', () => {
    const archive = join(dir, 'archive');
    cpSync(join(ROOT, 'corpus'), archive, { recursive: true });
    const db = join(dir, 'data', 'beslutsarkiv.sqlite');
    mkdirSync(join(dir, 'data'));
    const log = join(dir, 'beslutsarkiv.jsonl');

    // Success: nothing to mail; the log has the run.
    const ok = cron({ archive, db, log });
    expect(ok).toEqual({ mail: '', code: 0 });
    // A second night with nothing new: still nothing.
    expect(cron({ archive, db, log })).toEqual({ mail: '', code: 0 });

    // A broken file in the folder.
    writeFileSync(join(archive, 'trasig.pdf'), '%PDF-1.7\n1 0 obj <<\n');
    const broken = cron({ archive, db, log });
    expect(broken.code).toBe(1);
    expect(broken.mail).toMatch(/^beslutsarkiv: ingest run 3 into .*beslutsarkiv\.sqlite: 1 of 6 files failed\n {2}.*trasig\.pdf: \[corrupt-pdf\] /);
    expect(broken.mail).toContain(`full log: ${log}`);
    rmSync(join(archive, 'trasig.pdf'));

    // The database folder is missing (a typo, or an unmounted volume).
    const missingDb = cron({ archive, db: join(dir, 'no-such-folder', 'beslutsarkiv.sqlite'), log });
    expect(missingDb.code).toBe(2);
    expect(missingDb.mail).toBe(
      `beslutsarkiv: the folder of ${join(dir, 'no-such-folder', 'beslutsarkiv.sqlite')} does not exist: create it (mkdir -p ${join(dir, 'no-such-folder')}) or pass another --db\n`,
    );

    // The archive folder is empty (an unmounted share looks like this).
    rmSync(archive, { recursive: true });
    mkdirSync(archive);
    const empty = cron({ archive, db, log });
    expect(empty.code).toBe(3);
    expect(empty.mail).toContain(`archive folder ${archive} is empty; 5 known files not marked missing (use --allow-empty if they were removed on purpose)`);

    // Every line of the log is JSON, fatal errors included; each run has run-start and run-end.
    const events = jsonLines(readFileSync(log, 'utf8'));
    expect(events.filter((e) => e.event === 'run-start')).toHaveLength(4);
    expect(events.filter((e) => e.event === 'run-end')).toHaveLength(4);
    expect(events.filter((e) => e.event === 'fatal')).toEqual([expect.objectContaining({ code: 2, message: expect.stringContaining('no-such-folder') })]);
    expect(events.filter((e) => e.event === 'exit').map((e) => e.code)).toEqual([1, 3]);
  });
});
