/**
 * The league's output format (SPEC §4). Every number is configurable through the VIDEO_* environment
 * variables; the thumbnail size is fixed by the web console's layout.
 */
export interface LeagueFormat {
  width: number;
  height: number;
  fps: number;
  /** Only this much of the source is read and used. */
  maxSourceSeconds: number;
  /** Length of each logo card (one before, one after the source). */
  logoSeconds: number;
  thumbnailWidth: number;
  thumbnailHeight: number;
}

export const DEFAULT_LEAGUE_FORMAT: LeagueFormat = {
  width: 1280,
  height: 720,
  fps: 30,
  maxSourceSeconds: 16,
  logoSeconds: 2,
  thumbnailWidth: 640,
  thumbnailHeight: 360,
};

/** Encoder settings; see docs/worker.md ("Encoder settings") for why these. */
export const ENCODER = {
  preset: 'veryfast',
  crf: 23,
  audioBitrate: '128k',
  audioSampleRate: 48_000,
  thumbnailQuality: 3,
} as const;
