/**
 * The local stack's mailbox (docs/spec.md §7, docs/local-stack.md "The local mailbox"): the local Cognito sends no
 * email; every message it would send (a password-reset code...) is kept here instead, one JSON line per message in
 * the state folder, so it survives a restart, and shown at /_local/mailbox (an HTML page) and
 * GET /_local/mailbox?to=<email> (JSON). The deployed stack has no such route: only the local gateway serves it.
 */
import { appendFile, readFile } from 'node:fs/promises';
import type { Context } from 'cognito-local/lib/services/context.js';
import type { Message } from 'cognito-local/lib/services/messages.js';
import type { MessageSender } from 'cognito-local/lib/services/messageDelivery/messageSender.js';
import type { User } from 'cognito-local/lib/services/userPoolService.js';
import { verificationCodeIn } from '#core/verification-email';
import type { LocalPageAnswer } from '../gateway';

export interface MailboxMessage {
  to: string;
  subject: string;
  text: string;
  code?: string;
  /** ISO 8601. */
  sentAt: string;
}

/** The template's email for a code (the user pool's VerificationMessageTemplate); `{####}` is the code. */
export interface CodeEmail {
  subject: string;
  body: string;
}

export class Mailbox {
  constructor(
    readonly file: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async record(message: Omit<MailboxMessage, 'sentAt'>): Promise<void> {
    await appendFile(this.file, `${JSON.stringify({ ...message, sentAt: this.now().toISOString() })}\n`);
  }

  /** Newest first; only the messages to `to` (compared regardless of case, as Cognito compares emails) if given. */
  async list(to?: string): Promise<MailboxMessage[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const wanted = to?.toLowerCase();
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as MailboxMessage)
      .filter((message) => wanted === undefined || message.to.toLowerCase() === wanted)
      .reverse();
  }

  /**
   * cognito-local's message sender: what Cognito's default sender would mail, as the pool's template words it (the
   * code in place of `{####}`), or as the pool's CustomMessage trigger wrote it. `code` is the one the recipient
   * enters: the API's own in a verification email (functions/core/verification-email.ts), Cognito's otherwise.
   */
  sender(email: CodeEmail): MessageSender {
    const keep = async (destination: string, message: Message) => {
      const code =
        (message.emailMessage === undefined ? undefined : verificationCodeIn(message.emailMessage)) ??
        message.__code;
      await this.record({
        to: destination,
        subject: message.emailSubject ?? email.subject,
        text: message.emailMessage ?? email.body.replaceAll('{####}', code ?? ''),
        ...(code === undefined ? {} : { code }),
      });
    };
    return {
      sendEmail: (_ctx: Context, _user: User, destination: string, message: Message) =>
        keep(destination, message),
      // The pool has no phone attribute: Cognito would send no SMS; one would be kept all the same.
      sendSms: (_ctx: Context, _user: User, destination: string, message: Message) =>
        keep(destination, message),
    };
  }
}

/** The mailbox's path on the local gateway. */
export const MAILBOX_PATH = '/_local/mailbox';

const escapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (character) => escapes[character] ?? character);

function page(messages: MailboxMessage[]): string {
  const rows = messages.map(
    (message) =>
      `<article><h2>${escapeHtml(message.subject)}</h2><p class="meta">To <strong>${escapeHtml(message.to)}</strong>, ` +
      `<time datetime="${escapeHtml(message.sentAt)}">${escapeHtml(message.sentAt)}</time></p>` +
      `<pre>${escapeHtml(message.text)}</pre>` +
      (message.code === undefined ? '' : `<p>Code: <code>${escapeHtml(message.code)}</code></p>`) +
      '</article>',
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Local mailbox — IDRL</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:48rem;padding:1rem}article{border:1px solid #ccc;border-radius:6px;margin:1rem 0;padding:0 1rem}.meta{color:#555}pre{white-space:pre-wrap}code{font-size:1.25rem}</style>
</head><body><h1>Local mailbox</h1>
<p>Every email the local Cognito would have sent, newest first. Nothing leaves this machine. JSON: <code>GET ${MAILBOX_PATH}?to=&lt;email&gt;</code>.</p>
${rows.length === 0 ? '<p>No messages yet.</p>' : rows.join('\n')}
</body></html>`;
}

/**
 * The gateway's answer for the mailbox's path, or undefined for any other path. `?to=` answers JSON
 * `{data: [message]}` (docs/spec.md §7); without it, the page for a developer.
 */
export async function mailboxAnswer(
  mailbox: Mailbox,
  method: string,
  url: URL,
): Promise<LocalPageAnswer | undefined> {
  if (url.pathname !== MAILBOX_PATH) return undefined;
  if (method !== 'GET')
    return {
      statusCode: 405,
      headers: { 'content-type': 'application/json', allow: 'GET' },
      body: Buffer.from(JSON.stringify({ message: 'Method Not Allowed' })),
    };
  const to = url.searchParams.get('to');
  if (to !== null)
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      body: Buffer.from(JSON.stringify({ data: await mailbox.list(to) })),
    };
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      // Nothing but this page's own inline style: a message's text is escaped, and no script runs here.
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    },
    body: Buffer.from(page(await mailbox.list())),
  };
}
