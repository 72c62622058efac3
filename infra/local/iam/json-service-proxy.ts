/**
 * The enforcement point for an AWS JSON protocol service that runs as its own local server (Cognito user
 * pools: cognito-local): a reverse proxy (node:http) that authenticates and authorizes each call as the
 * service does (./aws-call.ts) and forwards the allowed ones unchanged. Cognito's public and token-authorized
 * operations (InitiateAuth, SignUp, GetUser, …) are not IAM-authorized on AWS, so they pass unsigned.
 * cognito-local does not verify signatures itself, so the request is forwarded as received; CORS preflights
 * pass through.
 */
import { type IncomingMessage, type ServerResponse, request as httpRequest } from 'node:http';
import { authorizeAwsCall } from './aws-call';
import { type Endpoint, readBody, sendAnswer, serve } from './endpoint';
import type { IamEnforcer } from './enforcer';
import { jsonServiceError } from './service-errors';

export interface JsonServiceProxyOptions {
  iam: IamEnforcer;
  /** The local service's endpoint (cognito-local's URL). */
  upstream: string;
  /** @default 127.0.0.1 */
  host?: string;
  /** 0: any free port. */
  port: number;
  /** `aws:SecureTransport` of the calls (see S3ProxyOptions.secureTransport). */
  secureTransport: boolean;
}

/** Cognito's own request size limit is far below this; a larger body is refused unread. */
const MAX_BODY_BYTES = 1024 * 1024;

export async function startJsonServiceProxy(options: JsonServiceProxyOptions): Promise<Endpoint> {
  const upstream = new URL(options.upstream);

  function forward(request: IncomingMessage, response: ServerResponse, body: Buffer | undefined): void {
    const toUpstream = httpRequest({
      host: upstream.hostname,
      port: upstream.port,
      method: request.method,
      path: request.url,
      headers: { ...request.headers, host: upstream.host },
    });
    toUpstream.on('response', (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    toUpstream.on('error', (error) => {
      if (response.headersSent) response.destroy(error);
      else
        sendAnswer(
          response,
          jsonServiceError('cognito-idp', 'InternalError', `The local service failed: ${error.message}`),
        );
    });
    if (body === undefined) request.pipe(toUpstream);
    else toUpstream.end(body);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method === 'OPTIONS') {
      forward(request, response, undefined);
      return;
    }
    const body = await readBody(request, MAX_BODY_BYTES);
    if (body === null) {
      // The service's front end refuses it before any operation runs.
      sendAnswer(response, { statusCode: 413, headers: {}, body: Buffer.alloc(0) });
      return;
    }
    const decision = await authorizeAwsCall(options.iam, {
      method: request.method ?? 'POST',
      url: request.url ?? '/',
      headers: request.headers,
      body,
      secure: options.secureTransport,
    });
    if (!decision.allowed) {
      sendAnswer(response, decision.answer);
      return;
    }
    forward(request, response, body);
  }

  return serve(
    handle,
    (error) =>
      jsonServiceError('cognito-idp', 'InternalError', `The local IAM proxy failed: ${String(error)}`),
    options,
  );
}
