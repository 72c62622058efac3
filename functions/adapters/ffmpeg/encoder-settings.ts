/** Encoder settings; see docs/worker.md ("Encoder settings") for why these. */
export const ENCODER = {
  preset: 'veryfast',
  crf: 23,
  audioBitrate: '128k',
  audioSampleRate: 48_000,
  thumbnailQuality: 3,
} as const;
