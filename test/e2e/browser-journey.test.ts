/**
 * A pilot's whole journey through the web console in headless Chromium (Debian's package, driven by
 * playwright-core; Playwright's own browser downloads are never used), against the local stack
 * that test/support/e2e-setup.ts starts: sign up, log in, upload a generated video with the
 * progress bar, watch it get processed, play the edited video, download, delete, log out.
 */
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MailboxMessage } from '#infra/local/services/mailbox';
import { CHROMIUM_ARGS, CHROMIUM_PATH, generateRaceVideo, SOURCE_SECONDS } from '#test/helpers/browser';
import { storedObjectStatus } from '#test/support/http-client';

const ARTIFACTS_DIR = fileURLToPath(new URL('../artifacts/', import.meta.url));
const PROCESSING_TIMEOUT_MS = 150_000;

interface VideoState {
  readyState: number;
  videoWidth: number;
  videoHeight: number;
  duration: number;
  currentTime: number;
}

function videoState(page: Page): Promise<VideoState> {
  return page.locator('#edited-video').evaluate((video: HTMLVideoElement) => ({
    readyState: video.readyState,
    videoWidth: video.videoWidth,
    videoHeight: video.videoHeight,
    duration: video.duration,
    currentTime: video.currentTime,
  }));
}

describe('browser journey through the web console', () => {
  const stack = inject('stack');
  const username = `pilot${Date.now().toString(36)}`;
  const password = 'Throttle9Up';
  let workDir: string;
  let video: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const cspViolations: string[] = [];

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'idrl-browser-'));
    video = await generateRaceVideo(stack.mediaFfmpegPath, path.join(workDir, 'race-heat-1.mp4'));
    await mkdir(ARTIFACTS_DIR, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Time flows as usual; a test jumps it forward to outlive the 5-minute download URLs.
    await page.clock.install();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && message.text().includes('Content Security Policy'))
        cspViolations.push(message.text());
    });
  });

  afterAll(async () => {
    // The last screen, whatever happened: the first thing to look at when a step failed.
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'browser-journey-final.png'), fullPage: true });
    await browser.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it('signs up, showing the field errors the API returns first', async () => {
    // Prepare
    await page.goto(stack.console);

    // Act
    await page.getByRole('textbox', { name: 'Username', exact: true }).fill(username);
    await page.getByRole('textbox', { name: 'Email', exact: true }).fill(`${username}@example.com`);
    await page.getByLabel('Password', { exact: true }).last().fill(password);
    await page.getByLabel('Repeat password').fill(`${password}x`);
    await page.getByRole('button', { name: 'Create account' }).click();

    // Assess
    await expect
      .poll(() => page.locator('#signup-password2-error').textContent())
      .toBe('Passwords do not match');
    expect(await page.getByLabel('Repeat password').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#signup-alert').textContent()).toBe('Please correct the highlighted fields.');

    // Act
    await page.getByLabel('Repeat password').fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();

    // Assess
    await expect
      .poll(() => page.locator('#login [role="status"]').textContent())
      .toBe(`Account ${username} created. Log in with your new password.`);
    expect(await page.getByRole('textbox', { name: 'Username or email' }).inputValue()).toBe(username);
  });

  it('verifies the email with the mailed code, which makes the address a login name', async () => {
    // Prepare: an unverified address is no login name, so the first login is by username.
    await page.locator('#login-password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    const banner = page.getByRole('region', { name: 'Verify your email' });
    await expect.poll(() => banner.isVisible()).toBe(true);
    const mailbox = await fetch(
      `${stack.console}_local/mailbox?to=${encodeURIComponent(`${username}@example.com`)}`,
    );
    const [message] = ((await mailbox.json()) as { data: MailboxMessage[] }).data;
    expect(message?.code).toMatch(/^\d{6}$/);

    // Act
    await banner.getByRole('textbox', { name: 'Code from the email' }).fill(message?.code ?? '');
    await banner.getByRole('button', { name: 'Verify email' }).click();

    // Assess
    await expect
      .poll(() => page.getByRole('status').allTextContents())
      .toContainEqual(expect.stringContaining('Your email is verified'));
    expect(await banner.isVisible()).toBe(false);
    await page.getByRole('button', { name: 'Log out' }).click();
    await expect.poll(() => page.getByRole('status').allTextContents()).toContain('You are logged out.');
  });

  it('logs in with the email after a wrong password is refused', async () => {
    // Act
    await page.getByRole('textbox', { name: 'Username or email' }).fill(`${username}@example.com`);
    await page.locator('#login-password').fill('Wrong-password1');
    await page.getByRole('button', { name: 'Log in' }).click();

    // Assess
    await expect.poll(() => page.locator('#login-alert').isVisible()).toBe(true);
    expect(await page.locator('#login-alert').textContent()).not.toBe('');

    // Act
    await page.locator('#login-password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();

    // Assess
    await page.getByRole('heading', { level: 1, name: 'Your race videos' }).waitFor();
    expect(await page.locator('#account').textContent()).toContain(`Signed in as ${username}`);
    expect(await page.locator('#account').textContent()).not.toContain('@');
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual(['idrl.session']);
  });

  it('refuses a file that is not a video before creating a task', async () => {
    // Act
    await page
      .locator('#video-file')
      .setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a video') });
    await page.getByRole('button', { name: 'Upload', exact: true }).click();

    // Assess
    expect(await page.locator('#upload-alert').textContent()).toBe(
      'notes.txt is not a video file. Choose an MP4, MOV, MKV, WebM or AVI video.',
    );
    expect(await page.locator('.task-item').count()).toBe(0);
  });

  it('uploads the video straight to storage with the progress bar reaching 100%', async () => {
    // Prepare: record every value the file's progress bar takes (value is a reflected attribute); its row is
    // drawn once the file is queued.
    await page.evaluate(() => {
      const queue = document.getElementById('upload-queue') as HTMLElement;
      const values: number[] = [];
      Object.assign(window, { progressValues: values });
      new MutationObserver((records) => {
        for (const record of records)
          if (record.target instanceof HTMLProgressElement) values.push(record.target.value);
      }).observe(queue, { subtree: true, attributes: true, attributeFilter: ['value'] });
    });

    // Act
    await page.locator('#video-file').setInputFiles(video);
    await page.getByRole('button', { name: 'Upload', exact: true }).click();

    // Assess
    await expect
      .poll(() => page.locator('.upload-item .upload-text').textContent(), { timeout: 60_000 })
      .toMatch(/^Upload complete/);
    const values = await page.evaluate(
      () => (window as unknown as { progressValues: number[] }).progressValues,
    );
    expect(values.at(-1)).toBe(100);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    const progress = page.getByRole('progressbar', { name: 'race-heat-1.mp4 (1 of 1)' });
    expect(await progress.getAttribute('aria-describedby')).toMatch(/^upload-item-\d+-text$/);
    expect(await page.locator('#upload-notices').textContent()).toBe(
      'race-heat-1.mp4 (1 of 1) uploaded. Processing starts now.',
    );
    expect(await page.locator('#upload-alert').isHidden()).toBe(true);
  });

  it('shows the task as processed in the list without a reload', async () => {
    // Prepare
    const item = page.locator('.task-item', { hasText: 'race-heat-1' });

    // Act: the list polls while the task is pending.
    await item.locator('.badge[data-status="processed"]').waitFor({ timeout: PROCESSING_TIMEOUT_MS });

    // Assess
    expect(await item.locator('.badge').textContent()).toBe('Processed');
    expect(
      await item
        .locator('img.thumb')
        .evaluate((image: HTMLImageElement) => image.complete && image.naturalWidth),
    ).toBe(640);
  });

  it('plays the edited video in the league format', async () => {
    // Prepare
    const h264 = await page.evaluate(() =>
      document.createElement('video').canPlayType('video/mp4; codecs="avc1.640028"'),
    );

    // Act
    await page.getByRole('link', { name: 'race-heat-1', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'race-heat-1', exact: true }).waitFor();
    await expect
      .poll(async () => (await videoState(page)).readyState, { timeout: 30_000 })
      .toBeGreaterThanOrEqual(1);

    // Assess: 1280×720 and the source's seconds plus the two logo cards.
    const loaded = await videoState(page);
    expect({ width: loaded.videoWidth, height: loaded.videoHeight }).toEqual({ width: 1280, height: 720 });
    expect(loaded.duration).toBeGreaterThan(SOURCE_SECONDS + 3.5);
    expect(loaded.duration).toBeLessThan(SOURCE_SECONDS + 4.5);
    expect(await page.locator('.facts').textContent()).toContain('1280 × 720');
    // Debian's Chromium decodes H.264 through its system FFmpeg; a build without it could only load metadata.
    expect(h264).toBe('probably');
    await page.locator('#edited-video').evaluate((element: HTMLVideoElement) => {
      element.muted = true;
      return element.play();
    });
    await expect
      .poll(async () => (await videoState(page)).currentTime, { timeout: 20_000 })
      .toBeGreaterThan(0.5);
    expect((await videoState(page)).readyState).toBeGreaterThanOrEqual(2);
    await page.locator('#edited-video').evaluate((element: HTMLVideoElement) => {
      element.pause();
    });
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'browser-journey-detail.png'), fullPage: true });
  });

  it('downloads the original and the edited video as attachments under the pilot file name', async () => {
    // Prepare
    const consoleUrl = page.url();
    const download = async (name: string) => {
      const started = page.waitForEvent('download');
      await page.getByRole('link', { name }).click();
      return started;
    };

    // Act
    const original = await download('Download original');
    const edited = await download('Download edited video');

    // Assess: the clicks downloaded; the console stayed where it was
    expect(original.suggestedFilename()).toBe('race-heat-1.mp4');
    expect((await stat(await original.path())).size).toBe((await stat(video)).size);
    expect(edited.suggestedFilename()).toBe('race-heat-1-idrl.mp4');
    expect((await stat(await edited.path())).size).toBeGreaterThan(0);
    expect(page.url()).toBe(consoleUrl);
  });

  it('renews the download URLs of a page left open before they expire, and they still work', async () => {
    // Prepare
    const taskId = new URL(page.url()).hash.split('/').pop() ?? '';
    const renewed = page.waitForResponse(
      (response) =>
        response.request().method() === 'GET' && new URL(response.url()).pathname === `/api/tasks/${taskId}`,
    );

    // Act: four minutes later, by the page's clock
    await page.clock.fastForward('04:00');
    const response = await renewed;

    // Assess
    expect(response.status()).toBe(200);
    const { processed } = (await response.json()) as { processed: { url: string } };
    const link = page.getByRole('link', { name: 'Download edited video' });
    await expect.poll(() => link.getAttribute('href')).toBe(processed.url);
    expect(await link.getAttribute('target')).toBeNull();
    expect((await page.request.get(processed.url)).status()).toBe(200);
  });

  it('deletes the task after confirmation, and it is gone', async () => {
    // Prepare
    const taskPath = new URL(page.url()).hash.slice(1);
    const originalUrl = await page.getByRole('link', { name: 'Download original' }).getAttribute('href');

    // Act
    await page.getByRole('button', { name: 'Delete video…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete race-heat-1.mp4?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();

    // Assess
    await expect.poll(() => page.locator('.notice').first().textContent()).toBe('Deleted race-heat-1.mp4.');
    await page.getByRole('heading', { level: 1, name: 'Your race videos' }).waitFor();
    await expect.poll(() => page.locator('.task-item').count()).toBe(0);
    const accessToken = await page.evaluate(
      () => (JSON.parse(localStorage.getItem('idrl.session') ?? '{}') as { accessToken: string }).accessToken,
    );
    const lookup = await page.request.get(`${stack.api}${taskPath}`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(lookup.status()).toBe(404);
    // S3 answers a missing key with 403 to a signer that may not list the bucket, as on AWS; s3rver shows it gone.
    expect((await page.request.get(originalUrl ?? '')).status()).toBe(403);
    expect(await storedObjectStatus(stack.s3rverEndpoint, originalUrl ?? '')).toBe(404);
  });

  it('logs out back to the login form, with no console error on the way', async () => {
    // Act
    await page.getByRole('button', { name: 'Log out' }).click();

    // Assess
    await page.getByRole('heading', { level: 2, name: 'Log in' }).waitFor();
    expect(await page.evaluate(() => localStorage.getItem('idrl.session'))).toBeNull();
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
