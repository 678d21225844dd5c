/**
 * The Swedish trained data comes from the npm package @tesseract.js-data/swe, never from the network:
 * without a local langPath tesseract.js would try a CDN and, offline, hang or crash.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { TrainedDataMissingError } from '../errors.js';

const require = createRequire(import.meta.url);

/** The LSTM-only "best_int" model: 2.5 MB, accurate on Swedish print. */
export const MODEL = '4.0.0_best_int';
export const LANGUAGE = 'swe';

export interface TrainedData {
  langPath: string;
  file: string;
  /** Identifies engine, model and settings: part of every OCR cache key. */
  engineId: string;
}

export function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function locateTrainedData(settings: string): TrainedData {
  let root: string;
  try {
    root = dirname(require.resolve('@tesseract.js-data/swe/package.json'));
  } catch {
    throw new TrainedDataMissingError(
      'Swedish OCR data is not installed: the package @tesseract.js-data/swe is missing. Run "npm ci" in the beslutsarkiv folder.',
    );
  }
  const langPath = join(root, MODEL);
  const file = join(langPath, `${LANGUAGE}.traineddata.gz`);
  if (!existsSync(file) || statSync(file).size < 100_000) {
    throw new TrainedDataMissingError(`Swedish OCR data is missing or truncated at ${file}. Reinstall with "npm ci".`);
  }
  const engineId = `tesseract.js@${packageVersion('tesseract.js')} ${LANGUAGE}@${packageVersion('@tesseract.js-data/swe')}/${MODEL} ${settings}`;
  return { langPath, file, engineId };
}
