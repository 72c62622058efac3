import { AdminGetUserCommand, DeleteUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as createTask } from '#functions/api/create-task';
import { handler as startUpload } from '#functions/api/start-multipart-upload';
import { handler as login } from '#functions/api/login';
import { handler as annulVotes } from '#functions/api/annul-votes';
import { handler as reportVideo } from '#functions/api/report-video';
import { cognitoClient, databasePool, s3Client } from '#commons/clients';
import { storageConfig } from '#commons/config';
import { getMultipartUploads, getObjectStore, getTaskRepository } from '#commons/composition-root';
import { securityHeaders, type ApiHandler } from '#commons/http';
import { taskObjectKeys } from '#core/object-keys';
import type { CreatedTaskResponse, MultipartUploadResponse } from '#core/schemas';
import type { Caller, Task } from '#core/task';
import { type Gateway, startGateway } from '#infra/local/gateway';
import type { InvocableHandler } from '#infra/local/lambda-api';
import { LOCAL_INVOKED_FUNCTIONS } from '#infra/local/services/backing';
import { freePort } from '#infra/local/services/preflight';
import { signedUpPilot } from '#test/helpers/accounts';
import { storedVersions } from '#test/helpers/object-versions';
import { apiEvent, invoke, testContext } from '#test/helpers/api-gateway';
import { type CheckOptions, INVALID_REQUEST } from '#test/helpers/contract';
import { signatureOnlyIam } from '#test/helpers/iam';
import { castVote } from '#test/helpers/gallery-requests';
import { publishedTask } from '#test/helpers/tasks';
import { verifiedInDatabase } from '#test/helpers/verified-email';

const PASSWORD = 'Secret123';
const { bucket } = storageConfig();

// The delete-account function reaches the purge through the Lambda API, as on AWS: a local gateway answers it.
let gateway: Gateway;
let deleteAccount: ApiHandler;
let signup: ApiHandler;
let purgeAccount: InvocableHandler;
let emailCodes: InvocableHandler;

beforeAll(async () => {
  const port = await freePort();
  process.env.LAMBDA_ENDPOINT = `http://127.0.0.1:${port}`;
  ({ handler: deleteAccount } = await import('#functions/api/delete-account'));
  // After LAMBDA_ENDPOINT too: signup's Lambda client (shared) is made when it is imported.
  ({ handler: signup } = await import('#functions/api/signup'));
  ({ handler: purgeAccount } = await import('#functions/ops/purge-account'));
  ({ handler: emailCodes } = await import('#functions/ops/email-codes'));
  gateway = await startGateway({
    port,
    region: 'us-east-1',
    routes: [],
    authorizer: () => Promise.resolve({ isAuthorized: false }),
    functions: new Map([
      [LOCAL_INVOKED_FUNCTIONS.PURGE_ACCOUNT_FUNCTION, purgeAccount],
      // Signup sends the account's first code.
      [LOCAL_INVOKED_FUNCTIONS.EMAIL_CODES_FUNCTION, emailCodes],
    ]),
    corsOrigins: [],
    functionTimeoutSeconds: 30,
    iam: signatureOnlyIam(),
    onError: () => undefined,
  });
});

afterAll(async () => {
  await gateway.stop();
});

/** A pilot signed up through the API: the caller as the authorizer would pass it on. */
async function pilot(prefix: string): Promise<Caller> {
  const { caller } = await signedUpPilot(prefix);
  // Voters and pilots with published videos: verified (the mirror the vote and the gallery read).
  await verifiedInDatabase(caller);
  return caller;
}

/** A published video of `owner` with every object a task can own stored. */
async function videoWithObjects(owner: Caller): Promise<Task> {
  const task = await publishedTask(getTaskRepository(), owner);
  for (const key of taskObjectKeys(task))
    await s3Client().send(new PutObjectCommand({ Bucket: process.env.BUCKET_NAME, Key: key, Body: 'x' }));
  return task;
}

const deleteMe = (caller: Caller, body: unknown, options?: CheckOptions) =>
  invoke(deleteAccount, { method: 'DELETE', route: '/api/auth/me', body, caller }, options);

async function cognitoUser(username: string): Promise<string | null> {
  try {
    const user = await cognitoClient().send(
      new AdminGetUserCommand({ UserPoolId: process.env.USER_POOL_ID, Username: username }),
    );
    return user.Username ?? null;
  } catch (error) {
    if (error instanceof Error && error.name === 'UserNotFoundException') return null;
    throw error;
  }
}

/** What the database still holds of a pilot, and the counts their votes moved. */
async function traces(sub: string) {
  const [row] = (
    await databasePool().query<{
      users: string;
      tasks: string;
      votes: string;
      quota: string;
      deleted: string;
    }>(
      `SELECT (SELECT count(*) FROM users WHERE id = $1) AS users,
              (SELECT count(*) FROM tasks WHERE owner_id = $1) AS tasks,
              (SELECT count(*) FROM votes WHERE user_sub = $1) AS votes,
              (SELECT count(*) FROM upload_quota_usage WHERE owner_id = $1) AS quota,
              (SELECT count(*) FROM deleted_users WHERE id = $1) AS deleted`,
      [sub],
    )
  ).rows;
  return row;
}

async function standing(sub: string, taskId: number) {
  const { rows } = await databasePool().query<{ votes: number; published_votes: string }>(
    `SELECT t.vote_count AS votes, u.published_votes FROM tasks t JOIN users u ON u.id = t.owner_id
     WHERE t.id = $1 AND u.id = $2`,
    [taskId, sub],
  );
  return rows[0];
}

/** The size of each object the task can own, null where there is none. */
async function storedObjects(task: Task): Promise<(number | null)[]> {
  return Promise.all(
    taskObjectKeys(task).map(async (key) => (await getObjectStore().stat(key))?.sizeBytes ?? null),
  );
}

describe('DELETE /api/auth/me', () => {
  it('refuses a wrong password with 403 and the JSON error, and leaves everything as it was', async () => {
    // Prepare
    const ace = await pilot('ace');
    const video = await videoWithObjects(ace);

    // Act
    const response = await deleteMe(ace, { password: 'Wrong1234' });

    // Assess
    expect(response).toEqual({
      statusCode: 403,
      headers: securityHeaders,
      body: { message: 'The password is incorrect' },
    });
    expect(await cognitoUser(ace.username)).toBe(ace.username);
    expect(await traces(ace.sub)).toEqual({ users: '1', tasks: '1', votes: '0', quota: '1', deleted: '0' });
    expect(await storedObjects(video)).toEqual(taskObjectKeys(video).map(() => 1));
  });

  it('requires the password and nothing else in the body', async () => {
    const ace = await pilot('ace');
    expect(await deleteMe(ace, {}, INVALID_REQUEST)).toEqual({
      statusCode: 400,
      headers: securityHeaders,
      body: {
        message: 'Invalid request',
        errors: [{ field: 'password', message: expect.any(String) as unknown }],
      },
    });
    expect((await deleteMe(ace, { password: PASSWORD, force: true }, INVALID_REQUEST)).statusCode).toBe(400);
    expect(await cognitoUser(ace.username)).toBe(ace.username);
  });

  it('deletes every task, object, vote and row of the pilot and then the Cognito user, keeping every count right', async () => {
    // Prepare: ace has two videos and votes for bea's; bea and cy vote for ace's first video.
    const [ace, bea, cy] = [await pilot('ace'), await pilot('bea'), await pilot('cy')];
    const aceVideos = [await videoWithObjects(ace), await videoWithObjects(ace)];
    const beaVideo = await videoWithObjects(bea);
    for (const [voter, id] of [
      [ace, beaVideo.id],
      [bea, aceVideos[0]?.id ?? 0],
      [cy, aceVideos[0]?.id ?? 0],
      [cy, beaVideo.id],
    ] as const)
      expect((await castVote(voter, id)).statusCode).toBe(201);
    expect(await standing(bea.sub, beaVideo.id)).toEqual({ votes: 2, published_votes: '2' });

    // Act
    const response = await deleteMe(ace, { password: PASSWORD });

    // Assess
    expect(response).toEqual({ statusCode: 204, headers: securityHeaders, body: undefined });
    expect(await traces(ace.sub)).toEqual({ users: '0', tasks: '0', votes: '0', quota: '0', deleted: '1' });
    // bea's video lost ace's vote and kept cy's; bea's own vote on ace's video went with the video.
    expect(await standing(bea.sub, beaVideo.id)).toEqual({ votes: 1, published_votes: '1' });
    expect(await traces(bea.sub)).toEqual({ users: '1', tasks: '1', votes: '0', quota: '1', deleted: '0' });
    expect(await traces(cy.sub)).toMatchObject({ votes: '1' });
    for (const video of aceVideos)
      expect(await storedObjects(video)).toEqual(taskObjectKeys(video).map(() => null));
    expect(await storedObjects(beaVideo)).toEqual(taskObjectKeys(beaVideo).map(() => 1));
    expect(await cognitoUser(ace.username)).toBeNull();
    const loggingIn = await invoke(login, {
      method: 'POST',
      route: '/api/auth/login',
      body: { username: ace.username, password: PASSWORD },
    });
    expect(loggingIn.statusCode).toBe(401);
  });

  it("takes the pilot's reports, and the reports of the pilot's videos, with the account; the audit log keeps the username, never the email", async () => {
    // Prepare: dee reports eve's video, eve reports dee's; an admin annuls dee's votes (an audit entry naming dee).
    const [dee, eve, admin] = [await pilot('dee'), await pilot('eve'), await pilot('adm')];
    const [deeVideo, eveVideo] = [await videoWithObjects(dee), await videoWithObjects(eve)];
    for (const [reporter, id] of [
      [dee, eveVideo.id],
      [eve, deeVideo.id],
    ] as const) {
      const reported = await invoke(reportVideo, {
        method: 'POST',
        route: '/api/public/videos/{id}/reports',
        pathParameters: { id: String(id) },
        body: { reason: 'spam' },
        caller: reporter,
      });
      expect(reported.statusCode).toBe(201);
    }
    const annulled = await invoke(annulVotes, {
      method: 'DELETE',
      route: '/api/admin/pilots/{username}/votes',
      pathParameters: { username: dee.username },
      body: { reason: 'Checking a vote ring' },
      caller: admin,
      admin: true,
    });
    expect(annulled.statusCode).toBe(204);
    const reportsOf = async () =>
      (
        await databasePool().query<{ reporter: string; video: string }>(
          `SELECT reporter_sub AS reporter, task_id::text AS video FROM reports
           WHERE reporter_sub = ANY($1) ORDER BY reporter_sub = $2 DESC`,
          [[dee.sub, eve.sub], dee.sub],
        )
      ).rows;
    expect(await reportsOf()).toEqual([
      { reporter: dee.sub, video: String(eveVideo.id) },
      { reporter: eve.sub, video: String(deeVideo.id) },
    ]);

    // Act
    expect((await deleteMe(dee, { password: PASSWORD })).statusCode).toBe(204);

    // Assess: dee's report and the report of dee's (deleted) video are gone; eve's account and video stay.
    expect(await reportsOf()).toEqual([]);
    expect(await traces(eve.sub)).toMatchObject({ users: '1', tasks: '1' });
    const { rows: entries } = await databasePool().query<{ entry: string }>(
      `SELECT row_to_json(audit_log)::text AS entry FROM audit_log WHERE target = $1`,
      [dee.username],
    );
    expect(entries).toHaveLength(1);
    expect(entries[0]?.entry).toContain(`"admin_username":"${admin.username}"`);
    expect(entries[0]?.entry).not.toContain('@');
  });

  it("leaves no version of the pilot's originals: each recorded upload is deleted for good, not hidden", async () => {
    // Prepare: two tasks whose uploads the worker recorded (their version), as a versioned bucket stores them
    const ace = await pilot('ace');
    const prefixes: string[] = [];
    for (const fileName of ['heat-1.mp4', 'heat-2.mp4']) {
      const created = await invoke(createTask, {
        method: 'POST',
        route: '/api/tasks',
        body: { fileName, contentType: 'video/mp4', size: 1000 },
        caller: ace,
      });
      const { id, upload } = created.body as CreatedTaskResponse;
      const key = upload.fields.key ?? '';
      const { VersionId } = await s3Client().send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: new Uint8Array(1000) }),
      );
      expect(await getTaskRepository().markUploaded(key, 1000, VersionId)).not.toBeNull();
      expect(await storedVersions(bucket, `uploads/${id}/`)).toEqual([`${key}/${VersionId}`]);
      prefixes.push(`uploads/${id}/`);
    }

    // Act
    const response = await deleteMe(ace, { password: PASSWORD });

    // Assess
    expect(response).toEqual({ statusCode: 204, headers: securityHeaders, body: undefined });
    for (const prefix of prefixes) expect(await storedVersions(bucket, prefix)).toEqual([]);
  });

  it("aborts the pilot's unfinished multipart upload, so none of its parts stays billed", async () => {
    // Prepare: a task whose resumable upload stored one part and was never completed.
    const ace = await pilot('ace');
    const created = await invoke(createTask, {
      method: 'POST',
      route: '/api/tasks',
      body: { fileName: 'long-race.mp4', contentType: 'video/mp4', size: 1000 },
      caller: ace,
    });
    const task = created.body as CreatedTaskResponse;
    const started = await invoke(startUpload, {
      method: 'POST',
      route: '/api/tasks/{id}/multipart',
      pathParameters: { id: String(task.id) },
      caller: ace,
    });
    const { uploadId } = started.body as MultipartUploadResponse;
    const key = task.upload.fields.key ?? '';
    const partUrl = await getMultipartUploads().presignUploadPart({
      key,
      uploadId,
      partNumber: 1,
      contentLength: 1000,
      expiresInSeconds: 60,
    });
    expect((await fetch(partUrl, { method: 'PUT', body: new Uint8Array(1000) })).status).toBe(200);
    expect((await getMultipartUploads().listMultipartUploads(key)).map((upload) => upload.uploadId)).toEqual([
      uploadId,
    ]);

    // Act
    const response = await deleteMe(ace, { password: PASSWORD });

    // Assess
    expect(response).toEqual({ statusCode: 204, headers: securityHeaders, body: undefined });
    expect(await getMultipartUploads().listMultipartUploads(key)).toEqual([]);
    expect(await getMultipartUploads().listParts({ key, uploadId })).toBeNull();
    expect(await traces(ace.sub)).toEqual({ users: '0', tasks: '0', votes: '0', quota: '0', deleted: '1' });
  });

  it('answers a repeat 204 while the token lasts, and the token creates nothing any more', async () => {
    // Prepare
    const ace = await pilot('ace');
    await videoWithObjects(ace);
    expect((await deleteMe(ace, { password: PASSWORD })).statusCode).toBe(204);

    // Act: the user is gone, so there is no password to check (any will do) and nothing left to delete.
    const repeat = await deleteMe(ace, { password: 'anything' });
    const creating = await invoke(createTask, {
      method: 'POST',
      route: '/api/tasks',
      body: { fileName: 'again.mov', contentType: 'video/quicktime', size: 1000 },
      caller: ace,
    });

    // Assess
    expect(repeat).toEqual({ statusCode: 204, headers: securityHeaders, body: undefined });
    expect(creating).toEqual({
      statusCode: 401,
      headers: securityHeaders,
      body: { message: 'This account has been deleted' },
    });
    expect(await traces(ace.sub)).toEqual({ users: '0', tasks: '0', votes: '0', quota: '0', deleted: '1' });
  });

  it('finishes a deletion that stopped after the purge: the user is still there, the password still checked', async () => {
    // Prepare: the purge ran (the Cognito deletion then failed, say).
    const ace = await pilot('ace');
    const video = await videoWithObjects(ace);
    expect(await purgeAccount({ sub: ace.sub }, testContext('purge-account'))).toEqual({
      value: { tasks: 1 },
    });
    expect(await cognitoUser(ace.username)).toBe(ace.username);

    // Act
    const wrong = await deleteMe(ace, { password: 'Wrong1234' });
    const right = await deleteMe(ace, { password: PASSWORD });

    // Assess
    expect(wrong.statusCode).toBe(403);
    expect(right.statusCode).toBe(204);
    expect(await cognitoUser(ace.username)).toBeNull();
    expect(await storedObjects(video)).toEqual(taskObjectKeys(video).map(() => null));
  });

  it('deletes only the caller: a new account holding the old username stays', async () => {
    // Prepare: ace deletes the account; someone signs up as ace again.
    const ace = await pilot('ace');
    expect((await deleteMe(ace, { password: PASSWORD })).statusCode).toBe(204);
    const created = await invoke(signup, {
      method: 'POST',
      route: '/api/auth/signup',
      body: {
        username: ace.username,
        email: `new-${ace.username}@idrl.example`,
        password1: PASSWORD,
        password2: PASSWORD,
      },
    });
    expect(created.statusCode).toBe(201);

    // Act: the old token (its sub) asks again, with the new account's password.
    const repeat = await deleteMe(ace, { password: PASSWORD });

    // Assess
    expect(repeat.statusCode).toBe(204);
    expect(await cognitoUser(ace.username)).toBe(ace.username);
  });
});

describe("Cognito's self-service API", () => {
  it('refuses DeleteUser with the access token (the scope is suppressed), so no account goes behind the API', async () => {
    // Prepare
    const ace = await pilot('ace');
    const tokens = await invoke(login, {
      method: 'POST',
      route: '/api/auth/login',
      body: { username: ace.username, password: PASSWORD },
    });
    const { access_token: accessToken } = tokens.body as { access_token: string };

    // Act
    const deleting = cognitoClient().send(new DeleteUserCommand({ AccessToken: accessToken }));

    // Assess
    await expect(deleting).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Access Token does not have required scopes',
    });
    expect(await cognitoUser(ace.username)).toBe(ace.username);
  });
});

describe('the route behind the authorizer', () => {
  it('answers 401 without a caller', async () => {
    const response = await deleteAccount(
      apiEvent({ method: 'DELETE', route: '/api/auth/me', body: { password: PASSWORD } }),
      testContext(),
    );
    expect(response.statusCode).toBe(401);
  });
});
