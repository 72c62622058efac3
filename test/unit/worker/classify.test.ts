import { describe, expect, it } from 'vitest';
import { VideoToolError } from '#core/processing-errors';
import {
  checkDecodedPictureSize,
  classifyToolFailure,
  describeSource,
  lastErrorLine,
} from '#adapters/ffmpeg/classify';
import { DEFAULT_LEAGUE_FORMAT, DEFAULT_SOURCE_LIMITS } from '#core/league-format';
import {
  bytesReadLines,
  parseProbeOutput,
  type ProbeResult,
  type ProbedStream,
} from '#adapters/ffmpeg/probe';
import { PermanentProcessingError, ResourceExhaustedError } from '#core/processing-errors';

const videoStream: ProbedStream = {
  index: 0,
  type: 'video',
  codec: 'h264',
  width: 1920,
  height: 1080,
  durationSeconds: 42,
  frameCount: 1260,
  frameRate: 30,
  // The first 16 s of 30 fps, as `-read_intervals %+16` counts them.
  packetsRead: 480,
  attachedPicture: false,
};
const SOURCE = '/tmp/idrl-worker-x1/source';
const audioStream: ProbedStream = {
  ...videoStream,
  index: 1,
  type: 'audio',
  codec: 'aac',
  width: null,
  height: null,
  frameCount: null,
  frameRate: null,
  packetsRead: 770,
};

function probe(overrides: Partial<ProbeResult>): ProbeResult {
  return {
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    durationSeconds: 42,
    streams: [videoStream, audioStream],
    ...overrides,
  };
}

describe('parseProbeOutput', () => {
  it('reduces ffprobe JSON to stream types, sizes, durations, frame rates and cover-art flags', () => {
    // Prepare
    const json = JSON.stringify({
      streams: [
        {
          index: 0,
          codec_type: 'video',
          codec_name: 'vp9',
          width: 240,
          height: 240,
          avg_frame_rate: '30000/1001',
          nb_read_packets: '90',
          disposition: { attached_pic: 0 },
        },
        { index: 1, codec_type: 'audio', codec_name: 'opus', duration: '3.007000', avg_frame_rate: '0/0' },
        {
          index: 2,
          codec_type: 'video',
          codec_name: 'mjpeg',
          width: 600,
          height: 600,
          nb_frames: '1',
          avg_frame_rate: 'N/A',
          disposition: { attached_pic: 1 },
        },
        { index: 3, codec_type: 'subtitle', codec_name: 'ass', duration: 'N/A' },
      ],
      format: { format_name: 'matroska,webm', duration: '3.010000' },
    });

    // Act
    const result = parseProbeOutput(json);

    // Assess
    expect(result).toEqual({
      formatName: 'matroska,webm',
      durationSeconds: 3.01,
      streams: [
        {
          index: 0,
          type: 'video',
          codec: 'vp9',
          width: 240,
          height: 240,
          durationSeconds: null,
          frameCount: null,
          frameRate: 30000 / 1001,
          packetsRead: 90,
          attachedPicture: false,
        },
        {
          index: 1,
          type: 'audio',
          codec: 'opus',
          width: null,
          height: null,
          durationSeconds: 3.007,
          frameCount: null,
          frameRate: null,
          packetsRead: null,
          attachedPicture: false,
        },
        {
          index: 2,
          type: 'video',
          codec: 'mjpeg',
          width: 600,
          height: 600,
          durationSeconds: null,
          frameCount: 1,
          frameRate: null,
          packetsRead: null,
          attachedPicture: true,
        },
        {
          index: 3,
          type: 'other',
          codec: 'ass',
          width: null,
          height: null,
          durationSeconds: null,
          frameCount: null,
          frameRate: null,
          packetsRead: null,
          attachedPicture: false,
        },
      ],
    });
  });
});

describe('describeSource', () => {
  it('uses the first 16 s of a longer video and keeps its audio', () => {
    // Act / Assess
    expect(describeSource(probe({}), DEFAULT_LEAGUE_FORMAT, DEFAULT_SOURCE_LIMITS)).toEqual({
      startSeconds: 0,
      sourceSeconds: 16,
      hasAudio: true,
      demuxer: 'mov',
      frameRate: 30,
    });
  });

  it("uses 16 s from the pilot's start, and what is left when the source ends sooner", () => {
    // Act / Assess: the 42 s source
    expect(describeSource(probe({}), DEFAULT_LEAGUE_FORMAT, DEFAULT_SOURCE_LIMITS, 20)).toMatchObject({
      startSeconds: 20,
      sourceSeconds: 16,
    });
    expect(
      describeSource(probe({}), DEFAULT_LEAGUE_FORMAT, DEFAULT_SOURCE_LIMITS, 33.5).sourceSeconds,
    ).toBeCloseTo(8.5, 9);
  });

  it.each([
    [42, 'The cut starts at 42 s, but the video is only 42 s long; choose an earlier start.'],
    [600.125, 'The cut starts at 600.13 s, but the video is only 42 s long; choose an earlier start.'],
  ])('refuses a start at or past the end (%s s) before decoding, saying so', (start, reason) => {
    // Act / Assess
    expect(() => describeSource(probe({}), DEFAULT_LEAGUE_FORMAT, DEFAULT_SOURCE_LIMITS, start)).toThrow(
      new PermanentProcessingError(reason),
    );
  });

  it('uses a shorter silent video whole', () => {
    // Act / Assess
    expect(
      describeSource(
        probe({ streams: [{ ...videoStream, durationSeconds: 3.2 }] }),
        DEFAULT_LEAGUE_FORMAT,
        DEFAULT_SOURCE_LIMITS,
      ),
    ).toEqual({ startSeconds: 0, sourceSeconds: 3.2, hasAudio: false, demuxer: 'mov', frameRate: 30 });
  });

  it.each([
    ['240 fps FPV footage (3 841 packets within the 16 s window, its edge included)', 240, 3841, 20],
    ['a variable-rate WebM stating no rate, 78 frames in 2.945 s', null, 78, 2.945],
    ['a stream of unknown rate that was not counted', null, null, 3],
  ])('accepts %s', (_name, frameRate, packetsRead, durationSeconds) => {
    // Prepare
    const stream = { ...videoStream, frameRate, packetsRead, durationSeconds };

    // Act / Assess
    expect(
      describeSource(probe({ streams: [stream] }), DEFAULT_LEAGUE_FORMAT, DEFAULT_SOURCE_LIMITS)
        .sourceSeconds,
    ).toBe(Math.min(durationSeconds, 16));
  });

  it('falls back to the container duration, and to the maximum when neither declares one', () => {
    // Prepare
    const noStreamDuration = { ...videoStream, durationSeconds: null };

    // Act / Assess
    expect(
      describeSource(
        probe({ durationSeconds: 5, streams: [noStreamDuration] }),
        DEFAULT_LEAGUE_FORMAT,
        DEFAULT_SOURCE_LIMITS,
      ).sourceSeconds,
    ).toBe(5);
    expect(
      describeSource(
        probe({ durationSeconds: null, streams: [noStreamDuration] }),
        DEFAULT_LEAGUE_FORMAT,
        DEFAULT_SOURCE_LIMITS,
      ).sourceSeconds,
    ).toBe(16);
  });

  it.each([
    [
      'audio only',
      probe({ streams: [audioStream] }),
      'The file contains only audio; a video stream is required.',
    ],
    [
      'an audio file whose only picture is cover art',
      probe({ streams: [audioStream, { ...videoStream, attachedPicture: true }] }),
      'The file contains only audio; a video stream is required.',
    ],
    ['no stream at all', probe({ streams: [] }), 'The file contains no video stream.'],
    [
      'a PNG named .mp4',
      probe({
        formatName: 'png_pipe',
        durationSeconds: null,
        streams: [{ ...videoStream, codec: 'png', durationSeconds: null }],
      }),
      'The file is a still image (png), not a video.',
    ],
    [
      'an image2 still',
      probe({ formatName: 'image2', streams: [{ ...videoStream, codec: 'mjpeg' }] }),
      'The file is a still image (mjpeg), not a video.',
    ],
    [
      'zero duration',
      probe({ streams: [{ ...videoStream, durationSeconds: 0 }] }),
      'The video has no duration: it holds at most one frame.',
    ],
    [
      'a single frame',
      probe({ streams: [{ ...videoStream, frameCount: 1 }] }),
      'The video has no duration: it holds at most one frame.',
    ],
    [
      'a picture larger than 4096 pixels on a side',
      probe({ formatName: 'matroska,webm', streams: [{ ...videoStream, width: 16000, height: 16000 }] }),
      'The video is 16000×16000 pixels; at most 4096 pixels on the longer side and 8.9 megapixels are accepted.',
    ],
    [
      'a portrait picture taller than 4096 pixels',
      probe({ streams: [{ ...videoStream, width: 1080, height: 4098 }] }),
      'The video is 1080×4098 pixels; at most 4096 pixels on the longer side and 8.9 megapixels are accepted.',
    ],
    [
      'a picture above 8.9 megapixels within 4096 a side',
      probe({ streams: [{ ...videoStream, width: 4096, height: 2304 }] }),
      'The video is 4096×2304 pixels; at most 4096 pixels on the longer side and 8.9 megapixels are accepted.',
    ],
    [
      'a huge second video stream behind a small first one',
      probe({ streams: [videoStream, { ...videoStream, index: 1, width: 8000, height: 8000 }] }),
      'The video is 8000×8000 pixels; at most 4096 pixels on the longer side and 8.9 megapixels are accepted.',
    ],
    [
      'more than 240 frames per second',
      probe({ streams: [{ ...videoStream, frameRate: 1000 }] }),
      'The video has 1000 frames per second; at most 240 are accepted.',
    ],
    [
      'a Matroska stream stating no rate ("0/0") that stores 1000 frames in its one second',
      probe({
        formatName: 'matroska,webm',
        durationSeconds: 1,
        streams: [
          { ...videoStream, durationSeconds: null, frameCount: null, frameRate: null, packetsRead: 1000 },
        ],
      }),
      'The video has 1000 frames per second; at most 240 are accepted.',
    ],
    [
      'a stream stating 30 fps that stores 16 000 frames in the 16 s the edit decodes',
      probe({ streams: [{ ...videoStream, packetsRead: 16_001 }] }),
      'The video has 1000 frames per second; at most 240 are accepted.',
    ],
    [
      'more than 8 streams',
      probe({
        streams: [videoStream, ...Array.from({ length: 8 }, (_, index) => ({ ...audioStream, index }))],
      }),
      'The file has 9 streams; at most 8 are accepted.',
    ],
    [
      'a container the edit does not open',
      probe({ formatName: 'flv' }),
      "The file's container (flv) is not supported.",
    ],
  ])('rejects %s with PermanentProcessingError', (_name, probed, reason) => {
    // Act
    const describe = () => describeSource(probed, DEFAULT_LEAGUE_FORMAT, DEFAULT_SOURCE_LIMITS);

    // Assess
    expect(describe).toThrow(new PermanentProcessingError(reason));
  });
});

describe('classifyToolFailure', () => {
  it('calls unreadable content permanent, quoting ffmpeg without the local path', () => {
    // Prepare
    const stderr = `${SOURCE}: Invalid data found when processing input\n`;

    // Act
    const error = classifyToolFailure({ stage: 'probe', source: SOURCE, stderr, exitCode: 1, signal: null });

    // Assess
    expect(error).toEqual(
      new PermanentProcessingError(
        'The file is not a video ffmpeg can read (Invalid data found when processing input).',
      ),
    );
  });

  it('explains an MP4 whose index is missing as an interrupted upload', () => {
    // Prepare
    const stderr =
      '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55d2c8] moov atom not found\n/tmp/x/source: Invalid data found when processing input\n';

    // Act
    const error = classifyToolFailure({
      stage: 'probe',
      source: '/tmp/x/source',
      stderr,
      exitCode: 1,
      signal: null,
    });

    // Assess
    expect(error).toEqual(
      new PermanentProcessingError(
        'The file is incomplete: its index (moov atom) is missing, so the upload was probably cut short.',
      ),
    );
  });

  it('calls a decode failure during the edit permanent', () => {
    // Act
    const error = classifyToolFailure({
      stage: 'edit',
      source: SOURCE,
      stderr: '[h264 @ 0x1] error while decoding MB 3 4\nConversion failed!\n',
      exitCode: 1,
      signal: null,
    });

    // Assess
    expect(error).toEqual(
      new PermanentProcessingError('The video could not be decoded (Conversion failed!).'),
    );
  });

  it.each([
    ['a full disk', 'av_interleaved_write_frame(): No space left on device'],
    ['a failing disk', `${SOURCE}: Input/output error`],
  ])('calls %s transient', (_name, stderr) => {
    // Act
    const error = classifyToolFailure({ stage: 'edit', source: SOURCE, stderr, exitCode: 1, signal: null });

    // Assess: the reason, the exit code and the log tail the worker logs before retrying.
    expect(error).toBeInstanceOf(VideoToolError);
    expect(error).toMatchObject({
      message: `ffmpeg edit failed transiently: ${lastErrorLine(stderr, SOURCE)}`,
      exitCode: 1,
      stderrTail: stderr,
    });
  });

  it('calls a process killed by a signal (the out-of-memory killer) an exhausted worker', () => {
    // Act / Assess
    expect(
      classifyToolFailure({
        stage: 'edit',
        source: SOURCE,
        stderr: 'frame= 10',
        exitCode: null,
        signal: 'SIGKILL',
      }),
    ).toEqual(
      new ResourceExhaustedError(
        'The video needs more memory than the worker has: ffmpeg edit was stopped (SIGKILL).',
      ),
    );
  });

  it('calls a failed allocation an exhausted worker', () => {
    // Act / Assess
    expect(
      classifyToolFailure({
        stage: 'edit',
        source: SOURCE,
        stderr: 'Cannot allocate memory',
        exitCode: 1,
        signal: null,
      }),
    ).toEqual(
      new ResourceExhaustedError(
        'The video needs more memory than the worker has: ffmpeg edit was stopped (out of memory).',
      ),
    );
  });
});

describe('checkDecodedPictureSize', () => {
  it('names the real size of a picture a decoder refused as too large', () => {
    // Prepare: what ffprobe logs before it reports the stream as 0×0.
    const stderr =
      '[png @ 0x3615] [IMGUTILS @ 0x7ffc] Picture size 16000x16000 exceeds specified max pixel count 8900000, see the documentation if you wish to increase it\n';

    // Act / Assess
    expect(() => {
      checkDecodedPictureSize(stderr, DEFAULT_SOURCE_LIMITS);
    }).toThrow(
      new PermanentProcessingError(
        'The video is 16000×16000 pixels; at most 4096 pixels on the longer side and 8.9 megapixels are accepted.',
      ),
    );
    expect(() => {
      checkDecodedPictureSize(
        '[IMGUTILS @ 0x1] Picture size 40000x40000 is invalid\n',
        DEFAULT_SOURCE_LIMITS,
      );
    }).toThrow(/^The video is 40000×40000 pixels;/);
  });

  it('ignores refusals of pictures that are not too large (a 0×0 header is a decode error, not a limit)', () => {
    // Act / Assess
    expect(() => {
      checkDecodedPictureSize(
        '[IMGUTILS @ 0x1] Picture size 0x0 is invalid\nframe=1\n',
        DEFAULT_SOURCE_LIMITS,
      );
    }).not.toThrow();
  });
});

describe('ffmpeg log readers', () => {
  it('quotes the last line without its context prefix or the local path', () => {
    // Act / Assess
    expect(
      lastErrorLine('[h264 @ 0x1f] error while decoding MB 3 4\n[h264 @ 0x1f] no frame!\n\n', SOURCE),
    ).toBe('no frame!');
    expect(lastErrorLine(`Error opening ${SOURCE} (retry)`, SOURCE)).toBe('Error opening the upload (retry)');
    expect(lastErrorLine('', SOURCE)).toBe('no diagnostic output');
  });

  it('reads every "bytes read" statistic in order', () => {
    // Act / Assess
    expect(
      bytesReadLines(
        '[AVIOContext @ 0x1] Statistics: 0 seeks, 1 writeouts\n[AVIOContext @ 0x2] Statistics: 562624 bytes read, 2 seeks\n[AVIOContext @ 0x3] Statistics: 42756 bytes read, 0 seeks\n',
      ),
    ).toEqual([562624, 42756]);
  });
});

describe('bytesReadLines', () => {
  it('reads every "bytes read" statistic of a verbose log in order', () => {
    // Act / Assess
    expect(
      bytesReadLines(
        '[AVIOContext @ 0x1] Statistics: 0 seeks, 1 writeouts\n[AVIOContext @ 0x2] Statistics: 562624 bytes read, 2 seeks\n[AVIOContext @ 0x3] Statistics: 42756 bytes read, 0 seeks\n',
      ),
    ).toEqual([562624, 42756]);
  });
});
