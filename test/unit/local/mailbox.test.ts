import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Mailbox, mailboxAnswer } from '#infra/local/services/mailbox';

const TEMPLATE = { subject: 'Your code', body: 'Your code is {####}.' };

let directory: string;
let clock: number;
let mailbox: Mailbox;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'mailbox-'));
  clock = Date.parse('2026-12-07T10:00:00.000Z');
  mailbox = new Mailbox(join(directory, 'mailbox.jsonl'), () => new Date((clock += 1000)));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** What cognito-local hands its sender: the code only (no CustomMessage trigger runs). */
async function send(to: string, code: string): Promise<void> {
  await mailbox.sender(TEMPLATE).sendEmail({} as never, {} as never, to, { __code: code });
}

async function answer(url: string, method = 'GET') {
  const result = await mailboxAnswer(mailbox, method, new URL(url, 'http://gateway'));
  return result && { ...result, text: result.body.toString() };
}

describe('the local mailbox', () => {
  it("keeps what Cognito would mail, worded by the pool's template, newest first, by address regardless of case", async () => {
    // Prepare
    await send('ace@idrl.example', '111111');
    await send('other@idrl.example', '222222');
    await send('Ace@IDRL.example', '333333');

    // Act
    const result = await answer('/_local/mailbox?to=ACE@idrl.example');

    // Assess
    expect(result?.statusCode).toBe(200);
    expect(result?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(result?.text ?? '')).toEqual({
      data: [
        {
          to: 'Ace@IDRL.example',
          subject: 'Your code',
          text: 'Your code is 333333.',
          code: '333333',
          sentAt: '2026-12-07T10:00:03.000Z',
        },
        {
          to: 'ace@idrl.example',
          subject: 'Your code',
          text: 'Your code is 111111.',
          code: '111111',
          sentAt: '2026-12-07T10:00:01.000Z',
        },
      ],
    });
  });

  it('answers an empty list before anything was sent', async () => {
    // Act
    const result = await answer('/_local/mailbox?to=nobody@idrl.example');

    // Assess
    expect(JSON.parse(result?.text ?? '')).toEqual({ data: [] });
  });

  it('shows every message on a page, its text escaped, under a CSP that runs no script', async () => {
    // Prepare
    await send('<script>@idrl.example', '444444');

    // Act
    const result = await answer('/_local/mailbox');

    // Assess
    expect(result?.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(result?.headers['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'");
    expect(result?.text).toContain('&lt;script&gt;@idrl.example');
    expect(result?.text).not.toContain('<script>');
    expect(result?.text).toContain('<code>444444</code>');
  });

  it('keeps the messages across a restart (a new Mailbox on the same file)', async () => {
    // Prepare
    await send('ace@idrl.example', '555555');

    // Act
    const reopened = await new Mailbox(mailbox.file).list('ace@idrl.example');

    // Assess
    expect(reopened.map((message) => message.code)).toEqual(['555555']);
  });

  it('answers only its own path, and only GET', async () => {
    // Act
    const other = await answer('/api/health');
    const post = await answer('/_local/mailbox', 'POST');

    // Assess
    expect(other).toBeUndefined();
    expect(post?.statusCode).toBe(405);
  });
});
