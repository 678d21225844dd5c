/**
 * A record as `beslutsarkiv export` prints it: the document's record (schemas/record.ts) and the
 * report group it belongs to, so that a program counts reports, not files: a report archived as a
 * text PDF and its scan is two records with the same `report.id`, one of them `counted`.
 */
import { z } from 'zod';
import { DocumentRecordSchema } from './record.js';

export const ReportRefSchema = z
  .object({
    id: z.number().int().positive().describe("the report group's id (its counted document's id); the same for every document of one report"),
    documents: z.number().int().positive().describe('how many documents the report was archived as'),
    counted: z.boolean().describe("this document is the one the report's figures come from: count records with counted true to count reports"),
  })
  .describe('the report this document is a copy of (grouped by Dnr and board, near-identical text, or an archivist); null for a superseded version');

export const ExportRecordSchema = DocumentRecordSchema.extend({ report: ReportRefSchema.nullable() });

export type ReportRef = z.infer<typeof ReportRefSchema>;
export type ExportRecord = z.infer<typeof ExportRecordSchema>;
