/**
 * The league's output format (docs/spec.md, "The league's video format"), and its defaults in this
 * one place: the worker's configuration (functions/commons/config.ts, VIDEO_* variables), the ffmpeg
 * adapter and the tests read them here. The thumbnail size is fixed by the web console's layout.
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
