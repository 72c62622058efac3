/**
 * The public side in headless Chromium against the local stack: an anonymous visitor opens the
 * gallery and plays a pilot's edit, logs in from there (and comes back), votes and sees the count
 * change, finds the pilot in the rankings (all time, then the last 7 days by the period switch, then a shared
 * season address); the fan reports the video, a league admin sees the report in #/admin and hides the video with a
 * reason, it leaves the gallery and its owner sees why, and the admin restores it; a new pilot signs up, is refused a
 * vote at the card until the code from the local mailbox verifies the email, then votes; then the pilot unpublishes
 * the video and it leaves the gallery. Screenshots at phone and desktop widths go to test/artifacts/.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CreatedTaskResponse, PublicVideoResponse, TaskResponse, TokenResponse } from '#core/schemas';
import { CHROMIUM_ARGS, CHROMIUM_PATH, signUpInForm, verifyByKeyboard } from '#test/helpers/browser';
import { grantLeagueAdmin } from '#test/helpers/league-admins';
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
  const admin = `ref${tag}`;
  const hideReason = 'Not a race: a cat chasing a drone';
  const title = 'Heat 3 — <final> & "gate 4"';
  let workDir: string;
  let browser: Browser;
  let visitor: BrowserContext;
  let page: Page;
  let adminPage: Page;
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
    // A visitor is asked to log in for each action, never shown one that would fail.
    expect(await card().getByRole('button').allTextContents()).toEqual([
      'Log in to vote',
      'Log in to report',
    ]);
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

  it('lets a fan report the video from its card with the keyboard (Escape cancels), and only once', async () => {
    // Prepare: a phone
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${stack.console}#/gallery`);
    const report = card().getByRole('button', { name: `Report ${title}` });
    const dialog = page.getByRole('dialog', { name: `Report “${title}”` });
    const isFocused = (element: HTMLElement | SVGElement) => element === document.activeElement;

    // Act: open it from the keyboard, then Escape
    await report.focus();
    await page.keyboard.press('Enter');

    // Assess: focus goes into the dialog, on the first reason; Escape closes it and focus comes back
    await dialog.waitFor();
    expect(await dialog.getByRole('radio', { name: 'Spam' }).evaluate(isFocused)).toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await report.evaluate(isFocused)).toBe(true);

    // Act: again, "Not a race" with the arrow keys, details, then Tab to Report
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Tab');
    await page.keyboard.type('A cat chasing a drone, no race');
    expect(await dialog.getByRole('radio', { name: 'Not a race' }).isChecked()).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'report-dialog-390.png') });
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await dialog.getByRole('button', { name: 'Report', exact: true }).evaluate(isFocused)).toBe(true);
    await page.keyboard.press('Enter');

    // Assess: the answer at the card; the button says it is done and keeps focus
    await expect.poll(() => card().locator('.card-status').textContent()).toBe('Reported — thank you.');
    expect(await dialog.isVisible()).toBe(false);
    const reported = card().getByRole('button', { name: `Reported ${title}` });
    expect(await reported.getAttribute('aria-disabled')).toBe('true');
    expect(await reported.evaluate(isFocused)).toBe(true);

    // Act: a reloaded page offers Report again; the API remembers the first (at 1280 px)
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.reload();
    await report.click();
    await dialog.getByRole('radio', { name: 'Spam' }).check();
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'report-dialog-1280.png') });
    await dialog.getByRole('button', { name: 'Report', exact: true }).click();

    // Assess
    await expect
      .poll(() => card().locator('.card-status').textContent())
      .toBe('You already reported this video.');
  });

  it('shows the report to a league admin in #/admin, who hides the video with a reason; others are refused', async () => {
    // Prepare: an admin, made so in the stack's Cognito before logging in (the token then names the group)
    await signUp(stack.api, admin, PASSWORD);
    await grantLeagueAdmin(stack.banner, admin);
    adminPage = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    adminPage.on('pageerror', (error) => pageErrors.push(error.message));
    const isFocused = (element: HTMLElement | SVGElement) => element === document.activeElement;

    // Act: the address, then the login it asks for
    await adminPage.goto(`${stack.console}#/admin`);
    await logInForm(adminPage, admin);

    // Assess: the video with its report, oldest first, and the link that only admins get
    await adminPage.getByRole('heading', { level: 1, name: 'League admin' }).waitFor();
    const item = adminPage.locator(`#admin-queue li[data-video-id="${taskId}"]`);
    await item.waitFor();
    await expect
      .poll(() => adminPage.locator('#site-nav a[aria-current="page"]').textContent())
      .toBe('Admin');
    expect(await item.getByRole('heading', { level: 3 }).textContent()).toBe(title);
    expect(await item.locator('.card-pilot').textContent()).toBe(`Video ${taskId} by ${pilot} · Published`);
    expect(await item.locator('.report-summary').textContent()).toBe('1 report: Not a race × 1');
    expect(await item.locator('.report-texts li').allTextContents()).toEqual([
      expect.stringMatching(new RegExp(`^${voter} · Not a race · .+A cat chasing a drone, no race$`)),
    ]);
    const reason = item.getByRole('textbox', { name: 'Reason for hiding (the pilot reads it)' });
    expect(await reason.inputValue()).toBe('Not a race');
    await adminPage.screenshot({ path: path.join(ARTIFACTS_DIR, 'admin-queue-1280.png'), fullPage: true });

    // Act: an admin cannot suspend themselves; annulling asks first, and Escape keeps the votes
    await adminPage.getByRole('textbox', { name: "Pilot's username" }).fill(admin);
    await adminPage.getByRole('textbox', { name: 'Reason (for suspending and annulling)' }).fill('A test');
    await adminPage.getByRole('button', { name: 'Suspend pilot' }).click();
    await expect
      .poll(() => adminPage.locator('#admin-pilot-alert').textContent())
      .toBe('You cannot suspend yourself');
    const annul = adminPage.getByRole('button', { name: 'Annul votes…' });
    await annul.focus();
    await adminPage.keyboard.press('Enter');
    const confirm = adminPage.getByRole('dialog', { name: `Annul every vote ${admin} has cast?` });
    await confirm.waitFor();
    expect(await confirm.getByRole('button', { name: 'Keep the votes' }).evaluate(isFocused)).toBe(true);
    await adminPage.keyboard.press('Escape');
    await confirm.waitFor({ state: 'hidden' });
    expect(await annul.evaluate(isFocused)).toBe(true);

    // Act: on a phone, from the keyboard: the reason edited, Enter hides
    await adminPage.setViewportSize({ width: 390, height: 844 });
    await adminPage.screenshot({ path: path.join(ARTIFACTS_DIR, 'admin-queue-390.png'), fullPage: true });
    await reason.focus();
    await reason.fill(hideReason);
    await adminPage.keyboard.press('Enter');

    // Assess: said where the admin acted (focus there, as the video left the queue), the queue and log read again
    const result = adminPage.locator('#admin-queue .notice');
    await expect.poll(() => result.textContent()).toBe(`Hid “${title}” (video ${taskId}): ${hideReason}`);
    expect(await result.evaluate(isFocused)).toBe(true);
    expect(await item.count()).toBe(0);
    await adminPage.locator(`#admin-hidden li[data-video-id="${taskId}"]`).waitFor();
    expect(
      await adminPage.locator('#admin-audit tbody tr').first().locator('td, th').allTextContents(),
    ).toEqual([
      expect.stringMatching(/\d/),
      admin,
      'Hidden',
      `Video ${taskId} Restore video ${taskId}`,
      hideReason,
    ]);
    await adminPage
      .locator('#admin-audit')
      .screenshot({ path: path.join(ARTIFACTS_DIR, 'admin-audit-390.png') });
    await adminPage.setViewportSize({ width: 1280, height: 900 });
    await adminPage
      .locator('#admin-audit')
      .screenshot({ path: path.join(ARTIFACTS_DIR, 'admin-audit-1280.png') });

    // Act: a pilot who is no admin types the address
    await page.goto(`${stack.console}#/admin`);

    // Assess: told so, and no Admin link (the API refused the queue: 403)
    await page.locator('.admin-page .alert', { hasText: "This page is for the league's admins" }).waitFor();
    expect(await page.locator('#site-nav a[href="#/admin"]').isVisible()).toBe(false);
  });

  it('takes the hidden video off the public side and tells its owner why', async () => {
    // Act
    const fresh = await (await browser.newContext()).newPage();
    await fresh.goto(`${stack.console}#/gallery`);
    const own = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    await own.goto(stack.console);
    await logInForm(own, pilot);

    // Assess: gone from the gallery and its address
    await fresh.getByRole('heading', { level: 1, name: 'Race gallery' }).waitFor();
    await expect.poll(() => fresh.locator('.gallery').getAttribute('aria-busy')).toBe('false');
    expect(await fresh.locator(`.video-card[data-video-id="${taskId}"]`).count()).toBe(0);
    expect((await callApi(stack.api, 'GET', `/public/videos/${taskId}`)).status).toBe(404);
    // The owner reads the league's reason in the list and on the video's page
    const listed = own.locator(`li[data-task-id="${taskId}"] .hidden-reason`);
    await expect.poll(() => listed.textContent()).toBe(`Hidden by the league: ${hideReason}`);
    await own.goto(`${stack.console}#/tasks/${taskId}`);
    await expect
      .poll(() => own.locator('.hidden-by-league .hidden-reason').textContent())
      .toBe(`Hidden by the league: ${hideReason}`);
    expect(await own.locator('.publication .hint').textContent()).toBe(
      'Hidden by the league: it stays out of the gallery whatever this switch says.',
    );
    await own.screenshot({ path: path.join(ARTIFACTS_DIR, 'task-hidden-390.png'), fullPage: true });
    await fresh.context().close();
    await own.context().close();
  });

  it('lets the admin restore it from the videos hidden after reports: back in the gallery with its vote', async () => {
    // Act: on a phone, from the keyboard
    await adminPage.setViewportSize({ width: 390, height: 844 });
    const restore = adminPage
      .locator('#admin-hidden')
      .getByRole('button', { name: `Restore video ${taskId}` });
    await restore.focus();
    await adminPage.keyboard.press('Enter');

    // Assess
    await expect
      .poll(() => adminPage.locator('#admin-hidden .notice').textContent())
      .toBe(`Restored “${title}” (video ${taskId}).`);
    expect(await adminPage.locator(`#admin-hidden li[data-video-id="${taskId}"]`).count()).toBe(0);
    expect(await adminPage.locator('#admin-audit tbody tr th').first().textContent()).toBe('Restored');
    const back = await callApi<PublicVideoResponse>(stack.api, 'GET', `/public/videos/${taskId}`);
    expect({ status: back.status, votes: back.body.votes }).toEqual({ status: 200, votes: 1 });
  });

  it('lets the admin suspend and reinstate a pilot, and annul votes once confirmed, each said at the form and logged', async () => {
    // Prepare: at 1280 px
    await adminPage.setViewportSize({ width: 1280, height: 900 });
    const username = adminPage.getByRole('textbox', { name: "Pilot's username" });
    const reason = adminPage.getByRole('textbox', { name: 'Reason (for suspending and annulling)' });
    const result = adminPage.locator('#admin-pilot .notice');
    const newest = () =>
      adminPage.locator('#admin-audit tbody tr').first().locator('td, th').allTextContents();

    // Act: suspend the fan
    await username.fill(voter);
    await reason.fill('Vote stuffing (a test)');
    await adminPage.getByRole('button', { name: 'Suspend pilot' }).click();

    // Assess: said at the form, logged, and the fan's vote no longer counts
    await expect
      .poll(() => result.textContent())
      .toBe(`Suspended ${voter}: they cannot log in, their videos are hidden and their votes do not count.`);
    expect(await newest()).toEqual([
      expect.stringMatching(/\d/),
      admin,
      'Suspended',
      `Pilot ${voter}`,
      'Vote stuffing (a test)',
    ]);
    const withheld = await callApi<PublicVideoResponse>(stack.api, 'GET', `/public/videos/${taskId}`);
    expect(withheld.body.votes).toBe(0);

    // Act: reinstate
    await adminPage.getByRole('button', { name: 'Reinstate pilot' }).click();

    // Assess
    await expect
      .poll(() => result.textContent())
      .toBe(`Reinstated ${voter}: they can log in, and their videos and votes count again.`);
    expect((await newest()).slice(2, 4)).toEqual(['Reinstated', `Pilot ${voter}`]);
    const counted = await callApi<PublicVideoResponse>(stack.api, 'GET', `/public/videos/${taskId}`);
    expect(counted.body.votes).toBe(1);

    // Act: annul the admin's own votes (none: the journey's vote stays), confirmed in the dialog
    await username.fill(admin);
    await adminPage.getByRole('button', { name: 'Annul votes…' }).click();
    await adminPage
      .getByRole('dialog', { name: `Annul every vote ${admin} has cast?` })
      .getByRole('button', { name: 'Annul the votes' })
      .click();

    // Assess
    await expect
      .poll(() => result.textContent())
      .toBe(`Annulled the votes of ${admin}; the audit log below says how many.`);
    expect((await newest()).slice(2, 5)).toEqual([
      'Votes annulled (0 votes)',
      `Pilot ${admin}`,
      'Vote stuffing (a test)',
    ]);
    await adminPage.context().close();
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
