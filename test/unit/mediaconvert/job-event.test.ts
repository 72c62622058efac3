import { describe, expect, it } from 'vitest';
import { parseJobStateChange, UnexpectedJobEventError } from '#adapters/mediaconvert/job-event';
import { completeEvent, errorEvent, progressingEvent, SUBMITTED_AT } from './sample-events';

describe('parseJobStateChange', () => {
  it('reads a COMPLETE event: the MP4 by its path (not the frame capture listed first), the last capture as thumbnail', () => {
    expect(parseJobStateChange(completeEvent(7))).toEqual({
      kind: 'complete',
      revision: 1,
      taskId: 7,
      sourceKey: 'uploads/7/nonce',
      videoKey: 'processed/7/video.mp4',
      thumbnailKey: 'processed/7/thumbnail.0000001.jpg',
      discardKeys: [
        'processed/7/mediaconvert-job.json',
        'processed/7/mediaconvert-source',
        'processed/7/thumbnail.0000000.jpg',
      ],
      durationSeconds: 180.041,
      width: 1280,
      height: 720,
      processingMs: 1536964380391 - SUBMITTED_AT,
    });
  });

  it('reads an ERROR event as a readable failure reason', () => {
    expect(parseJobStateChange(errorEvent(7))).toEqual({
      kind: 'error',
      revision: 1,
      taskId: 7,
      sourceKey: 'uploads/7/nonce',
      reason: 'MediaConvert could not edit the video (error 1040: Example error message).',
    });
  });

  it('keeps bucket addresses out of the reason', () => {
    // Act
    const job = parseJobStateChange(
      errorEvent(
        7,
        'Demuxer: [ReadPacketData File read failed] s3://idrl-videos/uploads/7/nonce is truncated',
      ),
    );

    // Assess
    expect(job).toMatchObject({
      reason:
        'MediaConvert could not edit the video (error 1040: Demuxer: [ReadPacketData File read failed] the upload is truncated).',
    });
  });

  it('ignores a state it does not finish tasks on', () => {
    expect(parseJobStateChange(progressingEvent(7))).toBeNull();
  });

  it("rejects a job without this platform's metadata (the sample as AWS publishes it) and other events", () => {
    expect(() => parseJobStateChange(completeEvent(7, {}))).toThrow(
      new UnexpectedJobEventError('Job 1536964333549-opn151 carries no task of this platform'),
    );
    expect(() => parseJobStateChange({ source: 'aws.s3', detail: {} })).toThrow(UnexpectedJobEventError);
  });

  it("rejects a COMPLETE event whose outputs are not the task's", () => {
    // Prepare: the outputs of task 8 reported under task 7's metadata.
    const event = completeEvent(8);
    event.detail.userMetadata = completeEvent(7).detail.userMetadata;

    // Act + Assess
    expect(() => parseJobStateChange(event)).toThrow(
      new UnexpectedJobEventError(
        'Job 1536964333549-opn151 completed without the league video and its thumbnail',
      ),
    );
  });
});
