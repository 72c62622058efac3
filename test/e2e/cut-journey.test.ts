/**
 * The pilot's cut in headless Chromium against the local stack: at 390 px a file the browser cannot play gets a
 * start-time field instead of the timeline, and the pilot picks a window on a playable local file's timeline before
 * uploading (arrow keys), and the edit starts there; at 1280 px the pilot re-cuts the
 * processed video (a pointer drag), a refused re-cut is shown at the editor, and the new revision keeps its vote.
 * The source is four flat colours of 6 s each, so a frame of the edit says which second of the source it is.
 * Screenshots of the editor go to test/artifacts/ (git-ignored).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TaskResponse } from '#core/schemas';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '#test/helpers/browser';
import { callApi, pollUntil, signUp, signUpAndLogIn } from '#test/support/http-client';

const run = promisify(execFile);
const ARTIFACTS_DIR = fileURLToPath(new URL('../artifacts/', import.meta.url));
const PASSWORD = 'Apex4Gates';
const PROCESSING_TIMEOUT_MS = 180_000;
/** Source seconds [0, 6) red, [6, 12) green, [12, 18) blue, [18, 24) yellow. */
const COLOURS = ['red', 'green', 'blue', 'yellow'] as const;
const SEGMENT_SECONDS = 6;
/** The logo card before the clip in every edit. */
const CARD_SECONDS = 2;

async function colourSource(ffmpeg: string, file: string): Promise<string> {
  const hex = { red: '0xff0000', green: '0x00ff00', blue: '0x0000ff', yellow: '0xffff00' };
  const inputs = COLOURS.flatMap((colour) => [
    '-f',
    'lavfi',
    '-i',
    `color=c=${hex[colour]}:s=320x180:r=30:d=${SEGMENT_SECONDS}`,
  ]);
  await run(ffmpeg, [
    ...['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...inputs],
    ...['-f', 'lavfi', '-i', `anullsrc=r=44100:cl=stereo`],
    ...['-filter_complex', '[0:v][1:v][2:v][3:v]concat=n=4:v=1:a=0[v]', '-map', '[v]', '-map', '4:a'],
    ...['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', file],
  ]);
  return file;
}

/** The colour of one frame (of a video at `seconds`, or of a picture), averaged to one pixel. */
async function colourOf(ffmpeg: string, url: string, seconds?: number): Promise<string> {
  const { stdout } = await run(
    ffmpeg,
    [
      ...['-hide_banner', '-loglevel', 'error', '-nostdin'],
      ...(seconds === undefined ? [] : ['-ss', String(seconds)]),
      ...['-i', url, '-frames:v', '1', '-vf', 'scale=1:1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    ],
    { encoding: 'buffer' },
  );
  const [red = 0, green = 0, blue = 0] = stdout;
  const on = (channel: number) => channel > 128;
  if (on(red) && on(green)) return 'yellow';
  if (on(red)) return 'red';
  if (on(green)) return 'green';
  return on(blue) ? 'blue' : `rgb(${red}, ${green}, ${blue})`;
}

describe('the pilot’s cut in the web console', () => {
  const stack = inject('stack');
  const tag = Date.now().toString(36);
  const pilot = `cut${tag}`;
  let workDir: string;
  let source: string;
  let browser: Browser;
  let page: Page;
  let taskId: number;
  const pageErrors: string[] = [];

  const token = () =>
    page.evaluate(
      () => (JSON.parse(localStorage.getItem('idrl.session') ?? '{}') as { accessToken: string }).accessToken,
    );
  const processedTask = async (revision: number): Promise<TaskResponse> => {
    const accessToken = await token();
    const answer = await pollUntil(
      () => callApi<TaskResponse>(stack.api, 'GET', `/tasks/${taskId}`, { token: accessToken }),
      ({ body }) => body.revision === revision && (body.status === 'processed' || body.status === 'failed'),
      PROCESSING_TIMEOUT_MS,
    );
    expect(answer.body).toMatchObject({ status: 'processed', revision });
    return answer.body;
  };

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'idrl-cut-'));
    await mkdir(ARTIFACTS_DIR, { recursive: true });
    source = await colourSource(stack.mediaFfmpegPath, path.join(workDir, 'heat-4.mp4'));
    await signUp(stack.api, pilot, PASSWORD);
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(stack.console);
    await page.getByRole('textbox', { name: 'Username or email' }).fill(pilot);
    await page.locator('#login-password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Your race videos' }).waitFor();
  }, 60_000);

  afterAll(async () => {
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'cut-journey-final.png'), fullPage: true });
    await browser.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it('at 390 px: offers a start-time field for a file the browser cannot play, and checks it before any request', async () => {
    // Prepare: named and typed as MP4, but no video inside.
    await page
      .locator('#video-file')
      .setInputFiles({ name: 'goggles.mp4', mimeType: 'video/mp4', buffer: Buffer.alloc(4096, 7) });
    await page.getByRole('button', { name: 'Choose the 16 s and the poster…' }).click();
    const start = page.getByRole('spinbutton', { name: 'Start of the clip, in seconds' });
    await start.waitFor();

    // Act
    await start.fill('');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();

    // Assess: the field says why and has focus; no timeline; no task was created.
    expect(await page.locator('#upload-cut-start-error').textContent()).toBe(
      'Type a start from 0 to 86400 seconds.',
    );
    expect(await start.getAttribute('aria-invalid')).toBe('true');
    expect(await start.evaluate((field) => field === document.activeElement)).toBe(true);
    expect(await page.getByRole('slider', { name: '16-second window' }).count()).toBe(0);
    expect(await page.locator('.task-item').count()).toBe(0);
  });

  it('at 390 px: picks the window on the local file with the arrow keys, and the edit starts there', async () => {
    // Prepare: the local file plays in the page, its 24 s on the timeline.
    await page.locator('#video-file').setInputFiles(source);
    await page.getByRole('button', { name: 'Choose the 16 s and the poster…' }).click();
    const window = page.getByRole('slider', { name: '16-second window' });
    await window.waitFor();

    // Act: Home, then 7 presses of 1 s; the poster 6 s into the clip.
    await window.focus();
    await window.press('Home');
    for (let press = 0; press < 7; press += 1) await window.press('ArrowRight');
    await page.getByLabel('Poster frame').fill('6');

    // Assess: what the slider says to a screen reader, and the summary under it.
    expect(await window.getAttribute('aria-valuenow')).toBe('7');
    expect(await window.getAttribute('aria-valuetext')).toBe('0:07.0 to 0:23.0');
    expect(await page.locator('#upload-cut-summary').textContent()).toBe(
      'Clip 0:07.0 to 0:23.0 of 0:24.0; poster at 0:13.0.',
    );
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'cut-upload-390.png'), fullPage: true });

    // Act
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.locator('.task-item').first().waitFor();
    taskId = Number(await page.locator('.task-item').first().getAttribute('data-task-id'));
    const task = await processedTask(1);

    // Assess: the task carries the cut, the edit's first content second is the source's 7th, the poster its 13th.
    expect(task).toMatchObject({ clip: { startSeconds: 7 }, posterSeconds: 6 });
    const edit = task.processed?.url ?? '';
    expect(await colourOf(stack.mediaFfmpegPath, edit, CARD_SECONDS + 1)).toBe('green'); // source 8 s
    expect(await colourOf(stack.mediaFfmpegPath, edit, CARD_SECONDS + 5.5)).toBe('blue'); // source 12.5 s
    expect(await colourOf(stack.mediaFfmpegPath, task.thumbnail?.url ?? '')).toBe('blue'); // source 13 s
  });

  it('at 1280 px: re-cuts the processed video by dragging the window; a refusal shows at the editor; the vote stays', async () => {
    // Prepare: a fan's vote on the published edit, and the video's page.
    const fan = await signUpAndLogIn(stack.api, `fan${tag}`, PASSWORD);
    expect((await callApi(stack.api, 'POST', `/public/videos/${taskId}/vote`, { token: fan })).status).toBe(
      201,
    );
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${stack.console}#/tasks/${taskId}`);
    await page.getByRole('button', { name: 'Change the cut…' }).click();
    const window = page.getByRole('slider', { name: '16-second window' });
    await window.waitFor();
    expect(await window.getAttribute('aria-valuenow')).toBe('7');

    // Act: drag the window past the end of the track (it stops at the last full 16 s), the poster 11 s in.
    await page.locator('.cut-track').scrollIntoViewIfNeeded();
    const box = await window.boundingBox();
    const track = await page.locator('.cut-track').boundingBox();
    if (box === null || track === null) throw new Error('the timeline is not laid out');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(track.x + track.width + 40, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.getByLabel('Poster frame').fill('11');

    // Assess
    expect({ start: await window.getAttribute('aria-valuenow'), pageErrors }).toEqual({
      start: '8',
      pageErrors: [],
    });
    expect(await page.locator('#cut-summary').textContent()).toBe(
      'Clip 0:08.0 to 0:24.0 of 0:24.0; poster at 0:19.0.',
    );
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'cut-recut-1280.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'cut-recut-390.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });

    // Act: the daily limit answers first (the API's own 429 is covered by test/integration/api-gallery.test.ts).
    await page.route(`**/api/tasks/${taskId}`, (route) =>
      route.request().method() === 'PATCH'
        ? route.fulfill({
            status: 429,
            headers: { 'content-type': 'application/json', 'retry-after': '3600' },
            body: JSON.stringify({
              message: 'You have changed the cut 10 times in the last 24 hours; try again later',
            }),
          })
        : route.fallback(),
    );
    await page.getByRole('button', { name: 'Re-cut the video' }).click();

    // Assess: said at the editor, which stays open with the chosen cut.
    await expect
      .poll(() => page.locator('#cut-alert').textContent())
      .toBe('You have changed the cut 10 times in the last 24 hours; try again later (in about 1 h).');
    expect(await window.getAttribute('aria-valuenow')).toBe('8');

    // Act: the original's URL fails once (as when its 5 minutes are over) while the editor is open. (The API signs
    // per time window, so the fresh URL it hands out now is the same string; the route lets it through.)
    await page.unroute(`**/api/tasks/${taskId}`);
    const player = page.locator('#cut-player');
    const original = await player.evaluate((video: HTMLVideoElement) => video.currentSrc);
    let refused = 0;
    await page.route(
      (url) => url.href === original,
      (route) => {
        refused += 1;
        return route.fulfill({ status: 403 });
      },
      { times: 1 },
    );
    await player.evaluate((video: HTMLVideoElement) => {
      video.load();
    });

    // Assess: the editor asks for the original again and plays on; the timeline and the chosen cut stay.
    await expect
      .poll(() => player.evaluate((video: HTMLVideoElement) => video.readyState))
      .toBeGreaterThan(0);
    expect(refused).toBe(1);
    expect(await window.getAttribute('aria-valuenow')).toBe('8');
    expect(await page.getByRole('spinbutton', { name: 'Start of the clip, in seconds' }).isVisible()).toBe(
      false,
    );

    // Act: the real re-cut.
    await page.getByRole('button', { name: 'Re-cut the video' }).click();
    const task = await processedTask(2);

    // Assess: the page followed it to the new edit; the vote stayed; the edit starts at 8 s with the poster at 19 s.
    expect(task).toMatchObject({ clip: { startSeconds: 8 }, posterSeconds: 11, votes: 1 });
    await expect
      .poll(() => page.locator('#task-cut').textContent(), { timeout: 10_000 })
      .toBe('From 0:08.0, poster at 0:19.0 (edit 2)');
    expect(await page.locator('.publication .vote-count').textContent()).toBe('1 vote');
    const edit = task.processed?.url ?? '';
    expect(await colourOf(stack.mediaFfmpegPath, edit, CARD_SECONDS + 4.5)).toBe('blue'); // source 12.5 s
    expect(await colourOf(stack.mediaFfmpegPath, task.thumbnail?.url ?? '')).toBe('yellow'); // source 19 s
    expect(pageErrors).toEqual([]);
  });
});
