/**
 * `beslutsarkiv merge <parts...> --db archive.sqlite`: the shard databases of a sharded ingest
 * (`ingest --shard K/N`) merged into one archive. The work is in the library (src/store/merge.ts).
 */
import { CommanderError, Option, type Command } from 'commander';
import { resolve } from 'node:path';
import { DEFAULT_DB_PATH, EXIT, mergeArchives, MergeRefusedError } from '../index.js';
import type { PartCounts } from '../index.js';
import { PREFIX } from './output.js';

const describe = (c: PartCounts) =>
  `${c.documents} new documents, ${c.known_documents} already known, ${c.files} paths, ${c.pages} pages, ${c.ocr_cache} OCR cache entries, ` +
  `${c.runs} runs, ${c.failures} failures, ${c.corrections} corrections, ${c.decisions} decisions`;

export function registerMergeCommand(program: Command): void {
  program
    .command('merge')
    .description('merge the databases of a sharded ingest (ingest --shard K/N) into one archive; merging a part again changes nothing')
    .argument('<parts...>', 'shard databases (part-*.sqlite)')
    .addOption(new Option('--db <file>', 'the archive to merge into (created when missing)').default(DEFAULT_DB_PATH))
    .action(function (this: Command, parts: string[], o: { db: string }) {
      const { writeOut, writeErr } = this.configureOutput() as { writeOut: (s: string) => void; writeErr: (s: string) => void };
      try {
        const summary = mergeArchives(parts, {
          db: o.db,
          onEvent: (e) => {
            if (e.event === 'part') writeOut(`${e.part}: ${e.changed ? describe(e.counts) : 'nothing new (merged before)'} (${(e.ms / 1000).toFixed(1)} s)\n`);
          },
        });
        writeOut(
          `Done: ${summary.documents} documents in ${resolve(o.db)}${summary.run === null ? '; nothing changed' : ` (run ${summary.run})`}, ` +
            `${(summary.ms / 1000).toFixed(1)} s\n`,
        );
      } catch (error) {
        if (!(error instanceof MergeRefusedError)) throw error;
        // Refused before anything was written: each part and why, then exit 2.
        writeErr(`${PREFIX}nothing merged: ${error.message}\n`);
        throw new CommanderError(EXIT.error, 'commander.merge-refused', error.message);
      }
    });
}
