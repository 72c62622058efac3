/**
 * Accounts a pilot can trust, in the web console (headless Chromium at phone and desktop width) against the local
 * stack of test/support/e2e-setup.ts: "Log out" revokes the session's refresh token, and "Forgot password?" mails a
 * code (read from the local mailbox, /_local/mailbox) that sets a new password and ends every session; the upload
 * box asks whether the video will be public and the list shows the answer; a new pilot is asked for the code mailed
 * to the email (the mailbox again), cannot vote until it is entered, and can once it is; an address another account
 * claimed and never verified is still its owner's to sign up with, verify and log in with.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MailboxMessage } from '#infra/local/services/mailbox';
import { CHROMIUM_ARGS, CHROMIUM_PATH, signUpInForm, verifyByKeyboard } from '#test/helpers/browser';
import { callApi, signUp } from '#test/support/http-client';

const ARTIFACTS_DIR = fileURLToPath(new URL('../artifacts/', import.meta.url));
const PASSWORD = 'Throttle9Up';
const NEW_PASSWORD = 'Fresh4Gates';

const stack = inject('stack');

/** A refresh token of a session of this pilot that is not the browser's: what a reset must end too. */
async function otherSession(username: string, password: string): Promise<string> {
  const login = await callApi<{ refresh_token: string }>(stack.api, 'POST', '/auth/login', {
    body: { username, password },
  });
  expect(login.status).toBe(200);
  return login.body.refresh_token;
}

function refreshStatus(refreshToken: string): Promise<number> {
  return callApi(stack.api, 'POST', '/auth/refresh', { body: { refresh_token: refreshToken } }).then(
    (response) => response.status,
  );
}

async function mailbox(email: string): Promise<MailboxMessage[]> {
  const response = await fetch(`${stack.console}_local/mailbox?to=${encodeURIComponent(email)}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: MailboxMessage[] }).data;
}

/** Logs in through the form with a username or an email; the header names the account's username. */
async function logIn(page: Page, login: string, password: string, username = login): Promise<void> {
  await page.getByRole('textbox', { name: 'Username or email' }).fill(login);
  await page.getByLabel('Password', { exact: true }).first().fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect.poll(() => page.locator('#account').textContent()).toContain(`Signed in as ${username}`);
}

/** Presses Tab from where focus is until the element with this id has it; fails if it is not among the next 15. */
async function tabTo(page: Page, id: string): Promise<void> {
  for (let presses = 0; presses < 15; presses++) {
    await page.keyboard.press('Tab');
    if ((await page.evaluate(() => document.activeElement?.id)) === id) return;
  }
  throw new Error(`#${id} is not reached by Tab`);
}

/** Logs in through the form expecting a refusal: the login form's alert. */
async function refusedLogIn(page: Page, username: string, password: string): Promise<string | null> {
  await page.getByRole('textbox', { name: 'Username or email' }).fill(username);
  await page.getByLabel('Password', { exact: true }).first().fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  const alert = page.locator('#login-alert');
  await alert.waitFor();
  return alert.textContent();
}

describe.each([390, 1280])('accounts in the console at %i px', (width) => {
  const username = `acct${width}${Date.now().toString(36)}`;
  const email = `${username}@example.com`;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await mkdir(ARTIFACTS_DIR, { recursive: true });
    await signUp(stack.api, username, PASSWORD);
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await browser.close();
  });

  it("logs out by revoking the session's refresh token: it refreshes nothing afterwards", async () => {
    // Prepare
    await page.goto(stack.console);
    await logIn(page, username, PASSWORD);
    // The console's session (web/src/session.ts).
    const stored = await page.evaluate(() => localStorage.getItem('idrl.session'));
    const refreshToken =
      stored === null ? null : (JSON.parse(stored) as { refreshToken: string }).refreshToken;
    expect(refreshToken).toBeTruthy();
    expect(await refreshStatus(refreshToken ?? '')).toBe(200);

    // Act
    await page.getByRole('button', { name: 'Log out' }).click();

    // Assess
    await expect.poll(() => page.getByRole('status').allTextContents()).toContain('You are logged out.');
    expect(await refreshStatus(refreshToken ?? '')).toBe(401);
  });

  it('resets a forgotten password with the code from the mailbox, ending every other session', async () => {
    // Prepare
    const other = await otherSession(username, PASSWORD);
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.getByRole('textbox', { name: 'Username or email' }).fill(email);
    await page.getByRole('button', { name: 'Email me a code' }).click();
    await expect
      .poll(() => page.getByRole('textbox', { name: 'Code from the email' }).isVisible())
      .toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, `account-reset-${width}.png`), fullPage: true });
    const [message] = await mailbox(email);
    expect(message?.code).toMatch(/^\d{6}$/);

    // Act
    await page.getByRole('textbox', { name: 'Code from the email' }).fill(message?.code ?? '');
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Repeat new password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Set new password' }).click();

    // Assess
    await expect
      .poll(() => page.getByRole('status').allTextContents())
      .toContainEqual(expect.stringContaining('every session of your account has ended'));
    expect(await refreshStatus(other)).toBe(401);
    await logIn(page, username, NEW_PASSWORD);
    expect(pageErrors).toEqual([]);
  });

  it("uploads with the pilot's choice from the upload box: Private is stored and shown as the list's badge", async () => {
    // Prepare: the pilot is logged in (the previous step); the box asks before anything is uploaded.
    // The list names a task by its title: by default the file name without its extension.
    const title = `private-heat-${width}`;
    const fileName = `${title}.mp4`;
    await expect.poll(() => page.getByRole('radio', { name: 'Public' }).isChecked()).toBe(true);

    // Act
    await page.getByRole('radio', { name: 'Private' }).check();
    await page.locator('#video-file').setInputFiles({
      name: fileName,
      mimeType: 'video/mp4',
      buffer: Buffer.alloc(4096, 7),
    });
    await page.getByRole('button', { name: 'Upload' }).click();

    // Assess
    const item = page.locator('.task-item', { hasText: title });
    await expect.poll(() => item.locator('.visibility').textContent()).toBe('Private');
    const stored = await page.evaluate(() => localStorage.getItem('idrl.session'));
    const token = stored === null ? '' : (JSON.parse(stored) as { accessToken: string }).accessToken;
    const tasks = await callApi<{ data: { fileName: string; public: boolean }[] }>(
      stack.api,
      'GET',
      '/tasks',
      {
        token,
      },
    );
    expect(tasks.body.data.find((task) => task.fileName === fileName)?.public).toBe(false);
    await page.screenshot({
      path: path.join(ARTIFACTS_DIR, `account-upload-choice-${width}.png`),
      fullPage: true,
    });
  });

  it('shows the mailbox page a developer opens', async () => {
    // Act
    await page.goto(`${stack.console}_local/mailbox`);

    // Assess
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Local mailbox');
    expect(await page.locator('article').first().textContent()).toContain(email);
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, `account-mailbox-${width}.png`), fullPage: true });
  });

  it("asks a new pilot for the email's code, refuses its vote saying so, and verifies it with the mailed code", async () => {
    // Prepare: signed up through the API and not verified; the browser logs in as that pilot.
    const fresh = `new${width}${Date.now().toString(36)}`;
    const freshEmail = `${fresh}@example.com`;
    const body = { username: fresh, email: freshEmail, password1: PASSWORD, password2: PASSWORD };
    expect((await callApi(stack.api, 'POST', '/auth/signup', { body })).status).toBe(201);
    await page.goto(stack.console);
    await page.getByRole('button', { name: 'Log out' }).click();
    await expect.poll(() => page.getByRole('status').allTextContents()).toContain('You are logged out.');
    await logIn(page, fresh, PASSWORD);
    const banner = page.getByRole('region', { name: 'Verify your email' });
    await expect.poll(() => banner.isVisible()).toBe(true);
    expect(await banner.textContent()).toContain(freshEmail);
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, `account-verify-${width}.png`), fullPage: true });
    const stored = await page.evaluate(() => localStorage.getItem('idrl.session'));
    const token = stored === null ? '' : (JSON.parse(stored) as { accessToken: string }).accessToken;
    // The check comes before the video's: any id answers the reason.
    const refused = await callApi<{ message: string }>(stack.api, 'POST', '/public/videos/1/vote', { token });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/^Verify your email address to vote/);
    const [message] = await mailbox(freshEmail);
    expect(message?.code).toMatch(/^\d{6}$/);

    // Act: keyboard only, as the page opens: Tab to the banner's field, a wrong code first, then the mailed one.
    await page.reload();
    await banner.waitFor();
    await tabTo(page, 'verify-code');
    await page.keyboard.type(message?.code === '000000' ? '111111' : '000000');
    await page.keyboard.press('Enter');
    // The API's message at the field, the form's summary in its alert; focus back on the field.
    const code = banner.getByRole('textbox', { name: 'Code from the email' });
    await expect.poll(() => page.locator('#verify-code-error').textContent()).toBe('Invalid or expired code');
    expect(await banner.getByRole('alert').textContent()).toBe('Please correct the highlighted fields.');
    expect(await code.getAttribute('aria-invalid')).toBe('true');
    await page.keyboard.press('Control+A');
    await verifyByKeyboard(page, message?.code ?? '');

    // Assess
    expect(await banner.isVisible()).toBe(false);
    const me = await callApi<{ emailVerified: boolean }>(stack.api, 'GET', '/auth/me', { token });
    expect(me.body.emailVerified).toBe(true);
    // The reason is gone: video 1 is counted, or simply not a published video.
    const again = await callApi(stack.api, 'POST', '/public/videos/1/vote', { token });
    expect([201, 404]).toContain(again.status);
    expect(pageErrors).toEqual([]);
  });

  it('lets the owner of an email another account claimed sign up with it, verify it and log in with it', async () => {
    // Prepare: account A claims the address through the signup form and never verifies it.
    const tag = `${width}${Date.now().toString(36)}`;
    const squatter = `claim${tag}`;
    const owner = `owner${tag}`;
    const claimed = `claimed${tag}@example.com`;
    await page.getByRole('button', { name: 'Log out' }).click();
    await expect.poll(() => page.getByRole('status').allTextContents()).toContain('You are logged out.');
    const answer = page.locator('#login').getByRole('status');
    await signUpInForm(page, squatter, claimed, PASSWORD);
    await expect
      .poll(() => answer.textContent())
      .toBe(`Account ${squatter} created. Log in with your new password.`);
    // An unverified claim logs nobody in.
    expect(await refusedLogIn(page, claimed, PASSWORD)).toBe('Invalid username or password');

    // Act: the owner signs up with the same address (the same answer as any signup), verifies it and logs in.
    await signUpInForm(page, owner, claimed, NEW_PASSWORD);
    await expect
      .poll(() => answer.textContent())
      .toBe(`Account ${owner} created. Log in with your new password.`);
    expect(await page.locator('#signup-alert').isVisible()).toBe(false);
    expect(await page.locator('#signup-email').getAttribute('aria-invalid')).toBeNull();
    const [ownerCode, squatterCode] = (await mailbox(claimed)).map((each) => each.code);
    await logIn(page, owner, NEW_PASSWORD);
    const banner = page.getByRole('region', { name: 'Verify your email' });
    await expect.poll(() => banner.textContent()).toContain(claimed);
    await banner.getByRole('textbox', { name: 'Code from the email' }).fill(ownerCode ?? '');
    await banner.getByRole('button', { name: 'Verify email' }).click();
    await expect
      .poll(() => page.getByRole('status').allTextContents())
      .toContainEqual(expect.stringContaining('Your email is verified'));
    await page.getByRole('button', { name: 'Log out' }).click();
    await expect.poll(() => page.getByRole('status').allTextContents()).toContain('You are logged out.');
    await logIn(page, claimed, NEW_PASSWORD, owner);

    // Assess: the address is the owner's now; A keeps its account but not the address.
    await page.getByRole('button', { name: 'Log out' }).click();
    await expect.poll(() => page.getByRole('status').allTextContents()).toContain('You are logged out.');
    expect(await refusedLogIn(page, claimed, PASSWORD)).toBe('Invalid username or password');
    await logIn(page, squatter, PASSWORD);
    await expect.poll(() => banner.textContent()).toContain(claimed);
    await banner.getByRole('textbox', { name: 'Code from the email' }).fill(squatterCode ?? '');
    await banner.getByRole('button', { name: 'Verify email' }).click();
    await expect
      .poll(() => banner.getByRole('alert').textContent())
      .toBe('This email address is already verified by another account');
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, `account-claimed-${width}.png`), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
