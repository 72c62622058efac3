/**
 * Worker entry: S3 ObjectCreated (uploads/) → SQS → this function, batch size 1 with partial batch
 * responses. Everything expensive is built once per instance; docs/worker.md describes the pipeline.
 * PROCESSOR chooses the backend: ffmpeg here (default), or MediaConvert (validated here, edited there).
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { LoopbackSourceServer } from '#adapters/ffmpeg/loopback-source';
import { FfmpegVideoProcessor } from '#adapters/ffmpeg/processor';
import { UdpSegmentEmitter } from '#adapters/xray/udp-segments';
import { MediaConvertVideoProcessor } from '#adapters/mediaconvert/processor';
import { fairShareConfig, processorConfig, storageConfig, videoConfig } from '#commons/config';
import { ConfigurationError } from '#core/platform-errors';
import { logger } from '#commons/logger';
import { getObjectStore, getTaskRepository } from '#commons/composition-root';
import { systemClock, type VideoProcessor } from '#core/ports';
import { UploadProcessingService } from '#core/upload-processing';
import { createProcessUploadHandler } from './process-upload-handler';

/**
 * The logo card image. The source tree (local stack, tests) finds it next to the code; the Lambda
 * bundle has no such tree, so the stack ships it and points LOGO_PATH at it.
 */
function logoPath(): string {
  const path =
    process.env.LOGO_PATH?.trim() ||
    fileURLToPath(new URL('../../assets/logo/idrl-logo.png', import.meta.url));
  if (!existsSync(path)) throw new ConfigurationError(`The logo image ${path} does not exist; set LOGO_PATH`);
  return path;
}

const video = videoConfig();
const objects = getObjectStore();
const ffmpeg = new FfmpegVideoProcessor({
  ffmpegPath: video.ffmpegPath,
  ffprobePath: video.ffprobePath,
  logoPath: logoPath(),
  format: video.format,
  limits: video.limits,
  threads: availableParallelism(),
});
const processor = processorConfig();

/** The backend behind the VideoProcessor port; both validate with the same ffprobe classification. */
function videoProcessor(): VideoProcessor {
  if (processor.kind === 'ffmpeg') return ffmpeg;
  return new MediaConvertVideoProcessor(ffmpeg, objects, systemClock, {
    ...processor,
    bucket: storageConfig().bucket,
    format: video.format,
  });
}

const service = new UploadProcessingService(
  {
    tasks: getTaskRepository(),
    objects,
    sources: new LoopbackSourceServer(objects),
    videos: videoProcessor(),
    clock: systemClock,
  },
  { maxReceiveCount: video.maxReceiveCount, ...fairShareConfig() },
);

export const handler = createProcessUploadHandler({
  service,
  logger,
  metrics: new Metrics(),
  traceHeaderOf: async (key) => (await objects.stat(key))?.traceHeader,
  segments: new UdpSegmentEmitter('idrl-worker: process upload'),
});
