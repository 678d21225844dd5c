/**
 * The HTML report in a real browser (Debian's Chromium, see test/browser.ts): its boards table sorts by
 * the column whose header is clicked (or pressed with the keyboard), says so with `aria-sort`, and
 * without JavaScript is complete, biggest first.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ingest } from '../src/pipeline.js';
import { openDatabase } from '../src/store/database.js';
import { renderReport } from '../src/query/report.js';
import { CHROMIUM, launchChromium } from './browser.js';
import { tempDir } from './helpers.js';

const list = (u: string[]) => (u.length === 1 ? u[0]! : `${u.slice(0, -1).join(', ')} och ${u[u.length - 1]}`);
const decision = (board: string, year: number, units: string[]) =>
  `Deltagande i kvalitetsutmärkelsen ${year}\n\nFörvaltningens förslag till beslut\n${board} godkänner att ${list(units)} deltar i kvalitetsutmärkelsen ${year}.\n\nSammanfattning\nDen 26 november ${year} utses vinnarna i årets kvalitetsutmärkelse.\n`;
const trees = ['Ekbacken', 'Tallen', 'Granen', 'Björken', 'Aspen', 'Lärken', 'Almen', 'Linden', 'Rönnen', 'Hasseln', 'Lönnen', 'Boken'];
/**
 * Five boards whose orders differ by every column: 12 units sorts after 4 only as a number; Idrottsnämnden
 * has two years (3 distinct units, 4 participations, a tie with Östermalm's 4).
 */
const DECISIONS: Array<[string, number, string[]]> = [
  ['Äldrenämnden', 2020, trees.map((n) => `Vård- och omsorgsboendet ${n}`)],
  ['Östermalms stadsdelsnämnd', 2019, ['Förskolan Solen', 'Förskolan Månen', 'Förskolan Stjärnan', 'Fritidsgården Kometen']],
  ['Idrottsnämnden', 2022, ['Eriksdalsbadet', 'Stadionhallen', 'Zinkensdamms idrottsplats']],
  ['Idrottsnämnden', 2023, ['Eriksdalsbadet']],
  ['Kulturnämnden', 2024, ['Biblioteket Tornet', 'Musikskolan Lyran']],
  ['Utbildningsnämnden', 2021, ['Kungsholmens gymnasium']],
];

let browser: Browser;
let page: Page;
let reportUrl: string;

/** The boards column of the report's boards table, top to bottom, as the browser shows it. */
const boardOrder = (p: Page) => p.locator('table.boards tbody tr td:first-child').allTextContents();
const sortState = (p: Page) =>
  p.locator('table.boards thead th').evaluateAll((ths) => ths.map((th) => `${th.textContent!.trim()}:${th.getAttribute('aria-sort') ?? '-'}`));
const header = (name: string) => page.getByRole('button', { name, exact: true });

describe.skipIf(!CHROMIUM)('the report in Chromium: the sortable boards table', () => {
  beforeAll(async () => {
    const dir = tempDir();
    DECISIONS.forEach(([board, year, units], i) => writeFileSync(join(dir, `${i}_${year}.txt`), decision(board, year, units)));
    const db = join(dir, 'a.sqlite');
    await ingest([dir], { db });
    const html = join(dir, 'rapport.html');
    writeFileSync(html, renderReport(openDatabase(db, { readonly: true }), { dbPath: db, htmlPath: html }));
    reportUrl = pathToFileURL(html).href;
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(reportUrl);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('starts biggest first, which the header says, and every header is a button', async () => {
    expect(await boardOrder(page)).toEqual(['Äldrenämnden', 'Östermalms stadsdelsnämnd', 'Idrottsnämnden', 'Kulturnämnden', 'Utbildningsnämnden']);
    expect(await sortState(page)).toEqual(['nämnd:-', 'år:-', 'första:-', 'senaste:-', 'rapporter:-', 'distinkta enheter:descending', 'deltaganden:-']);
    expect(await page.locator('table.boards thead th > button[type=button]').count()).toBe(7);
    expect(await page.getByText('Klicka på en kolumnrubrik för att sortera efter den.').isVisible()).toBe(true);
  });

  it('sorts by a clicked column, ascending first, then descending; names in Swedish order', async () => {
    await header('nämnd').click();
    expect(await boardOrder(page)).toEqual(['Idrottsnämnden', 'Kulturnämnden', 'Utbildningsnämnden', 'Äldrenämnden', 'Östermalms stadsdelsnämnd']);
    expect(await sortState(page)).toEqual(['nämnd:ascending', 'år:-', 'första:-', 'senaste:-', 'rapporter:-', 'distinkta enheter:-', 'deltaganden:-']);
    await header('nämnd').click();
    expect(await boardOrder(page)).toEqual(['Östermalms stadsdelsnämnd', 'Äldrenämnden', 'Utbildningsnämnden', 'Kulturnämnden', 'Idrottsnämnden']);
    expect(await page.locator('table.boards th[aria-sort]').evaluateAll((t) => t.map((th) => [th.textContent, th.getAttribute('aria-sort')]))).toEqual([
      ['nämnd', 'descending'],
    ]);
    await header('första').click();
    expect(await boardOrder(page)).toEqual(['Östermalms stadsdelsnämnd', 'Äldrenämnden', 'Utbildningsnämnden', 'Idrottsnämnden', 'Kulturnämnden']);
  });

  it('sorts numbers as numbers (12 after 4), ties in the written order', async () => {
    await header('distinkta enheter').click();
    expect(await sortState(page)).toContain('distinkta enheter:ascending');
    expect(await boardOrder(page)).toEqual(['Utbildningsnämnden', 'Kulturnämnden', 'Idrottsnämnden', 'Östermalms stadsdelsnämnd', 'Äldrenämnden']);
    await header('distinkta enheter').click();
    expect(await boardOrder(page)).toEqual(['Äldrenämnden', 'Östermalms stadsdelsnämnd', 'Idrottsnämnden', 'Kulturnämnden', 'Utbildningsnämnden']);
  });

  it('works from the keyboard: Tab to a header, Enter or Space to sort', async () => {
    await header('rapporter').focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('deltaganden');
    await page.keyboard.press('Enter');
    expect(await sortState(page)).toContain('deltaganden:ascending');
    // Idrottsnämnden and Östermalm both have 4 participations: the written order (Östermalm first) holds.
    expect(await boardOrder(page)).toEqual(['Utbildningsnämnden', 'Kulturnämnden', 'Östermalms stadsdelsnämnd', 'Idrottsnämnden', 'Äldrenämnden']);
    await page.keyboard.press('Space');
    expect(await sortState(page)).toContain('deltaganden:descending');
    expect(await boardOrder(page)).toEqual(['Äldrenämnden', 'Östermalms stadsdelsnämnd', 'Idrottsnämnden', 'Kulturnämnden', 'Utbildningsnämnden']);
  });

  it('without JavaScript the table is complete, biggest first, with plain headers and no hint to click them', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const plain = await context.newPage();
    await plain.goto(reportUrl);
    expect(await boardOrder(plain)).toEqual(['Äldrenämnden', 'Östermalms stadsdelsnämnd', 'Idrottsnämnden', 'Kulturnämnden', 'Utbildningsnämnden']);
    expect(await plain.locator('table.boards thead th button').count()).toBe(0);
    expect(await plain.getByText('Klicka på en kolumnrubrik för att sortera efter den.').isVisible()).toBe(false);
    expect(await sortState(plain)).toContain('distinkta enheter:descending');
    await context.close();
  });
});
