/**
 * The exported record: the single source of truth for its shape. `beslutsarkiv export` returns an
 * array of these; the extraction issue adds the extracted fields beside `source`.
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
  })
  .describe('where the record came from');

export const DocumentRecordSchema = z.object({
  source: SourceSchema,
});

export type DocumentRecord = z.infer<typeof DocumentRecordSchema>;
export type SourceRecord = z.infer<typeof SourceSchema>;
