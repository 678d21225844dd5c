import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/main.js';
import { EXIT } from '../src/errors.js';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const program = buildProgram({ stdout: process.stdout, stderr: process.stderr }, () => {});

describe('README', () => {
  it('documents every command with a section of its own', () => {
    for (const cmd of program.commands) {
      expect(README, `command ${cmd.name()}`).toContain(`### \`beslutsarkiv ${cmd.name()}`);
    }
  });

  it("documents every option of every command in that command's section", () => {
    for (const cmd of program.commands) {
      const start = README.indexOf(`### \`beslutsarkiv ${cmd.name()}`);
      const end = README.indexOf('\n### ', start + 1);
      const section = README.slice(start, end);
      for (const option of cmd.options) {
        expect(section, `${cmd.name()} ${option.long}`).toContain(`\`${option.long}`);
      }
    }
  });

  it('lists every npm script under Development', () => {
    const scripts = Object.keys((JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> }).scripts);
    const development = README.slice(README.indexOf('## Development'));
    for (const name of scripts) expect(development, name).toMatch(new RegExp(name === 'test' ? '^npm test' : `^npm run ${name}\\b`, 'm'));
  });

  it('documents every exit code', () => {
    for (const code of Object.values(EXIT)) expect(README).toMatch(new RegExp(`^\\| ${code} \\|`, 'm'));
  });

  it('has a quick start of exactly two commands: install and ingest the corpus, then the tests', () => {
    const quick = README.slice(README.indexOf('## Quick start'));
    const block = quick.slice(quick.indexOf('```sh') + 5, quick.indexOf('```', quick.indexOf('```sh') + 5)).trim();
    expect(block.split('\n')).toEqual(['npm ci && npx beslutsarkiv ingest corpus', 'npm test']);
  });
});
