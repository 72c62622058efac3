/**
 * AWS cost per processed video, per 1 000 API calls and per 1 000 views, from the measured durations and sizes
 * at the memory sizes the stack configures. List prices, us-east-1, x86_64, no free tier: written here so the
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
 * Delivery list prices of https://aws.amazon.com/s3/pricing/ and https://aws.amazon.com/cloudfront/pricing/
 * (pay-as-you-go, first tier, before free allowances), as found on 2026-12-07 in indexed copies of those pages (no
 * live access from the bench machine): S3 data transfer out to the internet (first 10 TB a month; the first 100 GB a
 * month are free, across the account), CloudFront in the United States, Canada and Mexico (first 10 TB; 1 TB and
 * 10 million requests a month free, always). Transfer from S3 to CloudFront is free. Check the pages before relying
 * on them.
 */
export const DELIVERY_PRICES = {
  s3DataTransferOutGb: 0.09,
  cloudFrontDataTransferOutGb: 0.085,
  cloudFrontHttpsRequest: 0.01 / 10_000,
} as const;

/**
 * What one view fetches, where the bench cannot measure it (docs/cost.md, "Per 1 000 views"). A view is a video's
 * page opened and its edit played through: one API answer (`GET /api/public/videos/{id}`, through the CDN), the
 * poster (`preload="none"`: nothing else before play) and the edit, both from S3 by presigned URL.
 */
export const VIEW_ASSUMPTIONS = {
  /** Range requests a browser makes to play a faststart MP4 of a few MB through (the first, maybe one more). */
  videoGetRequests: 2,
  /** One public video's JSON answer, two presigned URLs included. */
  apiAnswerBytes: 2_000,
  /** A gallery page: one API answer of 20 videos and 20 posters, no video until one is played. */
  galleryCards: 20,
  galleryAnswerBytes: 30_000,
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
  deliveryPrices: typeof DELIVERY_PRICES;
  viewAssumptions: typeof VIEW_ASSUMPTIONS;
  /** As the platform serves media today: presigned S3 URLs; the API answer through the CDN. */
  per1000Views: DeliveryCost;
  /** The same views with the media through CloudFront (a finding, not the delivery path). */
  per1000ViewsThroughCloudFront: DeliveryCost;
  /** Gallery pages opened without playing (20 posters each), as served today. */
  per1000GalleryPages: DeliveryCost;
}

/** USD for 1 000 views (or pages): the CDN's part, S3's requests and transfer, the API's origin on a miss. */
export interface DeliveryCost {
  bytesPerView: number;
  cdn: number;
  s3Requests: number;
  s3Transfer: number;
  /** Worst case, every answer a cache miss: HTTP API + the route's Lambda (public routes have no authorizer). */
  apiOrigin: number;
  total: number;
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

const GB = 1024 ** 3;

/**
 * 1 000 views fetching `apiBytes` through the CDN (one request each) and `mediaBytes` in `mediaRequests` requests,
 * from S3 by presigned URL, or through CloudFront (its per-GB and per-request prices instead of S3's; S3 GETs only on
 * a cache miss, priced here as every request missing, the upper bound).
 */
function deliveryCost(
  view: { apiBytes: number; mediaBytes: number; mediaRequests: number },
  apiOriginPerCall: number,
  throughCloudFront: boolean,
): DeliveryCost {
  const prices = DELIVERY_PRICES;
  const bytesPerView = view.apiBytes + view.mediaBytes;
  const cdnBytes = throughCloudFront ? bytesPerView : view.apiBytes;
  const cdnRequests = 1 + (throughCloudFront ? view.mediaRequests : 0);
  const cdn =
    1000 *
    (cdnRequests * prices.cloudFrontHttpsRequest + (cdnBytes / GB) * prices.cloudFrontDataTransferOutGb);
  const s3Requests = 1000 * view.mediaRequests * PRICES.s3GetRequest;
  const s3Transfer = throughCloudFront ? 0 : 1000 * (view.mediaBytes / GB) * prices.s3DataTransferOutGb;
  const apiOrigin = 1000 * apiOriginPerCall;
  return {
    bytesPerView,
    cdn,
    s3Requests,
    s3Transfer,
    apiOrigin,
    total: cdn + s3Requests + s3Transfer + apiOrigin,
  };
}

export function costReport(input: {
  workerSeconds: number;
  /** Length of the edit (the league format's cards + source): what MediaConvert bills. */
  outputSeconds: number;
  outputBytes: number;
  thumbnailBytes: number;
  sourceBytes: number;
  apiHandlerMs: number;
  authorizerMs: number;
  /** A public GET's handler time: the API's work when the CDN misses. */
  publicHandlerMs: number;
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
  const publicOrigin = PRICES.httpApiRequest + lambdaCost(input.publicHandlerMs, DEFAULT_FUNCTION_MEMORY_MB);
  const view = {
    apiBytes: VIEW_ASSUMPTIONS.apiAnswerBytes,
    mediaBytes: input.outputBytes + input.thumbnailBytes,
    mediaRequests: VIEW_ASSUMPTIONS.videoGetRequests + 1,
  };
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
    deliveryPrices: DELIVERY_PRICES,
    viewAssumptions: VIEW_ASSUMPTIONS,
    per1000Views: deliveryCost(view, publicOrigin, false),
    per1000ViewsThroughCloudFront: deliveryCost(view, publicOrigin, true),
    per1000GalleryPages: deliveryCost(
      {
        apiBytes: VIEW_ASSUMPTIONS.galleryAnswerBytes,
        mediaBytes: VIEW_ASSUMPTIONS.galleryCards * input.thumbnailBytes,
        mediaRequests: VIEW_ASSUMPTIONS.galleryCards,
      },
      publicOrigin,
      false,
    ),
  };
}
