/**
 * A task's page in Chromium while it is processed and once processing failed, against real failures: the
 * elapsed time counts on by itself between polls (the page's clock is Playwright's), a file that is not a
 * video fails for its content and offers no retry, and a failure the platform caused (the worker's time ran
 * out, on a stack of its own with a worker timeout inside the worker's safety margin) shows its reason and a
 * Retry that puts the task through processing again. Screenshots of both panels at 390 and 1280 px.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TaskResponse } from '#core/schemas';
import { CHROMIUM_ARGS, CHROMIUM_PATH, generateRaceVideo } from '#test/helpers/browser';
import { callApi, signUp } from '#test/support/http-client';
import { type StackProcess, freeStackPorts, startStackProcess } from '#test/support/stack-process';

const ARTIFACTS_DIR = fileURLToPath(new URL('../artifacts/', import.meta.url));
const PROCESSING_TIMEOUT_MS = 150_000;
const PASSWORD = 'Throttle9Up';
/** At most the worker's 15 s safety margin: every edit is stopped as soon as it starts. */
const SHORT_WORKER_TIMEOUT_SECONDS = 10;
const NOT_A_VIDEO_REASON =
  'The file is not a video ffmpeg can read (Invalid data found when processing input).';
const TOO_LONG_REASON =
  'Processing was stopped after 0 s (probe): the video takes longer than the worker allows.';

interface Console {
  api: string;
  console: string;
}

let workDir: string;
let video: string;
let browser: Browser;
let ownStack: StackProcess | undefined;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'idrl-failed-'));
  video = await generateRaceVideo(inject('stack').mediaFfmpegPath, path.join(workDir, 'heat-7.mp4'));
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser.close();
  if (ownStack !== undefined) expect(await ownStack.stop()).toBe(0);
  await rm(workDir, { recursive: true, force: true });
});

/** A new pilot, signed up through the API and logged in through the console, on its task list. */
async function pilotPage(stack: Console, prefix: string): Promise<Page> {
  const username = `${prefix}${Date.now().toString(36)}`;
  await signUp(stack.api, username, PASSWORD);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.clock.install();
  await page.goto(stack.console);
  await page.getByRole('textbox', { name: 'Username or email' }).fill(username);
  await page.locator('#login-password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Your race videos' }).waitFor();
  return page;
}

/** Uploads through the console's form and answers the new task's id (from its link in the list). */
async function upload(page: Page, file: string | { name: string; mimeType: string; buffer: Buffer }) {
  await page.locator('#video-file').setInputFiles(file);
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await expect
    // The row stays "uploaded" once processing has ended too (its text then says how).
    .poll(() => page.locator('.upload-item').getAttribute('data-state'), { timeout: 60_000 })
    .toBe('uploaded');
  // The list names the task by its title: by default the file name without its extension.
  const title = path.parse(typeof file === 'string' ? file : file.name).name;
  const href = await page.getByRole('link', { name: title, exact: true }).getAttribute('href');
  return Number(href?.split('/').pop());
}

/** The task as the API answers it to the page's own session. */
async function apiTask(stack: Console, page: Page, id: number): Promise<TaskResponse> {
  const token = await page.evaluate(
    () => (JSON.parse(localStorage.getItem('idrl.session') ?? '{}') as { accessToken: string }).accessToken,
  );
  const response = await callApi<TaskResponse>(stack.api, 'GET', `/tasks/${id}`, { token });
  expect(response.status).toBe(200);
  return response.body;
}

async function failedTask(stack: Console, page: Page, id: number): Promise<TaskResponse> {
  await expect
    .poll(async () => (await apiTask(stack, page, id)).status, { timeout: PROCESSING_TIMEOUT_MS })
    .toBe('failed');
  return apiTask(stack, page, id);
}

/** The failed panel at phone and desktop width: test/artifacts/failed-task-<name>-<width>.png. */
async function screenshots(page: Page, name: string): Promise<void> {
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({
      path: path.join(ARTIFACTS_DIR, `failed-task-${name}-${width}.png`),
      fullPage: true,
    });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

describe("a task's page while processing and after a failure", () => {
  const stack = inject('stack');

  it('counts the processing time on by itself between polls', async () => {
    // Prepare: an upload the worker is editing, its page open on a paused clock (no poll runs but the ones
    // the test lets run).
    const page = await pilotPage(stack, 'elapsed');
    const id = await upload(page, video);
    await expect
      .poll(async () => (await apiTask(stack, page, id)).status, {
        interval: 100,
        timeout: PROCESSING_TIMEOUT_MS,
      })
      .toBe('processing');
    const { updatedAt } = await apiTask(stack, page, id);
    await page.getByRole('link', { name: 'heat-7', exact: true }).click();
    const badge = page.locator('.task-meta .badge');
    await expect.poll(() => badge.getAttribute('data-status')).toBe('processing');
    const hint = page.locator('.task-detail p.hint');
    const shown = await hint.textContent();

    // Act: the page's clock jumps to 65 s after processing began and stops there (the one poll due on the way
    // finds the same status and renders nothing), then runs 1 s: only the counter's tick is due.
    await page.clock.pauseAt(new Date(updatedAt).getTime() + 65_000);
    await page.clock.runFor(1_000);

    // Assess: where the tick falls within that second decides between 65 and 66 s.
    expect(shown).toMatch(
      /^Processing for \d{1,2} s\. The edited video appears here when it is done; this page updates by itself\.$/,
    );
    expect(await hint.textContent()).toMatch(
      /^Processing for 1 min 0[56] s\. The edited video appears here when it is done; this page updates by itself\.$/,
    );
    expect(await badge.textContent()).toBe('Processing');
    await page.close();
  });

  it('shows why a file that is not a video failed, and offers no retry', async () => {
    // Prepare
    const page = await pilotPage(stack, 'content');
    const id = await upload(page, {
      name: 'heat-8.mp4',
      mimeType: 'video/mp4',
      buffer: Buffer.from('notes from heat 8, not a video'),
    });
    const task = await failedTask(stack, page, id);

    // Act
    await page.getByRole('link', { name: 'heat-8', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'heat-8', exact: true }).waitFor();
    await expect.poll(() => page.locator('.task-meta .badge').textContent()).toBe('Failed');

    // Assess
    expect([task.failureReason, task.retryable]).toEqual([NOT_A_VIDEO_REASON, false]);
    expect(await page.locator('.task-detail .failure').textContent()).toBe(NOT_A_VIDEO_REASON);
    expect(await page.getByRole('button', { name: 'Retry processing' }).count()).toBe(0);
    expect(await page.locator('.publication .hint').textContent()).toBe(
      'It cannot appear in the gallery: this upload cannot be processed.',
    );
    expect(await page.getByRole('button', { name: 'Delete video…' }).isVisible()).toBe(true);
    await screenshots(page, 'content');
    await page.close();
  });

  it('shows why the platform failed a task and retries it on request', async () => {
    // Prepare: a stack of its own whose worker's time always runs out, and a real video uploaded to it.
    const stateDir = path.join(workDir, 'short-worker');
    await mkdir(stateDir);
    ownStack = await startStackProcess(stateDir, await freeStackPorts(), {
      WORKER_TIMEOUT_SECONDS: String(SHORT_WORKER_TIMEOUT_SECONDS),
    });
    const own = { api: ownStack.apiUrl, console: ownStack.consoleUrl };
    const page = await pilotPage(own, 'platform');
    const id = await upload(page, video);
    const failed = await failedTask(own, page, id);
    await page.getByRole('link', { name: 'heat-7', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'heat-7', exact: true }).waitFor();
    const retry = page.getByRole('button', { name: 'Retry processing' });
    await retry.waitFor();
    expect([failed.failureReason, failed.retryable]).toEqual([TOO_LONG_REASON, true]);
    expect(await page.locator('.task-detail .failure').textContent()).toBe(TOO_LONG_REASON);
    expect(await page.locator('.publication .hint').textContent()).toBe(
      'It appears in the gallery once a retry has processed it.',
    );
    await screenshots(page, 'platform');

    // Every announcement the page makes from here on (the screen reader's live region).
    await page.evaluate(() => {
      const announcer = document.getElementById('announcer') as HTMLElement;
      const said: string[] = [];
      Object.assign(window, { announcements: said });
      new MutationObserver(() => {
        if (announcer.textContent !== '') said.push(announcer.textContent);
      }).observe(announcer, { childList: true, characterData: true, subtree: true });
    });
    const announcements = () =>
      page.evaluate(() => (window as unknown as { announcements: string[] }).announcements);

    // Act: with the keyboard alone, as a pilot without a mouse: Tab until Retry has the focus, then Enter.
    const focused = () => retry.evaluate((button) => button === document.activeElement);
    for (let tab = 0; tab < 40 && !(await focused()); tab++) await page.keyboard.press('Tab');
    expect(await focused()).toBe(true);
    await page.keyboard.press('Enter');

    // Assess: queued again, then through the worker once more (whose time runs out again); the statuses the
    // page's polls happened to see in between are announced too.
    await expect.poll(async () => (await announcements()).at(-1)).toBe('heat-7: Failed.');
    expect((await announcements())[0]).toBe('heat-7: queued for processing again.');
    await expect
      .poll(
        async () => {
          const again = await apiTask(own, page, id);
          return [again.status, again.updatedAt > failed.updatedAt];
        },
        { timeout: PROCESSING_TIMEOUT_MS },
      )
      .toEqual(['failed', true]);
    await expect.poll(() => retry.isVisible()).toBe(true);
    expect(await page.locator('.task-detail .failure').textContent()).toBe(TOO_LONG_REASON);
    await page.close();
  });
});
