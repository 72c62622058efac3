import { describe, expect, it } from 'vitest';
import { ValidationError } from '#core/errors';
import {
  createTaskRequest,
  listTasksQuery,
  signupRequest,
  taskIdParameters,
  updateTaskRequest,
} from '#core/schemas';
import { defaultTitle } from '#core/task';
import { parseInput } from '#core/validation';

function errorsOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.errors;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

const validSignup = {
  username: 'ace_pilot.1-x',
  email: 'Ace@IDRL.Example',
  password1: 'Secret123',
  password2: 'Secret123',
};

describe('signupRequest', () => {
  it('accepts a valid signup and lowercases the email', () => {
    expect(parseInput(signupRequest, validSignup)).toEqual({ ...validSignup, email: 'ace@idrl.example' });
  });

  it.each([
    [
      'a too short username',
      { username: 'ab' },
      'username',
      'Must be 3–32 characters of letters, digits, _ . -',
    ],
    [
      'a too long username',
      { username: 'a'.repeat(33) },
      'username',
      'Must be 3–32 characters of letters, digits, _ . -',
    ],
    [
      'a username with an @',
      { username: 'ace@home' },
      'username',
      'Must be 3–32 characters of letters, digits, _ . -',
    ],
    [
      'a unicode username',
      { username: 'pilotó' },
      'username',
      'Must be 3–32 characters of letters, digits, _ . -',
    ],
    [
      'an injection-looking username',
      { username: "x'; DROP TABLE users;--" },
      'username',
      'Must be 3–32 characters of letters, digits, _ . -',
    ],
    ['an invalid email', { email: 'not-an-email' }, 'email', 'Must be a valid email address'],
    [
      'a short password',
      { password1: 'Ab1', password2: 'Ab1' },
      'password1',
      'Must be at least 8 characters',
    ],
    [
      'a password without upper case',
      { password1: 'secret123', password2: 'secret123' },
      'password1',
      'Must contain an upper-case letter',
    ],
    [
      'a password without lower case',
      { password1: 'SECRET123', password2: 'SECRET123' },
      'password1',
      'Must contain a lower-case letter',
    ],
    [
      'a password without digit',
      { password1: 'SecretOne', password2: 'SecretOne' },
      'password1',
      'Must contain a digit',
    ],
    ['mismatched passwords', { password2: 'Secret124' }, 'password2', 'Passwords do not match'],
  ])('rejects %s', (_case, change, field, message) => {
    expect(errorsOf(() => parseInput(signupRequest, { ...validSignup, ...change }))).toEqual([
      { field, message },
    ]);
  });

  it('names every missing and unknown field', () => {
    expect(errorsOf(() => parseInput(signupRequest, { username: 'ace', admin: true }))).toEqual([
      { field: 'email', message: 'Must be a valid email address' },
      { field: 'password1', message: 'Invalid input: expected string, received undefined' },
      { field: 'password2', message: 'Invalid input: expected string, received undefined' },
      { field: 'admin', message: 'Unknown field' },
    ]);
  });
});

describe('createTaskRequest', () => {
  const valid = { fileName: 'Carrera ñ 😀 (final).MP4', contentType: 'Video/MP4', size: 1 };

  it('accepts a unicode display name and normalizes the content type', () => {
    expect(parseInput(createTaskRequest, valid)).toEqual({ ...valid, contentType: 'video/mp4' });
  });

  it.each(['application/octet-stream', 'video/quicktime', 'video/x-matroska', 'video/webm'])(
    'accepts content type %s',
    (contentType) => {
      expect(parseInput(createTaskRequest, { ...valid, contentType }).contentType).toBe(contentType);
    },
  );

  it.each([
    ['a path traversal', '../../etc/passwd'],
    ['a backslash path', '..\\windows\\x.mp4'],
    ['a URL', 'https://evil.example/x.mp4'],
    ['a control character', 'race\n.mp4'],
    ['a bidi override', 'evil\u202Egpj.mp4'],
    ['an empty name', ''],
    ['a dot-dot name', '..'],
    ['a blank name', '   '],
    ['a too long name', `${'a'.repeat(252)}.mp4`],
  ])('rejects %s as fileName', (_case, fileName) => {
    expect(errorsOf(() => parseInput(createTaskRequest, { ...valid, fileName }))).toEqual([
      { field: 'fileName', message: expect.any(String) as string },
    ]);
  });

  it.each(['text/html', 'image/png', 'video/', 'video/mp4; codecs=avc1', 'application/json'])(
    'rejects content type %s',
    (contentType) => {
      expect(errorsOf(() => parseInput(createTaskRequest, { ...valid, contentType }))).toEqual([
        { field: 'contentType', message: 'Must be video/* or application/octet-stream' },
      ]);
    },
  );

  it.each([0, -1, 1.5, Number.MAX_SAFE_INTEGER + 2, '100', null])('rejects size %s', (size) => {
    expect(errorsOf(() => parseInput(createTaskRequest, { ...valid, size }))).toEqual([
      { field: 'size', message: 'Must be a positive integer' },
    ]);
  });
});

describe('titles (docs/spec.md §9)', () => {
  const create = { fileName: 'race.mp4', contentType: 'video/mp4', size: 1 };

  it.each([
    ['one character', 'a', 'a'],
    ['80 characters', 'a'.repeat(80), 'a'.repeat(80)],
    ['80 characters outside the BMP (code points, not UTF-16 units)', '😀'.repeat(80), '😀'.repeat(80)],
    ['surrounding spaces, trimmed', '  Heat 3 — final  ', 'Heat 3 — final'],
    ['markup, kept as text', '<b>"Fast" & loud</b>', '<b>"Fast" & loud</b>'],
  ])('accepts %s, at creation and in a PATCH', (_case, title, stored) => {
    expect(parseInput(createTaskRequest, { ...create, title }).title).toBe(stored);
    expect(parseInput(updateTaskRequest, { title })).toEqual({ title: stored });
  });

  it.each([
    ['an empty title', '', 'Must be 1–80 characters'],
    ['a blank title', '   ', 'Must be 1–80 characters'],
    ['81 characters', 'a'.repeat(81), 'Must be 1–80 characters'],
    ['81 characters outside the BMP', '😀'.repeat(81), 'Must be 1–80 characters'],
    ['a line break', 'Heat\n3', 'Must not contain control characters'],
    ['a trailing tab', 'Heat 3\t', 'Must not contain control characters'],
    ['a C1 control', 'Heat\u00853', 'Must not contain control characters'],
    ['a bidi override', 'evil\u202Egpj', 'Must not contain control characters'],
    ['a number', 42, 'Must be text'],
  ])('refuses %s, at creation and in a PATCH', (_case, title, message) => {
    expect(errorsOf(() => parseInput(createTaskRequest, { ...create, title }))).toEqual([
      { field: 'title', message },
    ]);
    expect(errorsOf(() => parseInput(updateTaskRequest, { title }))).toEqual([{ field: 'title', message }]);
  });

  it('takes a PATCH of public, title or both, and refuses one of neither or of an unknown field', () => {
    expect(parseInput(updateTaskRequest, { public: false })).toEqual({ public: false });
    expect(parseInput(updateTaskRequest, { public: true, title: 'x' })).toEqual({ public: true, title: 'x' });
    expect(errorsOf(() => parseInput(updateTaskRequest, {}))).toEqual([
      { field: '(root)', message: 'Send at least one of public, title, clip, posterSeconds' },
    ]);
    expect(errorsOf(() => parseInput(updateTaskRequest, { title: 'x', fileName: 'y' }))).toEqual([
      { field: 'fileName', message: 'Unknown field' },
    ]);
  });

  it.each([
    ['race.mp4', 'race'],
    ['Heat 3 final.cut.MOV', 'Heat 3 final.cut'],
    ['no-extension', 'no-extension'],
    ['.hidden', '.hidden'],
    ['  spaced  .mp4', 'spaced'],
    [' .mp4', '.mp4'],
    [`${'😀'.repeat(100)}.mp4`, '😀'.repeat(80)],
  ])('defaults the title of %j to %j (the file name without its extension)', (fileName, title) => {
    expect(defaultTitle(fileName)).toBe(title);
    expect(parseInput(updateTaskRequest, { title }).title).toBe(title);
  });
});

describe('listTasksQuery', () => {
  it('accepts max and order strings and converts max', () => {
    expect(parseInput(listTasksQuery, { max: '100', order: '1', cursor: '7' })).toEqual({
      max: 100,
      order: '1',
      cursor: 7,
    });
  });

  it.each([
    [{ max: '0' }, 'max'],
    [{ max: '101' }, 'max'],
    [{ max: 'ten' }, 'max'],
    [{ max: '-1' }, 'max'],
    [{ max: '1.5' }, 'max'],
    [{ order: '2' }, 'order'],
    [{ order: 'asc' }, 'order'],
    [{ cursor: 'abc' }, 'cursor'],
    [{ page: '1' }, 'page'],
  ])('rejects %j', (query, field) => {
    expect(errorsOf(() => parseInput(listTasksQuery, query))).toEqual([
      { field, message: expect.any(String) as string },
    ]);
  });
});

describe('taskIdParameters', () => {
  it.each(['abc', '0', '-1', '1e3', '1.0', '9999999999999999', ' 1'])('rejects id %j', (id) => {
    expect(errorsOf(() => parseInput(taskIdParameters, { id }))).toEqual([
      { field: 'id', message: 'Must be a positive integer' },
    ]);
  });

  it('accepts a positive integer id', () => {
    expect(parseInput(taskIdParameters, { id: '42' })).toEqual({ id: 42 });
  });
});

describe("the pilot's cut on createTaskRequest and updateTaskRequest", () => {
  const valid = { fileName: 'race.mp4', contentType: 'video/mp4', size: 1 };

  it('accepts a start and a poster offset inside the clip', () => {
    expect(
      parseInput(createTaskRequest, { ...valid, clip: { startSeconds: 95.5 }, posterSeconds: 15.9 }),
    ).toEqual({
      ...valid,
      clip: { startSeconds: 95.5 },
      posterSeconds: 15.9,
    });
    expect(parseInput(updateTaskRequest, { clip: { startSeconds: 0 } })).toEqual({
      clip: { startSeconds: 0 },
    });
  });

  it.each([
    ['a negative start', { clip: { startSeconds: -1 } }, 'clip.startSeconds', 'Must be at least 0'],
    ['a start past 24 h', { clip: { startSeconds: 86_401 } }, 'clip.startSeconds', 'Must be at most 86400'],
    ['a start as text', { clip: { startSeconds: '10' } }, 'clip.startSeconds', 'Must be a number of seconds'],
    [
      'an unknown clip field',
      { clip: { startSeconds: 1, endSeconds: 17 } },
      'clip.endSeconds',
      'Unknown field',
    ],
    [
      'a poster at the clip end',
      { posterSeconds: 16 },
      'posterSeconds',
      'Must be less than 16 (an offset inside the clip)',
    ],
    ['a negative poster', { posterSeconds: -0.5 }, 'posterSeconds', 'Must be at least 0'],
  ])('rejects %s', (_case, body, field, message) => {
    expect(errorsOf(() => parseInput(createTaskRequest, { ...valid, ...body }))).toEqual([
      { field, message },
    ]);
    expect(errorsOf(() => parseInput(updateTaskRequest, body))).toEqual([{ field, message }]);
  });

  it('rejects an empty update', () => {
    expect(errorsOf(() => parseInput(updateTaskRequest, {}))).toHaveLength(1);
  });
});
