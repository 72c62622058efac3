import type { CreateJobCommandInput } from '@aws-sdk/client-mediaconvert';
import { CreateJob$ } from '@aws-sdk/client-mediaconvert';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LEAGUE_FORMAT } from '#core/league-format';
import { buildCreateJobInput, timecode, type MediaConvertJobPlan } from '#adapters/mediaconvert/job-settings';
import { VALID_FIXTURES } from '#test/integration/worker-media';
import {
  loadBotocoreModel,
  loadSdkV3Model,
  validateOperationInput,
  type ServiceModel,
} from '#test/helpers/service-model';

let models: { structure: ServiceModel; constraints: ServiceModel };
beforeAll(() => {
  models = { structure: loadSdkV3Model(CreateJob$), constraints: loadBotocoreModel() };
});

const ROLE = 'arn:aws:iam::111122223333:role/IdrlMediaConvert';
const QUEUE = 'arn:aws:mediaconvert:eu-west-1:111122223333:queues/Idrl';
const LOGO = 's3://cdk-assets-111122223333-eu-west-1/0123abcd.png';

/** The SDK types every member optional: a member the builder must set is asserted present. */
function present<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('The request lacks a member the builder sets');
  return value;
}

function plan(overrides: Partial<MediaConvertJobPlan>): MediaConvertJobPlan {
  return {
    taskId: 42,
    revision: 1,
    attempt: 1,
    bucket: 'idrl-videos',
    sourceKey: 'uploads/42/nonce',
    inputKey: 'processed/42/mediaconvert-source',
    startSeconds: 0,
    sourceSeconds: 16,
    frameRate: null,
    posterSeconds: 0,
    hasAudio: true,
    format: DEFAULT_LEAGUE_FORMAT,
    logoUri: LOGO,
    roleArn: ROLE,
    queueArn: QUEUE,
    submittedAt: new Date('2026-03-01T12:00:00.000Z'),
    ...overrides,
  };
}

describe('buildCreateJobInput', () => {
  // The facts the worker's probe reports for each fixture of the ffmpeg tests: the same sources, the other backend.
  describe.each(VALID_FIXTURES)('$name', (fixture) => {
    const sourceSeconds = Math.min(fixture.sourceSeconds, DEFAULT_LEAGUE_FORMAT.maxSourceSeconds);
    // Typed as the SDK's input: a setting the SDK does not know fails the type check.
    const request: CreateJobCommandInput = buildCreateJobInput(
      plan({ sourceSeconds, hasAudio: fixture.hasAudio }),
    );
    const settings = present(request.Settings);
    const [intro, source, outro] = present(settings.Inputs);
    const [videoGroup, thumbnailGroup] = present(settings.OutputGroups);
    const video = present(present(videoGroup?.Outputs)[0]);
    const videoDescription = present(video.VideoDescription);
    const h264 = present(videoDescription.CodecSettings?.H264Settings);

    it('validates against the MediaConvert service model (current members, full constraints)', () => {
      expect(validateOperationInput(models, 'CreateJob', request)).toEqual([]);
    });

    it("is idempotent per task and attempt, tagged with the task, in this stack's queue with its role", () => {
      expect({
        Role: request.Role,
        Queue: request.Queue,
        ClientRequestToken: request.ClientRequestToken,
        UserMetadata: request.UserMetadata,
      }).toEqual({
        Role: ROLE,
        Queue: QUEUE,
        ClientRequestToken: 'idrl-task-42-attempt-1',
        UserMetadata: {
          idrlTaskId: '42',
          idrlSourceKey: 'uploads/42/nonce',
          idrlSubmittedAt: String(Date.parse('2026-03-01T12:00:00.000Z')),
          idrlRevision: '1',
        },
      });
    });

    it('stitches a 2 s card, the source (cut at 16 s when longer), a 2 s card, silent under the cards when there is audio', () => {
      const card = {
        VideoGenerator: {
          Duration: 2000,
          FramerateNumerator: 30,
          FramerateDenominator: 1,
          ...(fixture.hasAudio ? { Channels: 2, SampleRate: 48_000 } : {}),
        },
        TimecodeSource: 'ZEROBASED',
      };
      expect(settings.Inputs).toHaveLength(3);
      expect(intro).toEqual(card);
      expect(outro).toEqual(card);
      expect(source).toEqual({
        // The job's copy of the task's version (an input URL names no version).
        FileInput: 's3://idrl-videos/processed/42/mediaconvert-source',
        TimecodeSource: 'ZEROBASED',
        ...(fixture.sourceSeconds > 16
          ? { InputClippings: [{ StartTimecode: '00:00:00:00', EndTimecode: '00:00:16:00' }] }
          : {}),
        VideoSelector: { Rotate: 'AUTO' },
        ...(fixture.hasAudio
          ? {
              AudioSelectors: {
                'Audio Selector 1': { DefaultSelection: 'DEFAULT', SelectorType: 'TRACK', Tracks: [1] },
              },
            }
          : {}),
      });
    });

    it('writes a 1280×720 30 fps H.264 MP4 with the index first, fitted and padded (never stretched), logo over the cards', () => {
      expect(videoGroup?.OutputGroupSettings).toEqual({
        Type: 'FILE_GROUP_SETTINGS',
        FileGroupSettings: { Destination: 's3://idrl-videos/processed/42/video' },
      });
      expect(video.ContainerSettings).toEqual({
        Container: 'MP4',
        Mp4Settings: { MoovPlacement: 'PROGRESSIVE_DOWNLOAD' },
      });
      expect(video.VideoDescription).toMatchObject({ Width: 1280, Height: 720, ScalingBehavior: 'DEFAULT' });
      expect(h264).toMatchObject({
        FramerateControl: 'SPECIFIED',
        FramerateNumerator: 30,
        FramerateDenominator: 1,
        ParControl: 'SPECIFIED',
        ParNumerator: 1,
        ParDenominator: 1,
      });
      const logo = {
        ImageInserterInput: LOGO,
        ImageX: 0,
        ImageY: 0,
        Width: 1280,
        Height: 720,
        Opacity: 100,
        Duration: 2000,
      };
      expect(videoDescription.VideoPreprocessors?.ImageInserter?.InsertableImages).toEqual([
        { ...logo, Layer: 0, StartTime: '00:00:00:00' },
        { ...logo, Layer: 1, StartTime: timecode(2 + sourceSeconds, 30) },
      ]);
    });

    it(fixture.hasAudio ? 'maps the first audio track to AAC stereo 48 kHz' : 'writes no audio track', () => {
      expect(video.AudioDescriptions).toEqual(
        fixture.hasAudio
          ? [
              {
                AudioSourceName: 'Audio Selector 1',
                CodecSettings: {
                  Codec: 'AAC',
                  AacSettings: {
                    Bitrate: 128_000,
                    CodingMode: 'CODING_MODE_2_0',
                    SampleRate: 48_000,
                    RateControlMode: 'CBR',
                    CodecProfile: 'LC',
                  },
                },
              },
            ]
          : undefined,
      );
    });

    it('captures 640×360 JPEGs at 0 s (the card) and 2 s (the first source frame), next to the video', () => {
      expect(thumbnailGroup).toEqual({
        Name: 'Thumbnail',
        OutputGroupSettings: {
          Type: 'FILE_GROUP_SETTINGS',
          FileGroupSettings: { Destination: 's3://idrl-videos/processed/42/thumbnail' },
        },
        Outputs: [
          {
            ContainerSettings: { Container: 'RAW' },
            VideoDescription: {
              Width: 640,
              Height: 360,
              ScalingBehavior: 'DEFAULT',
              CodecSettings: {
                Codec: 'FRAME_CAPTURE',
                FrameCaptureSettings: {
                  FramerateNumerator: 1000,
                  FramerateDenominator: 2000,
                  MaxCaptures: 2,
                  Quality: 80,
                },
              },
            },
          },
        ],
      });
    });
  });

  it('numbers timecodes in frames of the timeline rate', () => {
    expect([
      timecode(0, 30),
      timecode(18, 30),
      timecode(5.5, 30),
      timecode(3725.1, 30),
      timecode(16, 1),
    ]).toEqual(['00:00:00:00', '00:00:18:00', '00:00:05:15', '01:02:05:03', '00:00:16:00']);
  });

  it('makes another attempt another job', () => {
    expect(buildCreateJobInput(plan({ attempt: 2 })).ClientRequestToken).toBe('idrl-task-42-attempt-2');
  });

  describe("the pilot's cut and a re-cut (revision 3)", () => {
    const request = buildCreateJobInput(
      plan({ startSeconds: 95.5, sourceSeconds: 16, frameRate: 29.97, posterSeconds: 4.25, revision: 3 }),
    );
    const settings = present(request.Settings);
    const source = present(settings.Inputs)[1];
    const [videoGroup, thumbnailGroup] = present(settings.OutputGroups);

    it('validates against the MediaConvert service model', () => {
      expect(validateOperationInput(models, 'CreateJob', request)).toEqual([]);
    });

    it("clips 16 s from the start, counted in the source's own frames", () => {
      // 95.5 s at 29.97 fps is frame 2862 = 95 timecode seconds (30 frames each) + 12; 111.5 s is frame 3342.
      expect(source?.InputClippings).toEqual([{ StartTimecode: '00:01:35:12', EndTimecode: '00:01:51:12' }]);
    });

    it('captures the poster at the card length plus its offset, and writes under the revision', () => {
      expect(
        thumbnailGroup?.Outputs?.[0]?.VideoDescription?.CodecSettings?.FrameCaptureSettings,
      ).toMatchObject({
        FramerateNumerator: 1000,
        FramerateDenominator: 6250,
        MaxCaptures: 2,
      });
      expect(videoGroup?.OutputGroupSettings?.FileGroupSettings?.Destination).toBe(
        's3://idrl-videos/processed/42/r3/video',
      );
      expect(thumbnailGroup?.OutputGroupSettings?.FileGroupSettings?.Destination).toBe(
        's3://idrl-videos/processed/42/r3/thumbnail',
      );
    });

    it('is another job than the same attempt of an earlier revision, and says which revision it edits', () => {
      expect(request.ClientRequestToken).toBe('idrl-task-42-r3-attempt-1');
      expect(request.UserMetadata).toMatchObject({ idrlRevision: '3' });
    });

    it('clips a short source from the start to its end, and falls back to whole seconds without a frame rate', () => {
      const short = buildCreateJobInput(plan({ startSeconds: 7.4, sourceSeconds: 5, frameRate: null }));
      expect(present(short.Settings?.Inputs)[1]?.InputClippings).toEqual([
        { StartTimecode: '00:00:07:00', EndTimecode: '00:00:12:00' },
      ]);
    });
  });
});
