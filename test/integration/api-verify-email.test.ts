import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { handler as getPublicVideo } from '#functions/api/get-public-video';
import { handler as listPublicVideos } from '#functions/api/list-public-videos';
import { handler as login } from '#functions/api/login';
import { handler as me } from '#functions/api/me';
import { handler as resend } from '#functions/api/resend-verification';
import { handler as signup } from '#functions/api/signup';
import { handler as verifyEmail } from '#functions/api/verify-email';
import { handler as vote } from '#functions/api/vote';
import { handler as withdrawVote } from '#functions/api/withdraw-vote';
import { databasePool } from '#commons/clients';
import { getTaskRepository } from '#commons/composition-root';
import { securityHeaders } from '#commons/http';
import { MAX_CODE_ATTEMPTS, RESEND_INTERVAL_SECONDS } from '#core/email-verification';
import { VERIFY_TO_VOTE } from '#core/gallery-service';
import type { Caller } from '#core/task';
import { VERIFICATION_EMAIL_SUBJECT } from '#core/verification-email';
import { Mailbox } from '#infra/local/services/mailbox';
import { invoke } from '#test/helpers/api-gateway';
import { publishedTask } from '#test/helpers/tasks';
import { decodeJwtPayload } from '#test/helpers/tokens';

const PASSWORD = 'Secret123';
const mailbox = new Mailbox(inject('mailboxFile'));

const unique = (prefix: string) => `${prefix}_${randomUUID().slice(0, 8)}`;

function postSignup(username: string, email: string) {
  return invoke(signup, {
    method: 'POST',
    route: '/api/auth/signup',
    body: { username, email, password1: PASSWORD, password2: PASSWORD },
  });
}

function postLogin(username: string) {
  return invoke(login, { method: 'POST', route: '/api/auth/login', body: { username, password: PASSWORD } });
}

/** A pilot signed up (so mailed a code) and logged in by username: the caller as the authorizer passes it on. */
async function pilot(prefix: string, email?: string): Promise<Caller & { email: string }> {
  const username = unique(prefix);
  const address = email ?? `${username}@idrl.example`;
  expect((await postSignup(username, address)).statusCode).toBe(201);
  const tokens = await postLogin(username);
  const { access_token: accessToken } = tokens.body as { access_token: string };
  return { sub: String(decodeJwtPayload(accessToken).sub), username, email: address };
}

/** The code of the newest verification email to `email`. */
async function latestCode(email: string): Promise<string> {
  const [message] = (await mailbox.list(email)).filter(
    (entry) => entry.subject === VERIFICATION_EMAIL_SUBJECT,
  );
  if (message?.code === undefined) throw new Error(`No verification code was mailed to ${email}`);
  return message.code;
}

function postVerify(caller: Caller, code: string) {
  return invoke(verifyEmail, { method: 'POST', route: '/api/auth/verify-email', body: { code }, caller });
}

function postResend(caller: Caller) {
  return invoke(resend, { method: 'POST', route: '/api/auth/verify-email/resend', caller });
}

const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

async function verifiedAt(sub: string): Promise<Date | null | undefined> {
  const { rows } = await databasePool().query<{ email_verified_at: Date | null }>(
    'SELECT email_verified_at FROM users WHERE id = $1',
    [sub],
  );
  return rows[0]?.email_verified_at;
}

async function emailVerified(caller: Caller): Promise<boolean> {
  const response = await invoke(me, { method: 'GET', route: '/api/auth/me', caller });
  return (response.body as { emailVerified: boolean }).emailVerified;
}

const invalidCode = (message: string) => ({
  statusCode: 400,
  headers: securityHeaders,
  body: { message, errors: [{ field: 'code', message }] },
});

describe('POST /api/auth/verify-email', () => {
  it('verifies the email with the code mailed at signup: Cognito and the database mirror both say so', async () => {
    // Prepare
    const caller = await pilot('verify');
    expect(await emailVerified(caller)).toBe(false);
    expect(await verifiedAt(caller.sub)).toBeNull();
    const [mail] = await mailbox.list(caller.email);
    expect(mail?.text).toContain(`Your IDRL verification code is ${mail?.code ?? '?'}`);

    // Act
    const response = await postVerify(caller, await latestCode(caller.email));

    // Assess
    expect(response).toEqual({ statusCode: 204, headers: securityHeaders, body: undefined });
    expect(await emailVerified(caller)).toBe(true);
    expect(await verifiedAt(caller.sub)).toBeInstanceOf(Date);
  });

  it('refuses a wrong code with 400 on `code`, and the right one still works after it', async () => {
    // Prepare
    const caller = await pilot('wrong');
    const code = await latestCode(caller.email);

    // Act
    const wrong = await postVerify(caller, wrongCode(code));
    const right = await postVerify(caller, code);

    // Assess
    expect(wrong).toEqual(invalidCode('Invalid or expired code'));
    expect(right.statusCode).toBe(204);
  });

  it('refuses an expired code', async () => {
    // Prepare
    const caller = await pilot('expired');
    const code = await latestCode(caller.email);
    await databasePool().query(
      "UPDATE email_verification_codes SET expires_at = now() - interval '1 second' WHERE user_sub = $1",
      [caller.sub],
    );

    // Act
    const response = await postVerify(caller, code);

    // Assess
    expect(response).toEqual(invalidCode('Invalid or expired code'));
    expect(await emailVerified(caller)).toBe(false);
  });

  it(`voids the code after ${MAX_CODE_ATTEMPTS} wrong ones: even the right code is refused then`, async () => {
    // Prepare
    const caller = await pilot('attempts');
    const code = await latestCode(caller.email);
    const answers = [];
    for (let attempt = 1; attempt <= MAX_CODE_ATTEMPTS; attempt++)
      answers.push((await postVerify(caller, wrongCode(code))).body);

    // Act
    const response = await postVerify(caller, code);

    // Assess
    expect(answers.at(-2)).toEqual(invalidCode('Invalid or expired code').body);
    expect(answers.at(-1)).toEqual(invalidCode('This code is no longer valid: request a new one').body);
    expect(response).toEqual(invalidCode('Invalid or expired code'));
    expect(await emailVerified(caller)).toBe(false);
  });

  it('answers 409 when another account has verified the address first; its owner keeps it', async () => {
    // Prepare: a squatter claims the address first, then its owner signs up with it and verifies it.
    const email = `${unique('claimed')}@idrl.example`;
    const squatter = await pilot('squatter', email);
    const squatterCode = await latestCode(email);
    const owner = await pilot('owner', email);
    expect(await postVerify(owner, await latestCode(email))).toMatchObject({ statusCode: 204 });

    // Act
    const response = await postVerify(squatter, squatterCode);

    // Assess
    const message = 'This email address is already verified by another account';
    expect(response).toEqual({
      statusCode: 409,
      headers: securityHeaders,
      body: { message, errors: [{ field: 'email', message }] },
    });
    expect(await emailVerified(squatter)).toBe(false);
    const asOwner = await postLogin(email);
    expect(asOwner.statusCode).toBe(200);
    const { access_token: token } = asOwner.body as { access_token: string };
    expect(decodeJwtPayload(token).sub).toBe(owner.sub);
  });
});

describe('POST /api/auth/verify-email under simultaneous requests', () => {
  it('verifies one email for exactly one of 5 accounts verifying it at once: one 204 and four 409', async () => {
    // Prepare: 5 accounts with one address, each with its own code (read right after its signup).
    const email = `${unique('race')}@idrl.example`;
    const accounts: { caller: Caller; code: string }[] = [];
    for (let index = 0; index < 5; index++) {
      const caller = await pilot('racer', email);
      accounts.push({ caller, code: await latestCode(email) });
    }

    // Act
    const responses = await Promise.all(accounts.map(({ caller, code }) => postVerify(caller, code)));

    // Assess
    expect(responses.map((response) => response.statusCode).sort()).toEqual([204, 409, 409, 409, 409]);
    const verified = await Promise.all(accounts.map(({ caller }) => emailVerified(caller)));
    expect(verified.filter(Boolean)).toHaveLength(1);
  });
});

describe('POST /api/auth/signup and the email', () => {
  it('answers the same for an address another account has verified as for a new one', async () => {
    // Prepare
    const email = `${unique('taken')}@idrl.example`;
    const first = await pilot('first', email);
    await postVerify(first, await latestCode(email));
    const second = unique('second');
    const fresh = unique('fresh');

    // Act
    const onTaken = await postSignup(second, email);
    const onFresh = await postSignup(fresh, `${fresh}@idrl.example`);

    // Assess
    expect(onTaken).toEqual({ statusCode: 201, headers: onFresh.headers, body: { username: second, email } });
    expect(onFresh).toEqual({
      statusCode: 201,
      headers: onTaken.headers,
      body: { username: fresh, email: `${fresh}@idrl.example` },
    });
  });

  it('lets nobody log in with an unverified email; the owner can once it is verified', async () => {
    // Prepare
    const caller = await pilot('alias');

    // Act
    const before = await postLogin(caller.email);
    await postVerify(caller, await latestCode(caller.email));
    const after = await postLogin(caller.email);

    // Assess
    expect(before.statusCode).toBe(401);
    expect(after.statusCode).toBe(200);
  });
});

describe('POST /api/auth/verify-email/resend', () => {
  it(`refuses a second code within ${RESEND_INTERVAL_SECONDS} s with 429 and Retry-After, then mails a new one`, async () => {
    // Prepare
    const caller = await pilot('resend');
    const first = await latestCode(caller.email);

    // Act
    const tooSoon = await postResend(caller);
    await databasePool().query(
      `UPDATE email_verification_codes SET sent_at = sent_at - make_interval(secs => $2) WHERE user_sub = $1`,
      [caller.sub, RESEND_INTERVAL_SECONDS],
    );
    const later = await postResend(caller);

    // Assess
    expect(tooSoon.statusCode).toBe(429);
    const retryAfter = Number(tooSoon.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(RESEND_INTERVAL_SECONDS);
    expect(later).toEqual({ statusCode: 202, headers: securityHeaders, body: undefined });
    const second = await latestCode(caller.email);
    expect(await mailbox.list(caller.email)).toHaveLength(2);
    // The new code replaces the old one.
    if (second !== first) expect((await postVerify(caller, first)).statusCode).toBe(400);
    expect((await postVerify(caller, second)).statusCode).toBe(204);
  });

  it('answers 409 once the email is verified', async () => {
    // Prepare
    const caller = await pilot('done');
    await postVerify(caller, await latestCode(caller.email));

    // Act
    const response = await postResend(caller);

    // Assess
    expect(response.statusCode).toBe(409);
    expect(await mailbox.list(caller.email)).toHaveLength(1);
  });
});

describe('until the email is verified', () => {
  const castVote = (caller: Caller, id: number) =>
    invoke(vote, {
      method: 'POST',
      route: '/api/public/videos/{id}/vote',
      pathParameters: { id: String(id) },
      caller,
    });

  /** Whether the gallery lists the video (newest first: a video published now is on the first page) and shows it. */
  const inGallery = async (id: number) => {
    const list = await invoke(listPublicVideos, { method: 'GET', route: '/api/public/videos' });
    const page = await invoke(getPublicVideo, {
      method: 'GET',
      route: '/api/public/videos/{id}',
      pathParameters: { id: String(id) },
    });
    return {
      listed: (list.body as { data: { id: number }[] }).data.some((video) => video.id === id),
      status: page.statusCode,
    };
  };

  it('refuses votes and withdrawals with 403 saying to verify; after verifying the vote counts', async () => {
    // Prepare: a verified pilot's published video.
    const owner = await pilot('owner');
    await postVerify(owner, await latestCode(owner.email));
    const video = await publishedTask(getTaskRepository(), owner);
    const voter = await pilot('voter');
    const forbidden = { statusCode: 403, headers: securityHeaders, body: { message: VERIFY_TO_VOTE } };

    // Act
    const refused = await castVote(voter, video.id);
    const withdrawal = await invoke(withdrawVote, {
      method: 'DELETE',
      route: '/api/public/videos/{id}/vote',
      pathParameters: { id: String(video.id) },
      caller: voter,
    });
    await postVerify(voter, await latestCode(voter.email));
    const accepted = await castVote(voter, video.id);

    // Assess
    expect(refused).toEqual(forbidden);
    expect(withdrawal).toEqual(forbidden);
    expect(accepted).toMatchObject({ statusCode: 201, body: { id: video.id, votes: 1 } });
  });

  it("keeps the pilot's public videos out of the gallery; verifying shows them at once", async () => {
    // Prepare
    const caller = await pilot('hidden');
    const video = await publishedTask(getTaskRepository(), caller, { ownerVerified: false });

    // Act
    const before = await inGallery(video.id);
    await postVerify(caller, await latestCode(caller.email));
    const after = await inGallery(video.id);

    // Assess
    expect(before).toEqual({ listed: false, status: 404 });
    expect(after).toEqual({ listed: true, status: 200 });
  });
});
