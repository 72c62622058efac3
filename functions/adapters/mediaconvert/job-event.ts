/**
 * MediaConvert's "Job State Change" EventBridge event, reduced to the core's FinishedJob. Pure.
 * Field names follow AWS's documented sample events (docs/worker.md, "MediaConvert").
 */
import type { FinishedJob } from '#core/ports';
import {
  capturedFrameBase,
  capturedFrameKey,
  jobRequestKey,
  jobSourceKey,
  processedVideoKey,
} from '#core/object-keys';
import * as z from '#core/zod';
import { JOB_METADATA } from './job-settings';

/** An event this function was not meant to receive (wrong source, a job of another stack): never retried. */
export class UnexpectedJobEventError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UnexpectedJobEventError';
  }
}

const outputDetailSchema = z.object({
  outputFilePaths: z._default(z.array(z.string()), []),
  durationInMs: z.optional(z.number()),
  videoDetails: z.optional(z.object({ widthInPx: z.number(), heightInPx: z.number() })),
});

const eventSchema = z.object({
  source: z.literal('aws.mediaconvert'),
  'detail-type': z.literal('MediaConvert Job State Change'),
  detail: z.object({
    status: z.string(),
    jobId: z.string(),
    timestamp: z.number(),
    userMetadata: z._default(z.record(z.string(), z.string()), {}),
    errorCode: z.optional(z.number()),
    errorMessage: z.optional(z.string()),
    outputGroupDetails: z._default(
      z.array(
        z.object({
          type: z.optional(z.string()),
          outputDetails: z._default(z.array(outputDetailSchema), []),
        }),
      ),
      [],
    ),
  }),
});

/** MediaConvert's messages can name the job's S3 URIs; the pilot reads "the upload" instead. */
function readableError(code: number | undefined, message: string | undefined): string {
  const text = (message ?? 'no message').replace(/s3:\/\/\S+/g, 'the upload').slice(0, 300);
  return `MediaConvert could not edit the video (error ${code ?? 'unknown'}: ${text}).`;
}

/**
 * Returns null for a state this function does not act on (the rule forwards COMPLETE and ERROR only,
 * but a widened rule must not finish tasks on PROGRESSING). Throws UnexpectedJobEventError for an event
 * without this platform's user metadata.
 */
export function parseJobStateChange(event: unknown): FinishedJob | null {
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success)
    throw new UnexpectedJobEventError(`Not a MediaConvert job state change: ${parsed.error.message}`);
  const { detail } = parsed.data;
  const taskId = Number(detail.userMetadata[JOB_METADATA.taskId]);
  const sourceKey = detail.userMetadata[JOB_METADATA.sourceKey];
  const submittedAt = Number(detail.userMetadata[JOB_METADATA.submittedAt]);
  // Jobs submitted before re-cuts existed carry no revision: they edited the first one.
  const revision = Number(detail.userMetadata[JOB_METADATA.revision] ?? 1);
  if (!Number.isSafeInteger(taskId) || taskId <= 0 || sourceKey === undefined) {
    throw new UnexpectedJobEventError(`Job ${detail.jobId} carries no task of this platform`);
  }
  if (!Number.isSafeInteger(revision) || revision <= 0)
    throw new UnexpectedJobEventError(`Job ${detail.jobId} carries no valid revision`);
  if (detail.status === 'ERROR') {
    const reason = readableError(detail.errorCode, detail.errorMessage);
    return { kind: 'error', taskId, sourceKey, revision, reason };
  }
  if (detail.status !== 'COMPLETE') return null;
  // Both outputs report a duration and a frame size (AWS's sample for a file group with a frame
  // capture lists the capture first): each is told apart by the file it wrote.
  const outputs = detail.outputGroupDetails
    .flatMap((group) => group.outputDetails)
    .flatMap((output) =>
      output.outputFilePaths.map((path) => ({ ...output, key: path.replace(/^s3:\/\/[^/]+\//, '') })),
    );
  const videoKey = processedVideoKey(taskId, revision);
  const video = outputs.find((output) => output.key === videoKey);
  // A frame capture reports its last file; the one before it is the logo card's frame.
  const lastCapture = outputs
    .map(
      (output) =>
        new RegExp(`^${capturedFrameBase(taskId, revision)}\\.(\\d{7})\\.jpg$`).exec(output.key)?.[1],
    )
    .find((index) => index !== undefined);
  if (video?.durationInMs === undefined || video.videoDetails === undefined || lastCapture === undefined) {
    throw new UnexpectedJobEventError(
      `Job ${detail.jobId} completed without the league video and its thumbnail`,
    );
  }
  const thumbnailIndex = Number(lastCapture);
  return {
    kind: 'complete',
    taskId,
    sourceKey,
    revision,
    videoKey,
    thumbnailKey: capturedFrameKey(taskId, thumbnailIndex, revision),
    // The job request and the job's copy of the upload have served their purpose, and so has the logo frame the
    // capture took first.
    discardKeys: [
      jobRequestKey(taskId, revision),
      jobSourceKey(taskId, revision),
      ...(thumbnailIndex > 0 ? [capturedFrameKey(taskId, thumbnailIndex - 1, revision)] : []),
    ],
    durationSeconds: video.durationInMs / 1000,
    width: video.videoDetails.widthInPx,
    height: video.videoDetails.heightInPx,
    processingMs: Number.isFinite(submittedAt) ? Math.max(0, detail.timestamp - submittedAt) : 0,
  };
}
