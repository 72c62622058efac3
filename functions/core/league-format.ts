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

/**
 * What a source may be before ffmpeg decodes a frame of it (docs/worker.md, "Input limits"). Beyond
 * these, decoding alone can outgrow the worker's memory or time: a 16000×16000 picture is 1 GB per
 * decoded frame. Configurable through the VIDEO_MAX_SOURCE_* environment variables.
 */
export interface SourceLimits {
  /** Longer side, in pixels (4096 covers DCI 4K and every phone). */
  maxSide: number;
  /** Width × height (8.9 MP covers 4096×2160). */
  maxPixels: number;
  /** Frames per second (high-speed FPV cameras record 240). */
  maxFps: number;
  /** Video + audio + data streams (phones and action cameras write up to five). */
  maxStreams: number;
}

export const DEFAULT_SOURCE_LIMITS: SourceLimits = {
  maxSide: 4096,
  maxPixels: 8_900_000,
  maxFps: 240,
  maxStreams: 8,
};
