/**
 * Small HTTP helpers for the e2e tests: they talk to the platform as any client would — JSON
 * API calls, a browser-style presigned POST upload, and ffmpeg/ffprobe for the videos — and look into
 * storage behind it (storedObjectStatus).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_REGION } from '#infra/local/services/backing';
import { S3RVER_CREDENTIALS } from '#infra/local/services/s3';
import { checkExchange, type CheckOptions } from '#test/helpers/contract';

const run = promisify(execFile);

export interface JsonResponse<T = unknown> {
  status: number;
  body: T;
}

/**
 * One JSON API call as a client makes it. It fails unless the request and the response are within the published
 * OpenAPI document (test/helpers/contract.ts); a test that sends a request outside it on purpose passes
 * `invalidRequest: true`, and its response is still checked.
 */
export async function callApi<T = unknown>(
  apiUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown } & CheckOptions = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const url = new URL(`${apiUrl}${path}`);
  const response = await fetch(url, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  const body = (text ? JSON.parse(text) : undefined) as T;
  checkExchange(
    {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: options.body,
      response: {
        status: response.status,
        contentType: response.headers.get('content-type') ?? undefined,
        body,
      },
    },
    options,
  );
  return { status: response.status, body };
}

/** The newest message's code mailed to `email`, from the local stack's mailbox (docs/local-stack.md). */
export async function mailedCode(apiUrl: string, email: string): Promise<string> {
  const response = await fetch(new URL(`/_local/mailbox?to=${encodeURIComponent(email)}`, apiUrl));
  const { data } = (await response.json()) as { data: { code?: string }[] };
  const code = data[0]?.code;
  if (code === undefined) throw new Error(`No code was mailed to ${email}`);
  return code;
}

/**
 * Signs a new pilot up through the API, with an email of its own, and verifies that email with the code from the
 * local mailbox, as a pilot does before voting or being in the gallery; throws unless the API answers 201 and 204.
 * The signup's answer is returned.
 */
export async function signUp(apiUrl: string, username: string, password: string): Promise<JsonResponse> {
  const email = `${username}@example.com`;
  const body = { username, email, password1: password, password2: password };
  const response = await callApi(apiUrl, 'POST', '/auth/signup', { body });
  if (response.status !== 201) throw new Error(`signup of ${username} answered ${response.status}`);
  const token = await logIn(apiUrl, username, password);
  const verified = await callApi(apiUrl, 'POST', '/auth/verify-email', {
    token,
    body: { code: await mailedCode(apiUrl, email) },
  });
  if (verified.status !== 204) throw new Error(`verifying ${email} answered ${verified.status}`);
  return response;
}

async function logIn(apiUrl: string, username: string, password: string): Promise<string> {
  const login = await callApi<{ access_token: string }>(apiUrl, 'POST', '/auth/login', {
    body: { username, password },
  });
  if (login.status !== 200) throw new Error(`login of ${username} answered ${login.status}`);
  return login.body.access_token;
}

/** A new pilot signed up (email verified) and logged in through the API: its access token. */
export async function signUpAndLogIn(apiUrl: string, username: string, password: string): Promise<string> {
  await signUp(apiUrl, username, password);
  return logIn(apiUrl, username, password);
}

export interface PresignedUpload {
  url: string;
  fields: Record<string, string>;
}

/** multipart/form-data as a browser form sends it: the policy fields first, the file last. */
export async function postUpload(
  upload: PresignedUpload,
  filePath: string,
  contentType: string,
): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
  form.append('file', new Blob([await readFile(filePath)], { type: contentType }), 'race.mp4');
  return fetch(upload.url, { method: 'POST', body: form });
}

/** A test video: colour bars and a tone, H.264 + AAC in MP4. */
export async function generateVideo(
  ffmpegPath: string,
  output: string,
  options: { seconds: number; width: number; height: number },
): Promise<void> {
  const { seconds, width, height } = options;
  await run(ffmpegPath, [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc=duration=${seconds}:size=${width}x${height}:rate=30`,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:duration=${seconds}`,
    '-shortest',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    output,
  ]);
}

export interface ProbedVideo {
  width: number;
  height: number;
  durationSeconds: number;
  videoCodec: string;
  audioCodec: string | null;
}

export async function probeVideo(ffprobePath: string, file: string): Promise<ProbedVideo> {
  const { stdout } = await run(ffprobePath, [
    '-v',
    'error',
    '-print_format',
    'json',
    '-show_streams',
    '-show_format',
    file,
  ]);
  const probe = JSON.parse(stdout) as {
    streams: { codec_type: string; codec_name: string; width?: number; height?: number }[];
    format: { duration: string };
  };
  const video = probe.streams.find((stream) => stream.codec_type === 'video');
  if (!video?.width || !video.height) throw new Error(`${file} has no video stream`);
  return {
    width: video.width,
    height: video.height,
    durationSeconds: Number(probe.format.duration),
    videoCodec: video.codec_name,
    audioCodec: probe.streams.find((stream) => stream.codec_type === 'audio')?.codec_name ?? null,
  };
}

/** Polls until `done` accepts the value or the deadline passes (then returns the last value). */
export async function pollUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    value = await read();
  }
  return value;
}

/**
 * What storage holds at the key a presigned URL names, asked of s3rver itself with its own key: 200, or 404 once
 * the object is gone. (The URL itself answers a missing key with 403 when its signer may not list the bucket,
 * as S3 does.)
 */
export async function storedObjectStatus(s3rverEndpoint: string, url: string): Promise<number> {
  const client = new S3Client({
    endpoint: s3rverEndpoint,
    forcePathStyle: true,
    region: LOCAL_REGION,
    credentials: S3RVER_CREDENTIALS,
  });
  const [, bucket = '', ...key] = new URL(url).pathname.split('/');
  try {
    await client.send(new HeadObjectCommand({ Bucket: bucket, Key: decodeURIComponent(key.join('/')) }));
    return 200;
  } catch (error) {
    return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
  } finally {
    client.destroy();
  }
}
