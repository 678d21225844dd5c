import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Real OCR runs in some tests: a page takes seconds on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Commands spawned by tests run the sources (src/cli/bin.js would otherwise run dist/, which may be
    // older); test/built-cli.ts unsets it to test the built command.
    env: { BESLUTSARKIV_FROM_SOURCE: '1' },
  },
});
