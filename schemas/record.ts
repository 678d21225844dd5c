/**
 * The exported record: the single source of truth for its shape (the format defined in
 * test/gold/README.md). `beslutsarkiv export` returns an array of these; `schemas/document.schema.json`
 * is generated from them (`npm run schema`).
 */
import { z } from 'zod';

export const FormatSchema = z.enum(['txt', 'md', 'pdf', 'png', 'jpeg', 'tiff']).describe('format decided from the content');

export const SourceSchema = z
  .object({
    file: z.string().describe("the file's name (first path it was stored from)"),
    path: z.string().describe('absolute path it was first stored from'),
    paths: z.array(z.string()).describe('every path these bytes were seen at'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    format: FormatSchema,
    media_type: z.string(),
    bytes: z.number().int().nonnegative(),
    pages: z.number().int().positive(),
    ocr: z.boolean().describe('whether any page was OCRed'),
    ocr_confidence: z.number().nullable().describe('mean OCR confidence over OCRed pages, 0–100'),
    first_seen: z.string(),
    last_seen: z.string(),
    missing: z.boolean().describe('every path of these bytes was gone at the last run over its folder (kept in the archive)'),
    superseded_by: z.string().nullable().describe('sha256 of the newer version that replaced this one at its path, if any'),
  })
  .describe('where the record came from');

export const CLASS_KEYS = ['forskola', 'skola', 'aldreomsorg', 'annan_vard_omsorg', 'socialtjanst_funktionsnedsattning', 'andra_verksamheter'] as const;
export const ClassKeySchema = z.enum(CLASS_KEYS).describe('award class: Förskola, Skola, Äldreomsorg, Annan vård och omsorg (before 2017), Socialtjänst … funktionsnedsättning, Andra verksamheter');

export const DATE_KINDS = [
  'award',
  'registration_deadline',
  'submission_deadline',
  'minutes_deadline',
  'management_group',
  'disability_council',
  'pensioners_council',
  'document',
  'board_meeting',
] as const;
export const DateKindSchema = z.enum(DATE_KINDS);

const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const UnitSchema = z.object({
  name: z.string().describe('as the document names it, capitalized'),
  department: z.string().nullable().describe('the avdelning it belongs to, lower case as in running text'),
  operator: z.enum(['municipal', 'private']).nullable(),
  provider: z.string().nullable().describe('the company running a private unit'),
  class: ClassKeySchema.nullable(),
});

export const EvidenceSchema = z.object({
  page: z.number().int().positive(),
  start: z.number().int().nonnegative().describe('character offset into the repaired page text'),
  end: z.number().int().nonnegative(),
  snippet: z.string(),
  rule: z.string().describe('the extraction rule that produced the value'),
  confidence: z.number().min(0).max(1).optional().describe('how sure the extractor is of the value, 0–1'),
});

export const ExtractedSchema = z.object({
  topic: z.enum(['award_participation', 'other']),
  year: z.number().int().nullable(),
  board: z.string().nullable(),
  administration: z.string().nullable(),
  diarienummer: z.string().nullable(),
  document_date: IsoDate.nullable(),
  meeting_date: IsoDate.nullable(),
  units: z.array(UnitSchema),
  classes: z.array(ClassKeySchema),
  dates: z.array(z.object({ kind: DateKindSchema, date: IsoDate, text: z.string() })),
  signatories: z.array(z.object({ name: z.string().nullable(), title: z.string() })),
  case_officer: z.object({ name: z.string().nullable(), phone: z.string().nullable() }).nullable(),
  target_units: z.number().int().nullable(),
});

/** An archivist's correction applied to the record (src/review), as `export --with-evidence` shows it. */
export const CorrectionNoteSchema = z.object({
  id: z.number().int().positive(),
  path: z.string().describe("where the corrected value is in this record now; for a removal, where it was in the machine's record"),
  action: z.enum(['set', 'add', 'remove', 'confirm']),
  machine: z.unknown().describe("the machine's value (null for a value a person added)"),
  value: z.unknown().describe('the value after the correction (null when removed)'),
  evidence: EvidenceSchema.nullable().describe('where the machine found its value'),
  by: z.string(),
  at: z.string(),
  reason: z.string().nullable(),
});

export const DocumentRecordSchema = ExtractedSchema.partial().extend({
  source: SourceSchema,
  confidence: z.record(z.string(), z.number().min(0).max(1)).optional().describe("how sure the extractor is of each value (0–1), keyed by the value's path in the record (`board`, `units[0]`, `dates[2]`)"),
  needs_review: z.boolean().optional().describe('some value is uncertain or a report about participation lacks its year, board or units: worth a person\'s look'),
  review_reasons: z.array(z.string()).optional().describe('why the document needs review'),
  /** With --with-evidence: where each value came from, keyed by its path in the record (e.g. `units[0].name`). */
  evidence: z.record(z.string(), EvidenceSchema).optional(),
  /** With --with-evidence, when a person corrected the record: each applied correction with the machine's value and evidence. */
  corrections: z.array(CorrectionNoteSchema).optional(),
});

export type DocumentRecord = z.infer<typeof DocumentRecordSchema>;
export type SourceRecord = z.infer<typeof SourceSchema>;
export type Extracted = z.infer<typeof ExtractedSchema>;
export type Unit = z.infer<typeof UnitSchema>;
export type Evidence = z.infer<typeof EvidenceSchema>;
export type ClassKey = z.infer<typeof ClassKeySchema>;
export type DateKind = z.infer<typeof DateKindSchema>;
