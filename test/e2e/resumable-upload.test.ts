/**
 * Resumable uploads in Chromium against the whole local stack, at phone and desktop widths: an
 * upload interrupted by a reload resumes from the parts storage holds and ends processed (one task,
 * one output); a dropped part is retried; the list shows progress; cancel leaves no task, object or
 * unfinished multipart upload; the upload box's queue resumes an interrupted file chosen in it, takes
 * files while others upload and cancels one after a confirmation; a deep link survives login. Storage is slowed down with Playwright's
 * route interception, never by timing.
 */
import { copyFile, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { type Browser, type Page, type Route, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LOCAL_BUCKET, LOCAL_REGION } from '#infra/local/services/backing';
import { S3RVER_CREDENTIALS } from '#infra/local/services/s3';
import { CHROMIUM_ARGS, CHROMIUM_PATH, generateRaceVideo } from '#test/helpers/browser';
import { callApi, signUp } from '#test/support/http-client';
import { formatBytes } from '#web/src/messages';
import { E2E_PART_BYTES } from '#test/support/stack-process';

const ARTIFACTS_DIR = fileURLToPath(new URL('../artifacts/', import.meta.url));
const PROCESSING_TIMEOUT_MS = 150_000;
const PASSWORD = 'Throttle9Up';
/** MULTIPART_PART_BYTES of the stack the e2e setup starts. */
const PART_BYTES = E2E_PART_BYTES;

interface ApiTask {
  id: number;
  fileName: string;
  status: string;
  processed?: { url: string };
}

describe('resumable uploads in the web console', () => {
  const stack = inject('stack');
  const run = Date.now().toString(36);
  /** One pilot per case, so each case sees only its own tasks. */
  const pilots = {
    390: `resume390${run}`,
    1280: `resume1280${run}`,
    cancel: `cancel${run}`,
    queue390: `queue390${run}`,
    queue1280: `queue1280${run}`,
  } as const;
  let workDir: string;
  let video: string;
  let browser: Browser;
  let s3: S3Client;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'idrl-resume-'));
    video = await generateRaceVideo(stack.mediaFfmpegPath, path.join(workDir, 'long-heat.mp4'), true);
    await mkdir(ARTIFACTS_DIR, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    s3 = new S3Client({
      endpoint: stack.s3rverEndpoint,
      forcePathStyle: true,
      region: LOCAL_REGION,
      credentials: S3RVER_CREDENTIALS,
    });
    for (const username of Object.values(pilots)) {
      await signUp(stack.api, username, PASSWORD);
    }
  });

  afterAll(async () => {
    s3.destroy();
    await browser.close();
    await rm(workDir, { recursive: true, force: true });
  });

  async function loggedInPage(username: string, width: number, hash = '#/'): Promise<Page> {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    await page.goto(`${stack.console}${hash}`);
    await page.getByRole('textbox', { name: 'Username or email' }).fill(username);
    await page.locator('#login-password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    return page;
  }

  async function apiTasks(page: Page): Promise<ApiTask[]> {
    const token = await page.evaluate(
      () => (JSON.parse(localStorage.getItem('idrl.session') ?? '{}') as { accessToken: string }).accessToken,
    );
    return (await callApi<{ data: ApiTask[] }>(stack.api, 'GET', '/tasks', { token })).body.data;
  }

  /** Unfinished multipart uploads into the task's key (other test files upload at the same time). */
  async function pendingMultipartUploads(taskId: number): Promise<number> {
    const listed = await s3.send(
      new ListMultipartUploadsCommand({ Bucket: LOCAL_BUCKET, Prefix: `uploads/${taskId}/` }),
    );
    return listed.Uploads?.length ?? 0;
  }

  /** Part numbers storage holds of the task's unfinished multipart upload. */
  async function storedParts(taskId: number): Promise<number[]> {
    const listed = await s3.send(
      new ListMultipartUploadsCommand({ Bucket: LOCAL_BUCKET, Prefix: `uploads/${taskId}/` }),
    );
    const upload = listed.Uploads?.[0];
    if (upload === undefined) return [];
    const parts = await s3.send(
      new ListPartsCommand({ Bucket: LOCAL_BUCKET, Key: upload.Key, UploadId: upload.UploadId }),
    );
    return (parts.Parts ?? []).map((part) => part.PartNumber ?? 0);
  }

  async function storedKeys(prefix: string): Promise<string[]> {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: LOCAL_BUCKET, Prefix: prefix }));
    return (listed.Contents ?? []).map((object) => object.Key ?? '').sort();
  }

  /**
   * Part numbers of the part PUTs the page sends; `hold` keeps matching ones unanswered. `cut()` ends
   * the held ones (and any later) as a dropped connection would, so none of them reaches storage: a
   * paused request merely un-routed would be sent on.
   */
  async function watchParts(page: Page, hold: (partNumber: number) => boolean) {
    const sent: number[] = [];
    const held: Route[] = [];
    let cutOff = false;
    await page.route(
      (url) => url.searchParams.has('partNumber'),
      async (route) => {
        const partNumber = Number(new URL(route.request().url()).searchParams.get('partNumber'));
        sent.push(partNumber);
        if (cutOff && hold(partNumber)) await route.abort('connectionreset');
        else if (hold(partNumber)) held.push(route);
        else await route.continue();
      },
    );
    const cut = async () => {
      cutOff = true;
      await Promise.all(held.splice(0).map((route) => route.abort('connectionreset')));
    };
    return { sent, held, cut };
  }

  it.each([390, 1280] as const)(
    'resumes an upload interrupted by a reload from the parts stored, retries a dropped part, and processes it once (%i px)',
    async (width) => {
      // Prepare: parts 1–3 go through, the rest hang as on a dying connection
      const page = await loggedInPage(pilots[width], width);
      await page.getByRole('heading', { level: 1, name: 'Your race videos' }).waitFor();
      const first = await watchParts(page, (partNumber) => partNumber > 3);
      await page.locator('#video-file').setInputFiles(video);
      await page.getByRole('button', { name: 'Upload', exact: true }).click();
      const badge = page.locator('.task-item .badge');
      await expect.poll(() => badge.textContent(), { timeout: 30_000 }).toMatch(/^Uploading \d+ %$/);
      await expect.poll(() => first.held.length, { timeout: 30_000 }).toBeGreaterThan(0);
      const leaving = await page.evaluate(() => {
        const event = new Event('beforeunload', { cancelable: true });
        window.dispatchEvent(event);
        return event.defaultPrevented;
      });
      await page.screenshot({
        path: path.join(ARTIFACTS_DIR, `resumable-uploading-${width}.png`),
        fullPage: true,
      });

      // Act: the connection drops and the pilot reloads mid-upload
      await first.cut();
      await page.reload();
      await page.unrouteAll({ behavior: 'ignoreErrors' });

      // Assess: the list says what happened
      expect(leaving).toBe(true);
      await expect
        .poll(() => page.locator('.task-item .badge').textContent(), { timeout: 30_000 })
        .toBe('Upload interrupted — resume or cancel');
      await page.screenshot({
        path: path.join(ARTIFACTS_DIR, `resumable-interrupted-${width}.png`),
        fullPage: true,
      });

      // Act: resume with the same file; the first attempt at the first missing part is dropped
      const resumed: number[] = [];
      await page.route(
        (url) => url.searchParams.has('partNumber'),
        async (route) => {
          const partNumber = Number(new URL(route.request().url()).searchParams.get('partNumber'));
          resumed.push(partNumber);
          if (partNumber === 4 && resumed.filter((n) => n === 4).length === 1)
            await route.abort('connectionreset');
          else await route.continue();
        },
      );
      await page.locator('.task-item .task-link').click();
      await page.locator('#resume-file').setInputFiles(video);

      // Assess: only the missing parts went, part 4 twice, and the one task got processed
      const taskBadge = page.locator('.task-meta .badge');
      await expect
        .poll(
          async () =>
            (await page.locator('#task-alert').isVisible())
              ? await page.locator('#task-alert').textContent()
              : await taskBadge.getAttribute('data-status'),
          { timeout: PROCESSING_TIMEOUT_MS },
        )
        .toBe('processed');
      const partCount = Math.ceil((await stat(video)).size / PART_BYTES);
      expect(partCount).toBeGreaterThan(4);
      expect(new Set(resumed).size).toBeLessThan(partCount);
      expect(resumed.filter((partNumber) => partNumber === 4)).toHaveLength(2);
      const tasks = await apiTasks(page);
      expect(tasks.map((task) => task.status)).toEqual(['processed']);
      const taskId = tasks[0]?.id ?? 0;
      expect(await pendingMultipartUploads(taskId)).toBe(0);
      expect(await storedKeys(`processed/${taskId}/`)).toEqual([
        `processed/${taskId}/thumbnail.jpg`,
        `processed/${taskId}/video.mp4`,
      ]);
      const original = await page.request.get(
        (await page.getByRole('link', { name: 'Download original' }).getAttribute('href')) ?? '',
      );
      expect((await original.body()).length).toBe((await stat(video)).size);
      await page.screenshot({
        path: path.join(ARTIFACTS_DIR, `resumable-processed-${width}.png`),
        fullPage: true,
      });
      await page.close();
    },
  );

  it('cancels an upload in progress: no task, no object, no unfinished multipart upload (desktop)', async () => {
    // Prepare
    const page = await loggedInPage(pilots.cancel, 1280);
    await page.getByRole('heading', { level: 1, name: 'Your race videos' }).waitFor();
    const parts = await watchParts(page, (partNumber) => partNumber > 2);
    await page.locator('#video-file').setInputFiles(video);
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await expect.poll(() => parts.held.length, { timeout: 30_000 }).toBeGreaterThan(0);
    await page.locator('.task-item .task-link').first().click();
    await page.locator('#task-upload-progress').waitFor();
    const [uploading] = await apiTasks(page);
    const taskId = uploading?.id ?? 0;
    expect(await pendingMultipartUploads(taskId)).toBe(1);
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'resumable-detail-1280.png'), fullPage: true });

    // Act
    await page.getByRole('button', { name: 'Cancel upload' }).click();

    // Assess
    await page.getByRole('heading', { level: 1, name: 'Your race videos' }).waitFor();
    expect(await page.locator('.notice').textContent()).toBe('Cancelled the upload of long-heat.mp4.');
    expect(await apiTasks(page)).toEqual([]);
    expect(await pendingMultipartUploads(taskId)).toBe(0);
    expect(await storedKeys(`uploads/${taskId}/`)).toEqual([]);
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'resumable-cancelled-1280.png'), fullPage: true });
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    await page.close();
  });

  describe.each([390, 1280] as const)('the upload box’s queue (%i px)', (width) => {
    it('resumes an interrupted file chosen in the box into its task, takes files while it uploads, cancels one after a confirmation and notes each', async () => {
      // Prepare: an upload interrupted by a reload after parts 1–3
      const page = await loggedInPage(pilots[`queue${width}`], width);
      await page.getByRole('heading', { level: 1, name: 'Your race videos' }).waitFor();
      const first = await watchParts(page, (partNumber) => partNumber > 3);
      await page.locator('#video-file').setInputFiles(video);
      await page.getByRole('button', { name: 'Upload', exact: true }).click();
      await expect.poll(() => first.held.length, { timeout: 30_000 }).toBeGreaterThan(0);
      const interruptedId = (await apiTasks(page))[0]?.id ?? 0;
      // Parts 1–3 may still be on their way when a later one is held: the reload comes once storage has them.
      await expect.poll(() => storedParts(interruptedId), { timeout: 30_000 }).toEqual([1, 2, 3]);
      await first.cut();
      await page.reload();
      await page.unrouteAll({ behavior: 'ignoreErrors' });
      await expect
        .poll(() => page.locator('.task-item .badge').textContent(), { timeout: 30_000 })
        .toBe('Upload interrupted — resume or cancel');
      const copy = path.join(workDir, `c-heat-${width}.mp4`);
      await copyFile(video, copy);
      // Storage takes part 1 of every upload and holds the later ones until the test lets them go.
      const held: Route[] = [];
      const sent: string[] = [];
      let holding = true;
      await page.route(
        (url) => url.searchParams.has('partNumber'),
        async (route) => {
          const url = new URL(route.request().url());
          sent.push(`${url.pathname} ${url.searchParams.get('partNumber')}`);
          if (holding && Number(url.searchParams.get('partNumber')) >= 2) held.push(route);
          else await route.continue();
        },
      );

      // Act: the pilot chooses the same file in the main box, and uploads from the keyboard
      await page.locator('#video-file').setInputFiles(video);

      // Assess: told before anything is sent; no title or cut is offered for a task that has them
      expect(await page.locator('#video-file-resumes').textContent()).toBe(
        'long-heat.mp4 resumes its interrupted upload: the parts already sent are kept, and it keeps the title, visibility and cut it was given.',
      );
      expect(await page.locator('#upload-title').isHidden()).toBe(true);
      expect(await page.locator('.upload-cut').isHidden()).toBe(true);

      // Act
      await page.getByRole('button', { name: 'Upload', exact: true }).focus();
      await page.keyboard.press('Enter');
      const row = (name: string) => page.locator('.upload-item', { hasText: name });
      await expect.poll(() => held.length, { timeout: 30_000 }).toBeGreaterThan(0);
      await page.locator('#video-file').setInputFiles({
        name: `b-heat-${width}.mp4`,
        mimeType: 'video/mp4',
        buffer: Buffer.alloc(4096, 7),
      });
      await page.getByRole('button', { name: 'Upload', exact: true }).click();
      await expect.poll(() => row('b-heat').getAttribute('data-state'), { timeout: 30_000 }).toBe('uploaded');
      await page.locator('#video-file').setInputFiles(copy);
      await page.getByRole('button', { name: 'Upload', exact: true }).click();

      // Assess: each file its progress and place; the resumed one is still uploading, in the task it had
      const copySize = (await stat(copy)).size;
      await expect
        .poll(() => row('c-heat').locator('.upload-text').textContent(), { timeout: 30_000 })
        .toMatch(new RegExp(`^\\d+% — 256 KiB of ${formatBytes(copySize)}$`));
      expect(await page.locator('#upload-summary').textContent()).toBe('1 of 3 uploaded');
      expect(await page.locator('.upload-name').allTextContents()).toEqual([
        'long-heat.mp4 (1 of 3)',
        `b-heat-${width}.mp4 (2 of 3)`,
        `c-heat-${width}.mp4 (3 of 3)`,
      ]);
      expect(await row('long-heat').getAttribute('data-state')).toBe('uploading');
      expect(await row('long-heat').textContent()).toContain('Resumes its interrupted upload');
      expect(
        await page
          .getByRole('progressbar', { name: 'long-heat.mp4 (1 of 3)' })
          .evaluate((bar: HTMLProgressElement) => bar.value),
      ).toBeGreaterThan(0);
      const tasks = await apiTasks(page);
      expect(tasks).toHaveLength(3);
      const copyId = tasks.find((task) => task.fileName === `c-heat-${width}.mp4`)?.id;
      expect(await pendingMultipartUploads(copyId ?? 0)).toBe(1);
      await page.screenshot({ path: path.join(ARTIFACTS_DIR, `upload-queue-${width}.png`), fullPage: true });

      // Act: Cancel… from the keyboard; Escape keeps the upload
      const cancel = page.getByRole('button', { name: `Cancel the upload of c-heat-${width}.mp4…` });
      const dialog = page.getByRole('dialog', { name: `Cancel the upload of c-heat-${width}.mp4?` });
      await cancel.focus();
      await page.keyboard.press('Enter');
      await dialog.waitFor();
      const focused = await page.evaluate(() => document.activeElement?.textContent);
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });

      // Assess
      expect(focused).toBe('Keep uploading');
      expect(await row('c-heat').getAttribute('data-state')).toBe('uploading');

      // Act: confirm this time
      await cancel.click();
      await dialog.waitFor();
      await page.screenshot({
        path: path.join(ARTIFACTS_DIR, `upload-queue-cancel-${width}.png`),
        fullPage: true,
      });
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');

      // Assess: that file's task, parts and upload are gone; the others go on
      await expect
        .poll(() => row('c-heat').getAttribute('data-state'), { timeout: 30_000 })
        .toBe('cancelled');
      expect((await apiTasks(page)).map((task) => task.id)).not.toContain(copyId);
      expect(await pendingMultipartUploads(copyId ?? 0)).toBe(0);
      expect(await storedKeys(`uploads/${copyId}/`)).toEqual([]);
      expect(await row('long-heat').getAttribute('data-state')).toBe('uploading');

      // Act: storage answers again
      holding = false;
      for (const route of held.splice(0)) {
        if (route.request().url().includes(`/uploads/${interruptedId}/`))
          await route.continue().catch(() => undefined);
        else await route.abort('connectionreset').catch(() => undefined);
      }

      // Assess: the resumed upload completed into its own task, sending only the parts storage lacked
      await expect
        .poll(() => row('long-heat').getAttribute('data-state'), { timeout: 60_000 })
        .toBe('uploaded');
      expect(await page.locator('#upload-summary').textContent()).toBe('2 of 3 uploaded');
      expect(await page.locator('#upload-notices p').allTextContents()).toEqual([
        'long-heat.mp4 (1 of 1) resumes its interrupted upload: the parts already sent are kept.',
        `b-heat-${width}.mp4 (2 of 2) uploaded. Processing starts now.`,
        `Cancelled the upload of c-heat-${width}.mp4 (3 of 3).`,
        'long-heat.mp4 (1 of 3) uploaded. Processing starts now.',
      ]);
      expect(await page.locator('#upload-notices').getAttribute('role')).toBe('log');
      expect(await apiTasks(page)).toHaveLength(2);
      // Storage's notification moves the task on a moment after the upload completes.
      await expect
        .poll(async () => (await apiTasks(page)).find((task) => task.id === interruptedId)?.status, {
          timeout: 30_000,
        })
        .not.toBe('awaiting_upload');
      const resumedParts = sent
        .filter((line) => line.includes(`/uploads/${interruptedId}/`))
        .map((line) => Number(line.split(' ')[1]));
      expect(Math.min(...resumedParts)).toBe(4);
      expect(await pendingMultipartUploads(interruptedId)).toBe(0);
      await page.screenshot({
        path: path.join(ARTIFACTS_DIR, `upload-queue-done-${width}.png`),
        fullPage: true,
      });
      await page.unrouteAll({ behavior: 'ignoreErrors' });
      await page.close();
    });
  });

  it('keeps a deep link through login, in a browser with no session yet', async () => {
    // Prepare
    const probe = await loggedInPage(pilots[1280], 1280);
    await probe.getByRole('heading', { level: 1, name: 'Your race videos' }).waitFor();
    const [task] = await apiTasks(probe);
    await probe.close();

    // Act
    const page = await loggedInPage(pilots[1280], 1280, `#/tasks/${task?.id}`);

    // Assess
    await page.getByRole('heading', { level: 1, name: 'long-heat', exact: true }).waitFor();
    expect(new URL(page.url()).hash).toBe(`#/tasks/${task?.id}`);
    expect(await page.locator('#account').textContent()).toContain(`Signed in as ${pilots[1280]}`);
    await page.close();
  });

  it('marks each empty login field and each broken password rule on its own line, and keeps the session for a new tab (phone)', async () => {
    // Prepare
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(stack.console);

    // Act
    await page.getByRole('button', { name: 'Log in' }).click();

    // Assess
    await expect
      .poll(() => page.locator('#login-username-error').textContent())
      .toBe('Enter your username or email');
    expect(await page.locator('#login-password-error').textContent()).toBe('Enter your password');
    expect(await page.locator('#login-username').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#login-alert').textContent()).toBe('Please correct the highlighted fields.');
    // A weak password breaks three rules: each one on its own line under the field.
    await page.locator('#signup-username').fill(`weak${run}`);
    await page.locator('#signup-email').fill(`weak${run}@example.com`);
    await page.locator('#signup-password1').fill('short');
    await page.locator('#signup-password2').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect
      .poll(() => page.locator('#signup-password1-error').innerText())
      .toBe('Must be at least 8 characters\nMust contain an upper-case letter\nMust contain a digit');
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'auth-errors-390.png'), fullPage: true });

    // Act: log in, then open another tab of the same browser
    await page.locator('#login-username').fill(pilots[390]);
    await page.locator('#login-password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your race videos' }).waitFor();
    const tab = await context.newPage();
    await tab.goto(stack.console);

    // Assess
    await tab.getByRole('heading', { level: 1, name: 'Your race videos' }).waitFor();
    expect(await tab.locator('#account').textContent()).toContain(`Signed in as ${pilots[390]}`);
    await context.close();
  });
});
