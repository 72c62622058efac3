/**
 * AWS's documented sample EventBridge events for MediaConvert jobs (MediaConvert User Guide: "Events with
 * ERROR status", "Events with PROGRESSING status", "File group with a frame capture output"), made valid
 * JSON where the published text is not (`"code": 000000`, trailing commas), with the userMetadata and
 * output paths a job of this platform carries instead of the samples' empty metadata and demo bucket.
 */
const envelope = {
  version: '0',
  id: '1234abcd-12ab-34cd-56ef-1234567890ab',
  'detail-type': 'MediaConvert Job State Change',
  source: 'aws.mediaconvert',
  account: '111122223333',
  region: 'us-west-2',
};

export const SUBMITTED_AT = 1536964300391;

export function platformMetadata(taskId: number): Record<string, string> {
  return {
    idrlTaskId: String(taskId),
    idrlSourceKey: `uploads/${taskId}/nonce`,
    idrlSubmittedAt: String(SUBMITTED_AT),
  };
}

/** "File group with a frame capture output": the capture's group is listed first, then the MP4's. */
export function completeEvent(taskId: number, userMetadata = platformMetadata(taskId)) {
  return {
    ...envelope,
    time: '2018-09-14T21:54:31Z',
    resources: ['arn:aws:mediaconvert:us-west-2:111122223333:jobs/1536961999428-kxngbl'],
    detail: {
      status: 'COMPLETE',
      paddingInserted: 0,
      blackVideoDetected: 10,
      blackSegments: [{ start: 0, end: 10 }],
      outputGroupDetails: [
        {
          outputDetails: [
            {
              outputFilePaths: [`s3://idrl-videos/processed/${taskId}/thumbnail.0000001.jpg`],
              durationInMs: 185000,
              videoDetails: { widthInPx: 1280, heightInPx: 720 },
            },
          ],
          type: 'FILE_GROUP',
        },
        {
          outputDetails: [
            {
              outputFilePaths: [`s3://idrl-videos/processed/${taskId}/video.mp4`],
              durationInMs: 180041,
              blackVideoDurationInMs: 0,
              videoDetails: {
                widthInPx: 1280,
                heightInPx: 720,
                averageQVBRScore: 7.38,
                minimumQVBRScore: 7,
                maximumQVBRScore: 8,
                minimumQVBRScoreLocationInMs: 2168,
                maximumQVBRScoreLocationInMs: 25025,
              },
            },
          ],
          type: 'FILE_GROUP',
        },
      ],
      timestamp: 1536964380391,
      accountId: '111122223333',
      queue: 'arn:aws:mediaconvert:us-west-2:111122223333:queues/Default',
      jobId: '1536964333549-opn151',
      userMetadata,
      warnings: [{ code: 0, count: 1 }],
    },
  };
}

/** "Events with ERROR status". */
export function errorEvent(taskId: number, errorMessage = 'Example error message') {
  return {
    ...envelope,
    time: '2018-01-07T23:35:20Z',
    resources: ['arn:aws:mediaconvert:us-west-2:111122223333:jobs/1515368087458-qnoxtd'],
    detail: {
      timestamp: 1515368120764,
      accountId: '111122223333',
      queue: 'arn:aws:mediaconvert:us-west-2:111122223333:queues/Default',
      jobId: '1515368087458-qnoxtd',
      status: 'ERROR',
      errorCode: 1040,
      errorMessage,
      userMetadata: platformMetadata(taskId),
    },
  };
}

/** "Events with PROGRESSING status". */
export function progressingEvent(taskId: number) {
  return {
    ...envelope,
    time: '2022-12-19T19:20:21Z',
    resources: ['arn:aws:mediaconvert:us-west-2:111122223333:jobs/1671477617078-2886ye'],
    detail: {
      timestamp: 1671477621654,
      accountId: '111122223333',
      queue: 'arn:aws:mediaconvert:us-west-2:111122223333:queues/Default',
      jobId: '1671477617078-2886ye',
      status: 'PROGRESSING',
      userMetadata: platformMetadata(taskId),
    },
  };
}
