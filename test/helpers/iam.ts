/**
 * The pieces the local IAM tests share: an SDK client option that captures the request the real SDK signed,
 * instead of sending it, so that a test can hand it to an enforcement point as that point would receive it.
 */

/** The parts of the SDK's signed HTTP request that an enforcement point reads. */
export interface SignedSdkRequest {
  method: string;
  path: string;
  query: Record<string, string | string[] | null | undefined>;
  headers: Record<string, string>;
  body?: unknown;
}

class CapturedRequest extends Error {
  constructor(readonly request: SignedSdkRequest) {
    super('captured');
  }
}

/**
 * A client option that hands the signed request back instead of sending it: the handler rejects with it, and
 * `captured` takes it out of the rejection. One attempt, so the SDK's retry never resends it.
 */
export function capturingConfig(
  credentials: { accessKeyId: string; secretAccessKey: string },
  region = 'us-east-1',
) {
  return {
    region,
    credentials,
    maxAttempts: 1,
    requestHandler: {
      handle: (request: SignedSdkRequest) => Promise.reject(new CapturedRequest(request)),
    },
  };
}

/** The request that `send`, on a client built with `capturingConfig`, signed. */
export async function captured(send: () => Promise<unknown>): Promise<SignedSdkRequest> {
  const error = await send().then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof CapturedRequest))
    throw new Error(`The SDK did not reach the handler: ${String(error)}`);
  return error.request;
}
