/**
 * Corrections: an archivist's fix of an extracted value, kept beside the machine's extraction
 * (src/review). The record shown everywhere is the extraction with its corrections applied;
 * `export --with-evidence` adds, for each applied correction, the machine's value and evidence.
 */
import { z } from 'zod';
import { CorrectionNoteSchema } from './record.js';

export const CorrectionActionSchema = z.enum(['set', 'add', 'remove', 'confirm']).describe('set a value, add a unit or class, remove one, or confirm the record as it is');

/** What a correction corrected, by identity (not by array index), so it finds its value again after re-extraction. */
export const CorrectionTargetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('field'), field: z.string() }),
  z.object({
    kind: z.literal('unit'),
    key: z.string().describe("the unit's identity key when corrected (src/query/unit-identity.ts)"),
    name: z.string().optional().describe('its name when corrected: the key is computed from it again when applied'),
    field: z.string().optional(),
  }),
  z.object({ kind: z.literal('date'), date_kind: z.string(), date: z.string(), field: z.string().optional() }),
  z.object({ kind: z.literal('class'), key: z.string() }),
  z.object({ kind: z.literal('new'), list: z.enum(['units', 'classes']) }),
  z.object({ kind: z.literal('document') }),
]);

export const CorrectionSchema = z.object({
  id: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).describe('the document (its content) the correction was made on'),
  path: z.string().describe('the value\'s path as the archivist gave it: `units[2].class`, `dates[4].date`, `board`, `units[+]`, `units[1]`'),
  action: CorrectionActionSchema,
  target: CorrectionTargetSchema,
  old_value: z.unknown().describe('the value before the correction'),
  new_value: z.unknown().describe('the value after it (null for remove and confirm)'),
  by: z.string(),
  at: z.string(),
  reason: z.string().nullable(),
  carried_from: z.number().int().nullable().describe("the correction of the file's earlier version this one was carried over from"),
  undone_at: z.string().nullable(),
  undone_by: z.string().nullable(),
});

/** An applied correction as the export shows it (with --with-evidence): defined with the record. */
export { CorrectionNoteSchema };

export type Correction = z.infer<typeof CorrectionSchema>;
export type CorrectionTarget = z.infer<typeof CorrectionTargetSchema>;
export type CorrectionAction = z.infer<typeof CorrectionActionSchema>;
export type CorrectionNote = z.infer<typeof CorrectionNoteSchema>;
