/** What the browser tests share: Chromium as installed, and a generated race video. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];
export const SOURCE_SECONDS = 3;

/**
 * A few seconds of test pattern with a tone: H.264 + AAC in MP4, like a phone or goggles recording.
 * `lossless` makes it a few MB instead of a few hundred KB: many parts at the tests' part size.
 */
export async function generateRaceVideo(ffmpegPath: string, file: string, lossless = false): Promise<string> {
  await promisify(execFile)(ffmpegPath, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostdin',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=640x360:rate=30:duration=${SOURCE_SECONDS}`,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:sample_rate=44100:duration=${SOURCE_SECONDS}`,
    '-c:v',
    'libx264',
    ...(lossless ? ['-preset', 'ultrafast', '-qp', '0'] : []),
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-shortest',
    file,
  ]);
  return file;
}

/**
 * Keyboard only, from the focused "Code from the email" field of the console's "Verify your email" banner: types
 * the code, Tabs to "Verify email", presses Enter, and waits for the console to say the email is verified.
 */
export async function verifyByKeyboard(page: Page, code: string): Promise<void> {
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('verify-code');
  await page.keyboard.type(code);
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Verify email');
  await page.keyboard.press('Enter');
  await expect
    .poll(() => page.getByRole('status').allTextContents())
    .toContainEqual(expect.stringContaining('Your email is verified'));
}

/** Fills the console's "Create an account" form (the login page) and submits it, as a person signing up does. */
export async function signUpInForm(
  page: Page,
  username: string,
  email: string,
  password: string,
): Promise<void> {
  await page.locator('#signup-username').fill(username);
  await page.locator('#signup-email').fill(email);
  await page.locator('#signup-password1').fill(password);
  await page.locator('#signup-password2').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
}
