/**
 * The API's own per-client count of votes (docs/infra.md, "Without WAF: the API's own count"): the vote and
 * withdraw handlers with PostgreSQL, the address read as functions/core/client-address.ts reads it.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { databasePool } from '#commons/clients';
import { getTaskRepository } from '#commons/composition-root';
import { securityHeaders } from '#commons/http';
import { VIEWER_ADDRESS_HEADER } from '#core/client-address';
import { ORIGIN_VERIFY_HEADER, ORIGIN_VERIFY_VARIABLE } from '#core/edge-origin';
import type { Caller } from '#core/task';
import { handler as vote } from '#functions/api/vote';
import { handler as withdrawVote } from '#functions/api/withdraw-vote';
import { PER_CLIENT_REFUSAL_MESSAGE, type PerClientRule, perClientRules } from '#functions/routes';
import { invoke } from '#test/helpers/api-gateway';
import { publishedTask } from '#test/helpers/tasks';
import { verifiedInDatabase } from '#test/helpers/verified-email';

function votingRule(): PerClientRule {
  const rule = perClientRules.find((candidate) => candidate.name === 'voting');
  if (rule === undefined) throw new Error('functions/routes.ts has no voting rule');
  return rule;
}
const voting = votingRule();
const WINDOW_MS = voting.windowSeconds * 1000;
/** A window start of the fixed windows (aligned to the epoch), far from any other test's clock. */
const WINDOW = Math.floor(Date.UTC(2031, 0, 1) / WINDOW_MS) * WINDOW_MS;
/** The CloudFront edge every viewer arrives from, as API Gateway sees it. */
const EDGE = '130.176.0.1';
const SECRET = 'origin-secret-of-this-test';

const newCaller = (): Caller => ({ sub: randomUUID(), username: `fan_${randomUUID().slice(0, 8)}` });
/** A fresh address per test (the counts live in the shared test database). */
const newAddress = (): string =>
  `10.${String(randomInt(256))}.${String(randomInt(256))}.${String(randomInt(256))}`;

interface From {
  sourceIp: string;
  headers?: Record<string, string>;
}

/** One vote or withdrawal (alternating, so every request is a valid one) for `id`, as `caller` from `from`. */
function request(kind: 'vote' | 'withdraw', caller: Caller, id: number, from: From) {
  return invoke(kind === 'vote' ? vote : withdrawVote, {
    method: kind === 'vote' ? 'POST' : 'DELETE',
    route: '/api/public/videos/{id}/vote',
    pathParameters: { id: String(id) },
    caller,
    ...from,
  });
}

/** The rule's whole budget from `from`: vote, withdraw, vote… `voting.limit` requests, each answered as usual. */
async function spend(caller: Caller, id: number, from: (index: number) => From): Promise<number[]> {
  const statuses: number[] = [];
  for (let index = 0; index < voting.limit; index += 1)
    statuses.push((await request(index % 2 === 0 ? 'vote' : 'withdraw', caller, id, from(index))).statusCode);
  return statuses;
}

const expectedStatuses = Array.from({ length: voting.limit }, (_, index) => (index % 2 === 0 ? 201 : 204));

let video: number;
beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(WINDOW + 1_000);
  video = (await publishedTask(getTaskRepository(), newCaller())).id;
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

describe('the voting rule, counted by the API itself', () => {
  it('refuses the request past the limit from one address with Retry-After, while another address votes', async () => {
    // Prepare
    const fan = newCaller();
    // Voting needs a verified email (SPEC §7).
    await verifiedInDatabase(fan);
    const crowded = { sourceIp: newAddress() };
    const statuses = await spend(fan, video, () => crowded);

    // Act
    const refused = await request('vote', fan, video, crowded);
    const refusedWithdrawal = await request('withdraw', fan, video, crowded);
    const elsewhere = await request('vote', fan, video, { sourceIp: newAddress() });

    // Assess: the window started 1 s ago, so the refusal lasts the window's remaining 299 s.
    expect(statuses).toEqual(expectedStatuses);
    expect(refused).toEqual({
      statusCode: 429,
      headers: { ...securityHeaders, 'retry-after': String(voting.windowSeconds - 1) },
      body: { message: PER_CLIENT_REFUSAL_MESSAGE },
    });
    expect(refusedWithdrawal.statusCode).toBe(429);
    expect(elsewhere.statusCode).toBe(201);
  });

  it('counts again from zero in the next window', async () => {
    // Prepare
    const fan = newCaller();
    // Voting needs a verified email (SPEC §7).
    await verifiedInDatabase(fan);
    const from = { sourceIp: newAddress() };
    await spend(fan, video, () => from);
    vi.setSystemTime(WINDOW + WINDOW_MS - 1);
    const lastMoment = await request('vote', fan, video, from);

    // Act
    vi.setSystemTime(WINDOW + WINDOW_MS);
    const nextWindow = await request('vote', fan, video, from);

    // Assess: and the first request of the new window forgot the windows that are over.
    expect(lastMoment).toMatchObject({ statusCode: 429, headers: { 'retry-after': '1' } });
    expect(nextWindow.statusCode).toBe(201);
    const { rows } = await databasePool().query<{ stale: string }>(
      `SELECT count(*) AS stale FROM client_request_counts WHERE rule = $1 AND window_start < $2`,
      [voting.name, new Date(WINDOW + WINDOW_MS)],
    );
    expect(rows).toEqual([{ stale: '0' }]);
  });

  it("counts the viewer's address behind the CDN: one viewer refused, another through the same edge not", async () => {
    // Prepare
    vi.stubEnv(ORIGIN_VERIFY_VARIABLE, SECRET);
    const fan = newCaller();
    // Voting needs a verified email (SPEC §7).
    await verifiedInDatabase(fan);
    const viewer = (address: string): From => ({
      sourceIp: EDGE,
      headers: {
        [ORIGIN_VERIFY_HEADER]: SECRET,
        [VIEWER_ADDRESS_HEADER]: `${address}:${String(randomInt(1024, 65_536))}`,
      },
    });
    const crowded = newAddress();
    const statuses = await spend(fan, video, () => viewer(crowded));

    // Act
    const refused = await request('vote', fan, video, viewer(crowded));
    const neighbour = await request('vote', fan, video, viewer(newAddress()));

    // Assess
    expect(statuses).toEqual(expectedStatuses);
    expect(refused.statusCode).toBe(429);
    expect(neighbour.statusCode).toBe(201);
  });

  it('never uses the header on a request without the CDN proof: the connection is counted', async () => {
    // Prepare: no origin secret configured (nothing proves where a header came from), a new viewer each time.
    const fan = newCaller();
    // Voting needs a verified email (SPEC §7).
    await verifiedInDatabase(fan);
    const sourceIp = newAddress();
    const claiming = (): From => ({
      sourceIp,
      headers: { [VIEWER_ADDRESS_HEADER]: `${newAddress()}:443`, 'x-forwarded-for': newAddress() },
    });
    const statuses = await spend(fan, video, claiming);

    // Act
    const refused = await request('vote', fan, video, claiming());

    // Assess
    expect(statuses).toEqual(expectedStatuses);
    expect(refused.statusCode).toBe(429);
  });
});
