/**
 * Board successions as a file: a board renamed or merged into another, from a year. An archivist's
 * own list (`beslutsarkiv lineage import file.json|csv`) and the shipped list of Stockholm's
 * stadsdelsnämnder (src/data/stockholm-boards.json, `lineage import --stockholm`) are read through
 * these schemas and declared through `addSuccession` (src/store/units.ts).
 */
import { z } from 'zod';

const boardName = z.string().trim().min(1, 'a board name is needed');

export const SuccessionKindSchema = z.enum(['renamed', 'merged']).describe('renamed: the same board under a new name; merged: the board became part of the successor');

/** One succession as an archivist writes it: year, kind, source and note may be left out. */
export const SuccessionRowSchema = z
  .object({
    board: boardName.describe('the earlier board, named as the archive names it'),
    successor: boardName.describe('the board it was renamed or merged into'),
    year: z.number().int().min(1900).max(2100).nullable().default(null).describe('the year the successor took over (null when unknown)'),
    kind: SuccessionKindSchema.default('merged'),
    source: z.url().optional().describe('where the succession was checked'),
    note: z.string().optional(),
  })
  .strict();

/** A file of successions: a bare array, or an object holding them in `successions`. */
export const LineageFileSchema = z.union([
  z.array(SuccessionRowSchema),
  z.object({ about: z.string().optional(), checked: z.string().optional(), successions: z.array(SuccessionRowSchema) }),
]);

/** The shipped data: every succession cites its source. */
export const ShippedLineageSchema = z
  .object({
    about: z.string(),
    checked: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).describe('the day the sources were read'),
    successions: z.array(SuccessionRowSchema.extend({ source: z.url().describe('the page that states the succession') }).strict()).min(1),
  })
  .strict();

export type SuccessionRow = z.infer<typeof SuccessionRowSchema>;
export type LineageFile = z.infer<typeof LineageFileSchema>;
export type ShippedLineage = z.infer<typeof ShippedLineageSchema>;
