import { describe, expect, it } from 'vitest';
import { checkExchange, contractProblems, type Exchange } from '#test/helpers/contract';

const NOW = '2026-12-07T18:00:00.000Z';

/** A task as GET /api/tasks/{id} documents it. */
const task = {
  id: 42,
  fileName: 'race.mp4',
  title: 'race',
  status: 'processed',
  createdAt: NOW,
  updatedAt: NOW,
  public: false,
  votes: 0,
  clip: { startSeconds: 0 },
  posterSeconds: 1,
  revision: 1,
};

function getTask(response: Exchange['response'], path = '/api/tasks/42'): Exchange {
  return { method: 'GET', path, response };
}

const ok = { status: 200, contentType: 'application/json; charset=utf-8', body: task };

describe('the contract check', () => {
  it('accepts a call within the document', () => {
    expect(contractProblems(getTask(ok))).toEqual([]);
    expect(() => {
      checkExchange(getTask(ok));
    }).not.toThrow();
  });

  it('fails a response without a required field, naming the operation, the status and the field', () => {
    const withoutVotes: Partial<typeof task> = { ...task };
    delete withoutVotes.votes;
    expect(() => {
      checkExchange(getTask({ ...ok, body: withoutVotes }));
    }).toThrow(
      /GET \/api\/tasks\/42 \(get-task, \/api\/tasks\/\{id\}\) → 200[\s\S]*response body \(200\)[\s\S]*must have required property 'votes'/,
    );
  });

  it('fails a response of the wrong type, a field the document does not allow, or a wrong content type', () => {
    expect(contractProblems(getTask({ ...ok, body: { ...task, votes: '0' } }))).toEqual([
      expect.stringMatching(/\/votes must be integer/),
    ]);
    expect(contractProblems(getTask({ ...ok, body: { ...task, secret: 'x' } }))).toEqual([
      expect.stringMatching(/must NOT have additional properties .*"additionalProperty":"secret"/),
    ]);
    expect(contractProblems(getTask({ ...ok, contentType: 'text/html' }))).toEqual([
      'content-type text/html, documented application/json',
    ]);
  });

  it('fails an undocumented status, and a body where the document has none', () => {
    expect(contractProblems(getTask({ status: 418, body: { message: 'teapot' } }))).toEqual([
      'status 418 is not documented (documented: 200, 400, 401, 404, 429, 500, 503)',
    ]);
    const deleted = { method: 'DELETE', path: '/api/tasks/42', response: { status: 204, body: task } };
    expect(contractProblems(deleted)).toEqual(['status 204 is documented without a body; one came']);
  });

  it('fails an error response that is not the documented error shape', () => {
    expect(
      contractProblems(getTask({ status: 404, contentType: 'application/json', body: { error: 'x' } })),
    ).toEqual([expect.stringMatching(/must have required property 'message'[\s\S]*additionalProperty/)]);
  });

  it('fails a wrong request: a path or query value, a missing or wrong body, an unknown parameter', () => {
    const notFound = { status: 404, contentType: 'application/json', body: { message: 'Not found' } };
    expect(contractProblems(getTask(notFound, '/api/tasks/abc'))).toEqual([
      expect.stringMatching(/^path parameters:[\s\S]*\/id must match pattern/),
    ]);
    const list = (query: Record<string, string>): Exchange => ({
      method: 'GET',
      path: '/api/tasks',
      query,
      response: { status: 200, contentType: 'application/json', body: { data: [task] } },
    });
    expect(contractProblems(list({ max: '5' }))).toEqual([]);
    expect(contractProblems(list({ max: 'many' }))).toEqual([
      expect.stringMatching(/^query parameters:[\s\S]*\/max/),
    ]);
    expect(contractProblems(list({ page: '2' }))).toEqual([
      expect.stringMatching(/^query parameters:[\s\S]*"additionalProperty":"page"/),
    ]);
    const login = (body: unknown): Exchange => ({
      method: 'POST',
      path: '/api/auth/login',
      body,
      response: { status: 400, contentType: 'application/json', body: { message: 'Validation failed' } },
    });
    expect(contractProblems(login({ username: 'pilot', password: 'secret' }))).toEqual([]);
    expect(contractProblems(login(undefined))).toEqual(['the operation requires a JSON body; none was sent']);
    expect(contractProblems(login({ username: 'pilot' }))).toEqual([
      expect.stringMatching(/^request body:[\s\S]*must have required property 'password'/),
    ]);
  });

  it('lets a deliberately invalid request through, but still checks its response', () => {
    const bad = {
      method: 'POST',
      path: '/api/auth/login',
      body: {},
      response: { status: 400, body: { message: 'x' } },
    };
    expect(
      contractProblems(
        { ...bad, response: { ...bad.response, contentType: 'application/json' } },
        {
          invalidRequest: true,
        },
      ),
    ).toEqual([]);
    expect(
      contractProblems(
        { ...bad, response: { status: 404, body: { message: 'x' } } },
        { invalidRequest: true },
      ),
    ).toEqual([expect.stringMatching(/^status 404 is not documented/)]);
  });

  it('fails a call the document has no operation for', () => {
    expect(contractProblems({ method: 'PUT', path: '/api/tasks/42', response: ok })).toEqual([
      'PUT /api/tasks/42: the document has no PUT for /api/tasks/{id}',
    ]);
    expect(contractProblems({ method: 'GET', path: '/api/nowhere', response: ok })).toEqual([
      'GET /api/nowhere: no path of the document matches',
    ]);
  });
});
