/**
 * AWS cost per processed video and per 1 000 API calls, from the measured durations at the memory
 * sizes the stack configures. List prices, us-east-1, x86_64, no free tier: written here so the
 * report says what it assumed.
 */
import { DEFAULT_FUNCTION_MEMORY_MB } from '#infra/constructs/lambda-defaults';
import { WORKER_DEFAULTS } from '#infra/constructs/worker';

export const PRICES = {
  lambdaGbSecond: 0.0000166667,
  lambdaRequest: 0.2 / 1e6,
  /** Ephemeral storage beyond the free 512 MB. */
  lambdaEphemeralGbSecond: 0.0000000309,
  httpApiRequest: 1.0 / 1e6,
  sqsRequest: 0.4 / 1e6,
  s3PutRequest: 0.005 / 1000,
  s3GetRequest: 0.0004 / 1000,
  s3GbMonth: 0.023,
} as const;

/**
 * MediaConvert on-demand list prices assumed (us-east-1, Basic tier: AVC single pass with clipping,
 * stitching and static overlays). Each output is billed by its duration, per second, at least 10 s.
 */
export const MEDIACONVERT_PRICES = {
  /** HD (720p) AVC output at ≤ 30 fps, per minute. */
  hdOutputMinute: 0.015,
  /** The frame-capture output, priced as an SD minute: an assumption, the pricing page names no rate for it. */
  frameCaptureMinute: 0.0075,
  minimumBilledSeconds: 10,
  /** Assumed, not measured: ffprobe over the loopback source (the worker's validation), a CreateJob call, a completion. */
  validationSeconds: 1,
  submitterMs: 300,
  completionMs: 200,
} as const;

export interface CostReport {
  prices: typeof PRICES;
  mediaConvertPrices: typeof MEDIACONVERT_PRICES;
  perVideo: {
    workerSeconds: number;
    memoryMb: number;
    lambda: number;
    requests: number;
    storagePerMonth: number;
    total: number;
  };
  /** The same video on the MediaConvert backend (`-c processor=mediaconvert`). */
  perVideoMediaConvert: {
    outputSeconds: number;
    mediaConvert: number;
    lambda: number;
    requests: number;
    storagePerMonth: number;
    total: number;
  };
  per1000ApiCalls: {
    handlerMs: number;
    memoryMb: number;
    apiGateway: number;
    lambda: number;
    authorizer: number;
    total: number;
  };
}

/** Lambda bills duration rounded up to the millisecond. */
function lambdaCost(milliseconds: number, memoryMb: number): number {
  return (Math.ceil(milliseconds) / 1000) * (memoryMb / 1024) * PRICES.lambdaGbSecond + PRICES.lambdaRequest;
}

function billedMinutes(seconds: number): number {
  return Math.max(Math.ceil(seconds), MEDIACONVERT_PRICES.minimumBilledSeconds) / 60;
}

function mediaConvertPerVideo(
  outputSeconds: number,
  storagePerMonth: number,
): CostReport['perVideoMediaConvert'] {
  const prices = MEDIACONVERT_PRICES;
  const mediaConvert =
    billedMinutes(outputSeconds) * prices.hdOutputMinute +
    billedMinutes(outputSeconds) * prices.frameCaptureMinute;
  const lambda =
    lambdaCost(prices.validationSeconds * 1000, WORKER_DEFAULTS.memorySize) +
    lambdaCost(prices.submitterMs, DEFAULT_FUNCTION_MEMORY_MB) +
    lambdaCost(prices.completionMs, DEFAULT_FUNCTION_MEMORY_MB);
  // SQS as with ffmpeg. S3 PUTs: the browser's upload, the job request, the MP4, two frame captures; GETs: the
  // worker's probe, the submitter's read, MediaConvert's reads of the source and the logo (a few ranges each:
  // 6 assumed), the completion's two HeadObjects. MediaConvert's EventBridge events are free.
  const requests = 3 * PRICES.sqsRequest + 5 * PRICES.s3PutRequest + 10 * PRICES.s3GetRequest;
  return {
    outputSeconds,
    mediaConvert,
    lambda,
    requests,
    storagePerMonth,
    total: mediaConvert + lambda + requests + storagePerMonth,
  };
}

export function costReport(input: {
  workerSeconds: number;
  /** Length of the edit (the league format's cards + source): what MediaConvert bills. */
  outputSeconds: number;
  outputBytes: number;
  sourceBytes: number;
  apiHandlerMs: number;
  authorizerMs: number;
}): CostReport {
  const workerMemory = WORKER_DEFAULTS.memorySize;
  const extraEphemeralGb = (WORKER_DEFAULTS.ephemeralStorage.toMebibytes() - 512) / 1024;
  const lambda =
    lambdaCost(input.workerSeconds * 1000, workerMemory) +
    input.workerSeconds * extraEphemeralGb * PRICES.lambdaEphemeralGbSecond;
  // SQS: S3's send, the event source's receive, its delete. S3: the browser's POST, the worker's GET
  // of the source, two PUTs of outputs; storage of source + outputs for a month.
  const requests = 3 * PRICES.sqsRequest + 3 * PRICES.s3PutRequest + PRICES.s3GetRequest;
  const storagePerMonth = ((input.sourceBytes + input.outputBytes) / 1024 ** 3) * PRICES.s3GbMonth;
  const apiLambda = 1000 * lambdaCost(input.apiHandlerMs, DEFAULT_FUNCTION_MEMORY_MB);
  // Worst case: every call misses the authorizer's result cache.
  const authorizer = 1000 * lambdaCost(input.authorizerMs, DEFAULT_FUNCTION_MEMORY_MB);
  const apiGateway = 1000 * PRICES.httpApiRequest;
  return {
    prices: PRICES,
    mediaConvertPrices: MEDIACONVERT_PRICES,
    perVideo: {
      workerSeconds: input.workerSeconds,
      memoryMb: workerMemory,
      lambda,
      requests,
      storagePerMonth,
      total: lambda + requests + storagePerMonth,
    },
    perVideoMediaConvert: mediaConvertPerVideo(input.outputSeconds, storagePerMonth),
    per1000ApiCalls: {
      handlerMs: input.apiHandlerMs,
      memoryMb: DEFAULT_FUNCTION_MEMORY_MB,
      apiGateway,
      lambda: apiLambda,
      authorizer,
      total: apiGateway + apiLambda + authorizer,
    },
  };
}
