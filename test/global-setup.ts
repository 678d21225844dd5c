// Builds the generated fixtures once before any test file runs (test files run in parallel).
import { makeFixtures } from '../scripts/make-fixtures.js';

export default async function setup(): Promise<void> {
  await makeFixtures();
}
