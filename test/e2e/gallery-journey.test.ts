/**
 * The public side in headless Chromium against the local stack: an anonymous visitor opens the
 * gallery and plays a pilot's edit, logs in from there (and comes back), votes and sees the count
 * change, finds the pilot in the rankings (all time, then the last 7 days by the period switch, then a shared
 * season address); a new pilot signs up, is refused a vote at the card until the code from the local mailbox
 * verifies the email, then votes; then the pilot unpublishes the video and it leaves the gallery. Screenshots at
 * phone and desktop widths go to test/artifacts/.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CreatedTaskResponse, PublicVideoResponse, TaskResponse, TokenResponse } from '#core/schemas';
import { CHROMIUM_ARGS, CHROMIUM_PATH, signUpInForm, verifyByKeyboard } from '#test/helpers/browser';
import { callApi, generateVideo, mailedCode, pollUntil, postUpload, signUp } from '#test/support/http-client';

const ARTIFACTS_DIR = fileURLToPath(new URL('../artifacts/', import.meta.url));
const PASSWORD = 'Gates4Life';

async function logInApi(api: string, username: string): Promise<string> {
  const response = await callApi<TokenResponse>(api, 'POST', '/auth/login', {
    body: { username, password: PASSWORD },
  });
  expect(response.status).toBe(200);
  return response.body.access_token;
}

async function logInForm(page: Page, username: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Username or email' }).fill(username);
  await page.locator('#login-password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
}

describe('the public gallery in the web console', () => {
  const stack = inject('stack');
  const tag = Date.now().toString(36);
  const pilot = `ace${tag}`;
  const voter = `fan${tag}`;
  const title = 'Heat 3 — <final> & "gate 4"';
  let workDir: string;
  let browser: Browser;
  let visitor: BrowserContext;
  let page: Page;
  let taskId: number;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'idrl-gallery-'));
    await mkdir(ARTIFACTS_DIR, { recursive: true });
    // The pilot's published edit, made through the API as any client would.
    await signUp(stack.api, pilot, PASSWORD);
    await signUp(stack.api, voter, PASSWORD);
    const token = await logInApi(stack.api, pilot);
    const source = path.join(workDir, 'heat.mp4');
    await generateVideo(stack.mediaFfmpegPath, source, { seconds: 2, width: 640, height: 360 });
    const created = await callApi<CreatedTaskResponse>(stack.api, 'POST', '/tasks', {
      token,
      body: { fileName: 'heat.mp4', contentType: 'video/mp4', size: 5_000_000, title },
    });
    expect(created.status).toBe(201);
    taskId = created.body.id;
    expect((await postUpload(created.body.upload, source, 'video/mp4')).status).toBe(204);
    const processed = await pollUntil(
      () => callApi<TaskResponse>(stack.api, 'GET', `/tasks/${taskId}`, { token }),
      (response) => response.body.status === 'processed' || response.body.status === 'failed',
      150_000,
    );
    expect(processed.body).toMatchObject({ status: 'processed', public: true, votes: 0 });

    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    visitor = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await visitor.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 200_000);

  afterAll(async () => {
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'gallery-journey-final.png'), fullPage: true });
    await browser.close();
    await rm(workDir, { recursive: true, force: true });
  });

  const card = () => page.locator(`.video-card[data-video-id="${taskId}"]`);

  it('shows the edit to an anonymous visitor, who can play it', async () => {
    // Act
    await page.goto(`${stack.console}#/gallery`);

    // Assess
    await page.getByRole('heading', { level: 1, name: 'Race gallery' }).waitFor();
    await card().waitFor();
    // The title as text (never markup), with its pilot.
    expect(await card().getByRole('heading', { level: 2 }).textContent()).toBe(title);
    expect(await card().locator('.pilot-name').textContent()).toBe(pilot);
    expect(await card().locator('.vote-count').textContent()).toBe('0 votes');
    expect(await card().locator('.view-count').textContent()).toBe('0 views');
    expect(await card().getByRole('button').textContent()).toBe('Log in to vote');
    expect(await page.locator('#site-nav a[aria-current="page"]').textContent()).toBe('Gallery');

    // Act: play
    const player = card().locator('video');
    await player.evaluate((video: HTMLVideoElement) => video.play());

    // Assess
    await expect
      .poll(() => player.evaluate((video: HTMLVideoElement) => video.currentTime), { timeout: 30_000 })
      .toBeGreaterThan(0);
    expect(await player.evaluate((video: HTMLVideoElement) => [video.videoWidth, video.videoHeight])).toEqual(
      [1280, 720],
    );
    await player.evaluate((video: HTMLVideoElement) => {
      video.pause();
    });

    // Assess: the play was reported through the route, the views queue and its consumer; the next read shows it.
    const counted = await pollUntil(
      () => callApi<PublicVideoResponse>(stack.api, 'GET', `/public/videos/${taskId}`),
      (response) => response.body.views > 0,
      30_000,
    );
    expect(counted.body.views).toBe(1);
    // The video's own page reads it afresh (the gallery list the browser just read may be served from its cache).
    await page.goto(`${stack.console}#/gallery/${taskId}`);
    await expect.poll(() => card().locator('.view-count').textContent(), { timeout: 10_000 }).toBe('1 view');
    await page.goto(`${stack.console}#/gallery`);
    await card().waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'gallery-1280.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'gallery-390.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('logs in from the gallery, comes back to it, votes and sees the count change', async () => {
    // Act
    await card().getByRole('button', { name: 'Log in to vote' }).click();
    await logInForm(page, voter);

    // Assess
    await page.getByRole('heading', { level: 1, name: 'Race gallery' }).waitFor();
    const vote = card().getByRole('button', { name: `Vote for ${pilot}` });
    // Enabled once the API said whether this pilot voted (GET /api/me/votes).
    await expect.poll(() => vote.getAttribute('aria-disabled')).toBeNull();

    // Act
    await vote.focus();
    await page.keyboard.press('Enter');

    // Assess: the visible text is part of the name (WCAG 2.5.3), and focus stays on the button.
    await expect.poll(() => card().locator('.vote-count').textContent()).toBe('1 vote');
    const voted = card().getByRole('button', { name: `Voted — withdraw your vote for ${pilot}` });
    expect(await voted.evaluate((button) => button === document.activeElement)).toBe(true);
    await expect.poll(() => page.locator('#announcer').textContent()).toBe('Vote counted. 1 vote.');
    await card().screenshot({ path: path.join(ARTIFACTS_DIR, 'gallery-voted-1280.png') });
  });

  it('shows the vote as cast in a second browser (from the server, not this browser), and no Vote on one’s own video', async () => {
    // Prepare
    const second = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    await second.goto(`${stack.console}#/login`);
    await logInForm(second, voter);
    await second.getByRole('heading', { level: 1, name: 'Your race videos' }).waitFor();
    const own = await (await browser.newContext()).newPage();
    await own.goto(`${stack.console}#/login`);
    await logInForm(own, pilot);
    await own.getByRole('heading', { level: 1, name: 'Your race videos' }).waitFor();

    // Act
    await second.goto(`${stack.console}#/gallery`);
    await own.goto(`${stack.console}#/gallery`);

    // Assess
    const secondCard = second.locator(`.video-card[data-video-id="${taskId}"]`);
    await secondCard.getByRole('button', { name: `Voted — withdraw your vote for ${pilot}` }).waitFor();
    const ownCard = own.locator(`.video-card[data-video-id="${taskId}"]`);
    await ownCard.waitFor();
    expect(await ownCard.locator('.own-video').textContent()).toBe('Your video');
    expect(await ownCard.getByRole('button').count()).toBe(0);
    await second.context().close();
    await own.context().close();
  });

  it("opens the pilot's page from the card: their standing and the titled video", async () => {
    // Act
    await page.setViewportSize({ width: 1280, height: 900 });
    await card().getByRole('link', { name: pilot }).click();

    // Assess
    await page.getByRole('heading', { level: 1, name: pilot }).waitFor();
    await expect
      .poll(() => page.locator('.pilot-standing').textContent())
      .toMatch(/^Rank \d+ · 1 vote on their/);
    expect(await page.locator(`.video-card[data-video-id="${taskId}"] h2`).textContent()).toBe(title);
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'pilot-1280.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'pilot-390.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('finds the pilot in the rankings with that vote', async () => {
    // Act
    await page.getByRole('link', { name: 'Rankings', exact: true }).click();

    // Assess
    await page.getByRole('heading', { level: 1, name: 'Pilot rankings' }).waitFor();
    const row = page.locator(`tr[data-pilot="${pilot}"]`);
    await row.waitFor();
    expect(await row.locator('td').allTextContents()).toEqual([expect.stringMatching(/^\d+$/), '1', '1']);
    expect(await page.locator('.period-description').textContent()).toBe(
      'Every vote on their published videos.',
    );
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'rankings-1280.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'rankings-390.png'), fullPage: true });

    // Act: the last 7 days, chosen with the keyboard; the address names the period
    const periods = page.getByRole('navigation', { name: 'Rankings period' });
    const week = periods.getByRole('link', { name: '7 days' });
    await week.focus();
    await page.keyboard.press('Enter');

    // Assess: today's vote counts in the week, and the page says from when
    await page.waitForURL(/#\/rankings\/week$/);
    await page
      .locator('.period-description', {
        hasText: /^Votes cast in the last 7 days, since \d{1,2} \w{3} \d{4} \(UTC\)\.$/,
      })
      .waitFor();
    expect(await row.locator('td').allTextContents()).toEqual([expect.stringMatching(/^\d+$/), '1', '1']);
    expect(await week.getAttribute('aria-current')).toBe('page');
    expect(await periods.getByRole('link', { name: 'All time' }).getAttribute('aria-current')).toBeNull();
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'rankings-week-390.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'rankings-week-1280.png'), fullPage: true });

    // Act: a shared address opens its period (this stack configures no season: the season is all time so far)
    await page.goto(`${stack.console}#/rankings/season`);

    // Assess
    await page.locator('.period-description', { hasText: 'no season has started yet' }).waitFor();
    expect(await periods.getByRole('link', { name: 'Season' }).getAttribute('aria-current')).toBe('page');
    expect(await row.locator('td').allTextContents()).toEqual([expect.stringMatching(/^\d+$/), '1', '1']);
    // Every pilot name links to the pilot's page.
    await row.getByRole('link', { name: pilot }).click();
    await page.getByRole('heading', { level: 1, name: pilot }).waitFor();
  });

  it.each([390, 1280])(
    'signs a pilot up, refuses its vote at the card until the mailed code verifies the email, then counts it (%i px)',
    async (width) => {
      // Prepare: a new pilot signs up in the console, logs in (not verified yet) and opens the gallery.
      const fresh = `new${width}${tag}`;
      const email = `${fresh}@example.com`;
      const own = await (await browser.newContext({ viewport: { width, height: 844 } })).newPage();
      own.on('pageerror', (error) => pageErrors.push(error.message));
      await own.goto(`${stack.console}#/login`);
      await signUpInForm(own, fresh, email, PASSWORD);
      await own.getByText(`Account ${fresh} created.`).waitFor();
      await logInForm(own, fresh);
      await own.getByRole('heading', { level: 1, name: 'Your race videos' }).waitFor();
      await own.goto(`${stack.console}#/gallery`);
      const banner = own.getByRole('region', { name: 'Verify your email' });
      await banner.waitFor();
      const freshCard = own.locator(`.video-card[data-video-id="${taskId}"]`);
      const vote = freshCard.getByRole('button', { name: `Vote for ${pilot}` });
      await expect.poll(() => vote.getAttribute('aria-disabled')).toBeNull();
      const before = Number(await freshCard.locator('.vote-count').getAttribute('data-votes'));

      // Act: by keyboard, as in the voter's step.
      await vote.focus();
      await own.keyboard.press('Enter');

      // Assess: the API's 403 message at the card, with a way to the code; nothing counted.
      const refusal = freshCard.getByRole('alert');
      await expect
        .poll(() => refusal.textContent())
        .toBe(
          'Verify your email address to vote: enter the code we emailed you (or ask for a new one)\nEnter the code',
        );
      expect(await freshCard.locator('.vote-count').getAttribute('data-votes')).toBe(String(before));
      expect(await vote.textContent()).toBe(`Vote for ${pilot}`);
      await own.screenshot({
        path: path.join(ARTIFACTS_DIR, `gallery-vote-unverified-${width}.png`),
        fullPage: true,
      });

      // Act: to the banner's code field from the card, the mailed code typed there, submitted — all by keyboard.
      await own.keyboard.press('Tab');
      expect(await own.evaluate(() => document.activeElement?.textContent)).toBe('Enter the code');
      await own.keyboard.press('Enter');
      await verifyByKeyboard(own, await mailedCode(stack.api, email));

      // Assess: verified; the same vote is counted and the card says so.
      expect(await banner.count()).toBe(0);
      await expect.poll(() => vote.getAttribute('aria-disabled')).toBeNull();
      await vote.click();
      await freshCard.getByRole('button', { name: `Voted — withdraw your vote for ${pilot}` }).waitFor();
      expect(await freshCard.locator('.vote-count').getAttribute('data-votes')).toBe(String(before + 1));
      expect(await freshCard.getByRole('alert').count()).toBe(0);
      await own.context().close();
    },
  );

  it('lets the pilot see the vote and unpublish; the video leaves the gallery', async () => {
    // Prepare
    const own = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    await own.goto(stack.console);
    await logInForm(own, pilot);
    await own.getByRole('heading', { level: 1, name: 'Your race videos' }).waitFor();
    await own.goto(`${stack.console}#/tasks/${taskId}`);
    const publish = own.getByRole('switch', { name: 'Show in the public gallery' });
    await publish.waitFor();
    // The voter's vote and the two pilots' who voted once verified.
    expect(await own.locator('.publication .vote-count').textContent()).toBe('3 votes');
    expect(await publish.isChecked()).toBe(true);
    const publicLink = (await own.locator('.public-link a').getAttribute('href')) ?? '';
    expect(publicLink).toBe(new URL(`/v/${taskId}`, stack.console).href);
    // The shared address carries link-preview tags, escaped (docs/spec.md §9).
    const shared = await own.request.get(publicLink);
    expect(shared.headers()['content-type']).toBe('text/html; charset=utf-8');
    const html = await shared.text();
    expect(html).toContain(
      '<meta property="og:title" content="Heat 3 — &lt;final&gt; &amp; &quot;gate 4&quot;">',
    );
    expect(html).toMatch(/<meta property="og:image" content="http[^"]+thumbnail\.jpg[^"]*">/);
    expect(html).toContain('<meta name="twitter:card" content="summary_large_image">');
    await own.screenshot({ path: path.join(ARTIFACTS_DIR, 'task-publication-390.png'), fullPage: true });
    // The lasting link opens the console on the video in a browser that has never seen it, with fresh media URLs.
    const visitor = await (await browser.newContext()).newPage();
    await visitor.goto(publicLink);
    await visitor.getByRole('heading', { level: 1, name: title }).waitFor();
    const media = (await visitor.locator('.video-card video').getAttribute('src')) ?? '';
    expect((await visitor.request.get(media)).status()).toBe(200);

    // Act
    await publish.click();

    // Assess
    await expect
      .poll(() => own.locator('.publication .hint').textContent())
      .toBe('Only you can see this video.');
    expect(await publish.isChecked()).toBe(false);
    const fresh = await (await browser.newContext()).newPage();
    await fresh.goto(`${stack.console}#/gallery`);
    await fresh.getByRole('heading', { level: 1, name: 'Race gallery' }).waitFor();
    await expect.poll(() => fresh.locator('.gallery').getAttribute('aria-busy')).toBe('false');
    expect(await fresh.locator(`.video-card[data-video-id="${taskId}"]`).count()).toBe(0);
    // A new browser: public answers may be cached for 30 s where they were read (docs/api.md, "Caching").
    const later = await (await browser.newContext()).newPage();
    await later.goto(publicLink);
    await expect
      .poll(() => later.locator('body').textContent())
      .toContain('This video is not in the gallery (any more).');
    expect(pageErrors).toEqual([]);
  });
});
