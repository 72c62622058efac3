/**
 * The MediaConvert job that edits one upload into the league format (docs/spec.md §4). Pure: task and probe
 * facts in, a CreateJob request out. docs/worker.md ("MediaConvert") explains each setting and its
 * documentation source.
 */
import type { CreateJobCommandInput, Input, InsertableImage, Output } from '@aws-sdk/client-mediaconvert';
import { capturedFrameBase, processedVideoKey } from '#core/object-keys';
import type { LeagueFormat } from '#core/league-format';
import { ENCODER } from '../ffmpeg/encoder-settings';
import { posterOffset } from '../ffmpeg/edit-command';

export interface MediaConvertJobPlan {
  taskId: number;
  /** The revision edited: its own output keys, its own request token, and reported back on completion. */
  revision: number;
  /** Delivery number of the worker attempt: one job per (task, attempt), whatever the retries of the submit. */
  attempt: number;
  bucket: string;
  /** The upload's key: the completion finds the task by it. */
  sourceKey: string;
  /** The object MediaConvert reads: the job's copy of the task's version, or the upload's key when it has none. */
  inputKey: string;
  /** Where the clip starts in the source (the pilot's cut). */
  startSeconds: number;
  /** Seconds of source the edit uses from startSeconds: min(probed duration - startSeconds, format.maxSourceSeconds). */
  sourceSeconds: number;
  /** The source's average frame rate, when known: input timecodes count frames in it. */
  frameRate: number | null;
  /** The poster's offset inside the clip. */
  posterSeconds: number;
  hasAudio: boolean;
  format: LeagueFormat;
  /** s3:// URI of the logo card PNG (format width × height), readable by the service role. */
  logoUri: string;
  roleArn: string;
  queueArn: string;
  /** When the worker submitted, for processingMs on completion. */
  submittedAt: Date;
}

/** The job's user metadata: what the completion function needs to find and finish the task. */
export const JOB_METADATA = {
  taskId: 'idrlTaskId',
  sourceKey: 'idrlSourceKey',
  submittedAt: 'idrlSubmittedAt',
  revision: 'idrlRevision',
} as const;

/** The audio selector the main input defines and the output maps. */
const AUDIO_SELECTOR = 'Audio Selector 1';

/** MediaConvert's timecodes are HH:MM:SS:FF at the timeline's frame rate (30 fps here). */
export function timecode(seconds: number, fps: number): string {
  const frames = Math.round(seconds * fps);
  const whole = Math.floor(frames / fps);
  const pad = (value: number): string => String(value).padStart(2, '0');
  return `${pad(Math.floor(whole / 3600))}:${pad(Math.floor(whole / 60) % 60)}:${pad(whole % 60)}:${pad(frames % fps)}`;
}

/**
 * A position in the source as an input timecode (TimecodeSource ZEROBASED): its frames count at the source's own
 * rate, so the position is rounded to a source frame and written with the rate's nominal frames per timecode
 * second (non-drop, as ZEROBASED counts). Without a known rate (or beyond two-digit frame numbers) the position
 * falls to the nearest whole second: up to half a second off, the most MediaConvert's timecodes allow then.
 */
export function inputTimecode(seconds: number, frameRate: number | null): string {
  const nominal = frameRate === null ? 0 : Math.round(frameRate);
  if (frameRate === null || nominal < 1 || nominal > 100) return timecode(seconds, 1);
  const frames = Math.round(seconds * frameRate);
  return timecode(frames / nominal, nominal);
}

/**
 * The clip of the source: from the pilot's start for the clip's length. Omitted for a short source
 * used whole from its beginning. The frame at the End timecode is included (one frame more than 16 s).
 */
function inputClippings(plan: MediaConvertJobPlan): Pick<Input, 'InputClippings'> {
  const { startSeconds, frameRate, format } = plan;
  if (startSeconds === 0 && plan.sourceSeconds < format.maxSourceSeconds) return {};
  return {
    InputClippings: [
      {
        StartTimecode: inputTimecode(startSeconds, frameRate),
        EndTimecode: inputTimecode(startSeconds + plan.sourceSeconds, frameRate),
      },
    ],
  };
}

/** The logo over the whole frame from `startSeconds` on, for one card's length. */
function logoCard(plan: MediaConvertJobPlan, layer: number, startSeconds: number): InsertableImage {
  const { format } = plan;
  return {
    ImageInserterInput: plan.logoUri,
    ImageX: 0,
    ImageY: 0,
    Width: format.width,
    Height: format.height,
    Layer: layer,
    Opacity: 100,
    StartTime: timecode(startSeconds, format.fps),
    Duration: format.logoSeconds * 1000,
  };
}

/** A logo card's slot on the timeline: black frames (and silence, when the edit has audio) as long as a card. */
function cardInput(plan: MediaConvertJobPlan): Input {
  return {
    VideoGenerator: {
      Duration: plan.format.logoSeconds * 1000,
      FramerateNumerator: plan.format.fps,
      FramerateDenominator: 1,
      ...(plan.hasAudio ? { Channels: 2, SampleRate: ENCODER.audioSampleRate } : {}),
    },
    TimecodeSource: 'ZEROBASED',
  };
}

function videoOutput(plan: MediaConvertJobPlan): Output {
  const { format } = plan;
  return {
    ContainerSettings: { Container: 'MP4', Mp4Settings: { MoovPlacement: 'PROGRESSIVE_DOWNLOAD' } },
    VideoDescription: {
      Width: format.width,
      Height: format.height,
      // DEFAULT fits the picture inside the frame keeping its aspect ratio and fills the rest with black.
      ScalingBehavior: 'DEFAULT',
      RespondToAfd: 'NONE',
      VideoPreprocessors: {
        ImageInserter: {
          InsertableImages: [
            logoCard(plan, 0, 0),
            logoCard(plan, 1, format.logoSeconds + plan.sourceSeconds),
          ],
        },
      },
      CodecSettings: {
        Codec: 'H_264',
        H264Settings: {
          RateControlMode: 'QVBR',
          QvbrSettings: { QvbrQualityLevel: 7 },
          MaxBitrate: 5_000_000,
          CodecProfile: 'HIGH',
          CodecLevel: 'AUTO',
          FramerateControl: 'SPECIFIED',
          FramerateNumerator: format.fps,
          FramerateDenominator: 1,
          FramerateConversionAlgorithm: 'DUPLICATE_DROP',
          ParControl: 'SPECIFIED',
          ParNumerator: 1,
          ParDenominator: 1,
          GopSize: 2,
          GopSizeUnits: 'SECONDS',
        },
      },
    },
    ...(plan.hasAudio
      ? {
          AudioDescriptions: [
            {
              AudioSourceName: AUDIO_SELECTOR,
              CodecSettings: {
                Codec: 'AAC',
                AacSettings: {
                  Bitrate: 128_000,
                  CodingMode: 'CODING_MODE_2_0',
                  SampleRate: ENCODER.audioSampleRate,
                  RateControlMode: 'CBR',
                  CodecProfile: 'LC',
                },
              },
            },
          ],
        }
      : {}),
  };
}

/**
 * Capture 0 is the first card's frame, capture 1 the poster: one capture every card length plus the poster
 * offset, in milliseconds (a capture rate of 1000 per that many ms) so a fractional offset stays exact.
 */
function thumbnailOutput(plan: MediaConvertJobPlan): Output {
  const intervalMs = Math.round((plan.format.logoSeconds + posterOffset(plan)) * 1000);
  return {
    ContainerSettings: { Container: 'RAW' },
    VideoDescription: {
      Width: plan.format.thumbnailWidth,
      Height: plan.format.thumbnailHeight,
      ScalingBehavior: 'DEFAULT',
      CodecSettings: {
        Codec: 'FRAME_CAPTURE',
        FrameCaptureSettings: {
          FramerateNumerator: 1000,
          FramerateDenominator: intervalMs,
          MaxCaptures: 2,
          Quality: 80,
        },
      },
    },
  };
}

/** An output group's destination is a key without its extension: MediaConvert appends it (and a capture's index). */
function destination(plan: MediaConvertJobPlan, keyBase: string): string {
  return `s3://${plan.bucket}/${keyBase}`;
}

export function buildCreateJobInput(plan: MediaConvertJobPlan): CreateJobCommandInput {
  return {
    Role: plan.roleArn,
    Queue: plan.queueArn,
    // A retried submit of the same attempt returns the job already created (within MediaConvert's window).
    // A re-cut is a new job even within the token's window: the revision is part of the token.
    ClientRequestToken: `idrl-task-${plan.taskId}${plan.revision > 1 ? `-r${plan.revision}` : ''}-attempt-${plan.attempt}`,
    UserMetadata: {
      [JOB_METADATA.taskId]: String(plan.taskId),
      [JOB_METADATA.sourceKey]: plan.sourceKey,
      [JOB_METADATA.submittedAt]: String(plan.submittedAt.getTime()),
      [JOB_METADATA.revision]: String(plan.revision),
    },
    Settings: {
      TimecodeConfig: { Source: 'ZEROBASED' },
      Inputs: [
        cardInput(plan),
        {
          FileInput: `s3://${plan.bucket}/${plan.inputKey}`,
          TimecodeSource: 'ZEROBASED',
          ...inputClippings(plan),
          // Phone videos carry a rotation tag: AUTO turns them upright before scaling.
          VideoSelector: { Rotate: 'AUTO' },
          ...(plan.hasAudio
            ? {
                AudioSelectors: {
                  [AUDIO_SELECTOR]: { DefaultSelection: 'DEFAULT', SelectorType: 'TRACK', Tracks: [1] },
                },
              }
            : {}),
        },
        cardInput(plan),
      ],
      OutputGroups: [
        {
          Name: 'League video',
          OutputGroupSettings: {
            Type: 'FILE_GROUP_SETTINGS',
            FileGroupSettings: {
              Destination: destination(
                plan,
                processedVideoKey(plan.taskId, plan.revision).replace(/\.mp4$/, ''),
              ),
            },
          },
          Outputs: [videoOutput(plan)],
        },
        {
          Name: 'Thumbnail',
          OutputGroupSettings: {
            Type: 'FILE_GROUP_SETTINGS',
            FileGroupSettings: {
              Destination: destination(plan, capturedFrameBase(plan.taskId, plan.revision)),
            },
          },
          Outputs: [thumbnailOutput(plan)],
        },
      ],
    },
  };
}
