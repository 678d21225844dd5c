/**
 * `beslutsarkiv serve` end to end in Debian's Chromium (test/browser.ts), over the corpus plus a
 * hostile document: an analyst's and an archivist's way through the app (trends, a board filter, a
 * unit, its document, the evidence, a correction that shows in the chart, a search without å/ä/ö),
 * document text rendered inert, and the access token off loopback. The selectors are the contract in
 * the web app's brief (`data-testid`s, `data-path`, `data-year`/`data-value`).
 *
 * `UPDATE_SCREENSHOTS=1` also writes the README's screenshots (docs/screenshots/*.png, 1280×800).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ingest, serve } from '../src/index.js';
import { CHROMIUM, launchChromium } from './browser.js';
import { tempDir } from './helpers.js';

const ROOT = resolve(__dirname, '..');
const SHOTS = join(ROOT, 'docs', 'screenshots');
const UPDATE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1';
const BOARD = 'Södermalms stadsdelsnämnd';

/**
 * Document text is untrusted: markup, an attribute break-out and script links, in a real participation
 * report. (Upper-case IMG and numbers in the alerts: the repair stage rewrites the words `img`, `svg` and
 * `link` as if they were damaged Swedish, and the payloads must reach the page as written.)
 */
const HOSTILE = `Deltagande i kvalitetsutmärkelsen 2021

Förvaltningens förslag till beslut
Kulturnämnden godkänner att Biblioteket Tornet och Musikskolan Lyran deltar i kvalitetsutmärkelsen 2021.

Sammanfattning
Den 25 november 2021 utses vinnarna i årets kvalitetsutmärkelse. <script>alert("script")</script>
Läs mer: "><IMG SRC=x onerror=alert(2)> och <a href="javascript:alert(3)">klicka här</a>,
eller [klicka](javascript:alert(4)) eller javascript:alert(5).
`;

let browser: Browser;
let page: Page;
let base: string;
let close: () => Promise<void>;
let db: string;
const dialogs: string[] = [];
/** The trends page filtered by board and class, as the filter form left it (a shareable link). */
let filtered: string;

async function shot(name: string) {
  if (!UPDATE_SCREENSHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

/** The participation chart's bars as year → value. */
async function chartValues(p: Page): Promise<Record<string, number>> {
  const points = await p.locator('svg[data-testid=chart-participation] [data-year]').evaluateAll((els) =>
    els.map((e) => [e.getAttribute('data-year')!, Number(e.getAttribute('data-value'))] as const),
  );
  return Object.fromEntries(points);
}

/** Whether an element is on screen (scrolled into the viewport), as after following a link to it. */
const inViewport = (p: Page, selector: string) =>
  p.locator(selector).evaluate((e) => {
    const r = e.getBoundingClientRect();
    return r.height > 0 && r.bottom > 0 && r.top < window.innerHeight;
  });

/** No element the document's text could have made: no inline handlers, no unknown scripts, no script links. */
const injected = (p: Page) =>
  p.evaluate(() => ({
    onerror: document.querySelectorAll('img[onerror], [onerror]').length,
    inlineScripts: [...document.querySelectorAll('script')].filter((s) => !s.src || !new URL(s.src).pathname.startsWith('/static/')).length,
    scriptLinks: document.querySelectorAll('a[href^="javascript:" i], [src^="javascript:" i]').length,
    images: [...document.querySelectorAll('img')].filter((i) => /^x$/i.test(i.getAttribute('src') ?? '')).length,
  }));

/** Form fields a screen reader could not name (no <label>, aria-label or aria-labelledby). */
const unlabelled = (p: Page) =>
  p.evaluate(() =>
    [...document.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>('input:not([type=hidden]), select, textarea')]
      .filter((f) => !f.labels?.length && !f.getAttribute('aria-label') && !f.getAttribute('aria-labelledby'))
      .map((f) => f.name || f.outerHTML.slice(0, 80)),
  );

describe.skipIf(!CHROMIUM)('beslutsarkiv serve in Chromium', () => {
  beforeAll(async () => {
    const dir = tempDir();
    const hostile = join(dir, 'inkommet');
    mkdirSync(hostile);
    writeFileSync(join(hostile, 'kulturnamnden_2021.txt'), HOSTILE);
    db = join(dir, 'beslutsarkiv.sqlite');
    await ingest([join(ROOT, 'corpus'), hostile], { db });
    const server = await serve({ db, port: 0 });
    base = server.url.replace(/\/$/, '');
    close = server.close;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  });

  afterAll(async () => {
    await browser?.close();
    await close?.();
  });

  it('opens on the trends, with the participation chart, labelled filters and secure headers', async () => {
    const response = await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe('/trends');
    expect(response!.status()).toBe(200);
    const headers = response!.headers();
    expect(headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(headers['content-security-policy']).not.toMatch(/unsafe-inline/);
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(await page.locator('html').getAttribute('lang')).toBe('sv');
    // Corpus: 2012, 2017, 2023, 2024 Socialnämnden, 2024 Södermalm; the hostile report is Kulturnämnden 2021.
    expect(await chartValues(page)).toMatchObject({ 2012: 3, 2021: 2, 2024: 6 });
    expect(await page.locator('table[data-testid=table-participation]').count()).toBe(1);
    expect(await unlabelled(page)).toEqual([]);
    await shot('trends');
  });

  it('filters by board through the form, the filter kept in the URL', async () => {
    const form = page.locator('form[data-testid=filters]');
    await form.locator('select[name=board]').selectOption(BOARD);
    await Promise.all([page.waitForURL(/board=/), form.locator('[type=submit]').click()]);
    expect(new URL(page.url()).searchParams.get('board')).toBe(BOARD);
    expect(await chartValues(page)).toEqual({ 2024: 4 });
    const csv = page.locator('a[data-testid=download-csv]').first();
    expect(new URL((await csv.getAttribute('href'))!, base).searchParams.get('board')).toBe(BOARD);
    // The units without a class ("Klass ej angiven"): all four of Södermalm's.
    await form.locator('select[name=class]').selectOption('unknown');
    await Promise.all([page.waitForURL(/class=unknown/), form.locator('[type=submit]').click()]);
    expect(await chartValues(page)).toEqual({ 2024: 4 });
    filtered = page.url();
  });

  it('finds a unit by a name typed without å/ä/ö and opens its history, then its document', async () => {
    await page.goto(`${base}/units`);
    const form = page.locator('form[data-testid=unit-search]');
    await form.locator('input[name=q]').fill('relationsvardscentrum');
    await Promise.all([page.waitForURL(/q=/), form.locator('input[name=q]').press('Enter')]);
    const link = page.locator('a[data-testid=unit-link]', { hasText: 'Relationsvårdscentrum Innerstaden' });
    await Promise.all([page.waitForURL(/\/units\/\d+/), link.click()]);
    const history = page.locator('table[data-testid=unit-history]');
    expect(await history.locator('tbody tr').count()).toBe(1);
    expect(await history.textContent()).toMatch(/2024[\s\S]*Södermalms stadsdelsnämnd/);
    await shot('unit');
    await Promise.all([page.waitForURL(/\/documents\/[0-9a-f]{64}/), history.locator('a[data-testid=document-link]').click()]);
    expect(await page.locator('[data-testid=value][data-path="year"]').textContent()).toBe('2024');
    expect(await unlabelled(page)).toEqual([]);
  });

  it('highlights a value\'s evidence in the page text when its link is followed', async () => {
    const row = page.locator('tr', { has: page.locator('[data-testid=value][data-path="units[0].name"]') });
    expect((await row.locator('[data-testid=value]').first().textContent())?.trim()).toBe('Södermalms dagverksamheter, förebyggande enheten');
    const link = row.locator('a[data-testid=evidence-link]');
    const target = (await link.getAttribute('href'))!;
    expect(target).toMatch(/^#evidence-\d+$/);
    await link.click();
    const mark = page.locator(`section[data-testid=page-text] mark[data-testid=evidence]${target}`);
    await mark.waitFor({ state: 'visible' });
    expect(await mark.textContent()).toContain('Södermalms dagverksamheter');
    expect(await inViewport(page, `mark${target}`)).toBe(true);
    expect(new URL(page.url()).hash).toBe(target);
    if (UPDATE_SCREENSHOTS) await mark.evaluate((e) => e.scrollIntoView({ block: 'center' }));
    await shot('document');
  });

  it('corrects a unit\'s class through the form, and the trend chart changes at once', async () => {
    const form = page.locator('form[data-testid=correct]');
    await form.locator('[name=path]').selectOption('units[0].class');
    await form.locator('[name=value]').fill('aldreomsorg');
    await form.locator('[name=reason]').fill('dagverksamhet för äldre (e2e-test)');
    expect(await form.locator('input[type=hidden][name=csrf]').getAttribute('value')).toBeTruthy();
    await Promise.all([page.waitForURL(/\/documents\/[0-9a-f]{64}/), form.locator('button[type=submit]').click()]);
    await page.locator('[data-testid=notice]').waitFor({ state: 'visible' });
    expect(await page.locator('[data-testid=notice]').textContent()).toContain('aldreomsorg');
    expect(await page.locator('[data-testid=value][data-path="units[0].class"]').textContent()).toBe('aldreomsorg');

    await page.goto(filtered);
    expect(await page.locator('form[data-testid=filters] select[name=board]').inputValue()).toBe(BOARD);
    expect(await chartValues(page)).toEqual({ 2024: 3 });
    await page.goto(`${base}/trends?board=${encodeURIComponent(BOARD)}&class=aldreomsorg`);
    expect(await chartValues(page)).toEqual({ 2024: 1 });
  });

  it('shows the review queue, each row linking its document', async () => {
    await page.goto(`${base}/review`);
    const queue = page.locator('table[data-testid=review-queue]');
    const rows = await queue.locator('tbody tr').count();
    expect(rows).toBeGreaterThan(0);
    expect(await queue.locator('tbody tr a[data-testid=document-link][href^="/documents/"]').count()).toBe(rows);
    await shot('review');
  });

  it('searches "forvaltning" and finds "förvaltningen", with a link to the page', async () => {
    await page.goto(`${base}/search`);
    const form = page.locator('form[data-testid=search]');
    await form.locator('input[name=q]').fill('forvaltning');
    await Promise.all([page.waitForURL(/q=forvaltning/), form.locator('input[name=q]').press('Enter')]);
    const hits = page.locator('[data-testid=search-hit]');
    expect(await hits.count()).toBeGreaterThan(0);
    expect(await unlabelled(page)).toEqual([]);
    expect(await hits.first().locator('a[href*="/documents/"]').first().getAttribute('href')).toMatch(/^\/documents\/[0-9a-f]{64}#page-\d+$/);
    await shot('search');
    // The word typed without å/ä/ö finds its inflected forms: corpus 000 says "Förvaltningen" (and
    // "Förvaltningens") but never "förvaltning"; its hit marks such a word, and its page has "förvaltningen".
    const hit = hits.filter({ hasText: '000_32a9fff0cf960181.txt' });
    expect(await hit.count()).toBe(1);
    expect((await hit.locator('mark').first().textContent())?.toLowerCase()).toMatch(/^förvaltning\p{L}+$/u);
    await Promise.all([page.waitForURL(/\/documents\/[0-9a-f]{64}#page-\d+$/), hit.locator('a[href*="/documents/"]').first().click()]);
    expect(await page.locator('section[data-testid=page-text]').textContent()).toMatch(/förvaltningen/i);
  });

  it('renders the hostile document inert: its markup is text, no script runs, no element is made', async () => {
    await page.goto(`${base}/search?q=onerror`);
    expect(await injected(page)).toEqual({ onerror: 0, inlineScripts: 0, scriptLinks: 0, images: 0 });
    await page.goto(`${base}/documents?year=2021`);
    const link = page.locator('a[data-testid=document-link]', { hasText: 'kulturnamnden_2021.txt' });
    await Promise.all([page.waitForURL(/\/documents\/[0-9a-f]{64}/), link.click()]);
    const text = page.locator('section[data-testid=page-text]');
    const shown = (await text.textContent()) ?? '';
    expect(shown).toContain('<script>alert("script")</script>');
    expect(shown).toContain('"><IMG SRC=x onerror=alert(2)>');
    expect(shown).toContain('<a href="javascript:alert(3)">klicka här</a>');
    expect(shown).toContain('[klicka](javascript:alert(4))');
    expect(await injected(page)).toEqual({ onerror: 0, inlineScripts: 0, scriptLinks: 0, images: 0 });
    // Its evidence marks go around escaped text, and still nothing runs.
    await page.locator('a[data-testid=evidence-link]').first().click();
    expect(await injected(page)).toEqual({ onerror: 0, inlineScripts: 0, scriptLinks: 0, images: 0 });
    // A value an archivist types is shown as text too: in the record, the notice, the review queue, unit search.
    const form = page.locator('form[data-testid=correct]');
    await form.locator('[name=path]').selectOption('units[1].name');
    await form.locator('[name=value]').fill(`Musikskolan Lyran"><IMG SRC=x onerror=alert(8)><script>alert(9)</script>`);
    await Promise.all([page.waitForURL(/saved=/), form.locator('button[type=submit]').click()]);
    expect(await page.locator('[data-testid=value][data-path="units[1].name"]').textContent()).toBe(`Musikskolan Lyran"><IMG SRC=x onerror=alert(8)><script>alert(9)</script>`);
    expect(await injected(page)).toEqual({ onerror: 0, inlineScripts: 0, scriptLinks: 0, images: 0 });
    for (const path of ['/review', '/units?q=musikskolan', '/trends?board=Kulturn%C3%A4mnden', '/documents?year=2021']) {
      await page.goto(`${base}${path}`);
      expect(await injected(page), path).toEqual({ onerror: 0, inlineScripts: 0, scriptLinks: 0, images: 0 });
    }
    await page.waitForTimeout(200);
    expect(dialogs).toEqual([]);
  });

  it('off loopback, wants the access token on every request: 401 without it, 200 with it', async () => {
    const token = 'e2e-access-token-4f9c1d';
    const open = await serve({ db, host: '0.0.0.0', port: 0, token });
    try {
      const port = new URL(open.url).port;
      expect(open.url).toContain(`?token=${token}`);
      const local = `http://127.0.0.1:${port}`;
      const without = await fetch(`${local}/trends`, { redirect: 'manual' });
      expect(without.status).toBe(401);
      expect(await without.text()).toMatch(/token/i);
      expect((await fetch(`${local}/trends?token=wrong-${token}`, { redirect: 'manual' })).status).toBe(401);
      expect((await fetch(`${local}/static/nothing.css`, { redirect: 'manual' })).status).toBe(401);
      // With it: the page, and a cookie (HttpOnly, SameSite=Strict) that carries the token from then on.
      const context = await browser.newContext();
      const p = await context.newPage();
      const first = await p.goto(`${local}/trends?token=${token}`);
      expect(first!.status()).toBe(200);
      expect(await p.locator('svg[data-testid=chart-participation]').count()).toBe(1);
      const cookie = (await context.cookies()).find((c) => c.value === token);
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
      expect((await p.goto(`${local}/units`))!.status()).toBe(200);
      await context.close();
      // A generated token when none is given.
      const generated = await serve({ db, host: '0.0.0.0', port: 0 });
      try {
        expect(generated.token).toMatch(/^\S{16,}$/);
        expect(generated.url).toContain(`?token=${encodeURIComponent(generated.token!)}`);
        expect((await fetch(`http://127.0.0.1:${new URL(generated.url).port}/trends`)).status).toBe(401);
      } finally {
        await generated.close();
      }
    } finally {
      await open.close();
    }
  });

  it('refuses a review POST without the CSRF token (403), saving nothing', async () => {
    await page.goto(`${base}/documents`);
    const target = /\/documents\/([0-9a-f]{64})/.exec((await page.locator('a[data-testid=document-link]').first().getAttribute('href'))!)![1];
    const r = await page.request.post(`${base}/documents/${target}/corrections`, { form: { path: 'year', value: '1999', reason: 'no csrf' }, maxRedirects: 0 });
    expect(r.status()).toBe(403);
    await page.goto(`${base}/documents/${target}`);
    expect(await page.locator('[data-testid=value][data-path="year"]').textContent()).not.toBe('1999');
  });
});
