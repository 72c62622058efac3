/**
 * The one ffmpeg invocation that edits a source into the league format: one filter graph, one
 * encode, two outputs (the video and its thumbnail). Pure: builds arguments, runs nothing.
 * docs/worker.md ("The filter graph") walks through the graph label by label.
 */
import type { LeagueFormat } from '#core/league-format';
import { LOCAL_PROTOCOLS, LOGO_DEMUXER, SOURCE_PROTOCOLS } from './components';
import { ENCODER } from './encoder-settings';

export interface EditPlan {
  /** URL of the upload (the worker's loopback range proxy). */
  source: string;
  /** The demuxer ffprobe detected: the only one the edit may open the source with. */
  demuxer: string;
  /** Decoder limit, defence in depth behind the probe's checks: no frame above this is decoded. */
  maxPixels: number;
  /** Decoder and encoder threads: the function's vCPUs. */
  threads: number;
  logoPath: string;
  /** Where the clip starts in the source (the pilot's cut); 0 for the first seconds. */
  startSeconds: number;
  /** Seconds of source to use from startSeconds: min(source duration - startSeconds, format.maxSourceSeconds). */
  sourceSeconds: number;
  /** The poster's offset inside the clip. */
  posterSeconds: number;
  hasAudio: boolean;
  videoOutput: string;
  thumbnailOutput: string;
  format: LeagueFormat;
}

/** Seconds as ffmpeg reads them; fixed precision keeps the arguments stable across runs. */
function seconds(value: number): string {
  return value.toFixed(3);
}

/**
 * Fit inside width×height without stretching or cropping: scale by the display aspect ratio
 * (`dar` includes the sample aspect ratio, so anamorphic sources are not squeezed), keep both sides
 * even for yuv420p, then centre on black.
 */
export function fitAndPad({ width, height }: LeagueFormat): string {
  const wide = `gte(dar\\,${width}/${height})`;
  const scaledWidth = `if(${wide}\\,${width}\\,2*trunc(${height}*dar/2))`;
  const scaledHeight = `if(${wide}\\,2*trunc(${width}/dar/2)\\,${height})`;
  return [
    `scale=w=${scaledWidth}:h=${scaledHeight}`,
    `pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2:color=black`,
    'setsar=1',
    'format=yuv420p',
  ].join(',');
}

/** A silent stereo segment as long as one logo card. */
function silence(format: LeagueFormat, label: string): string {
  return `anullsrc=channel_layout=stereo:sample_rate=${ENCODER.audioSampleRate},atrim=duration=${seconds(format.logoSeconds)}[${label}]`;
}

/**
 * Input 0 is the source (ffmpeg has already applied its rotation metadata: autorotate is on by
 * default), input 1 the logo image. The logo is decoded once and looped into two cards; the source's
 * first video and audio streams become the middle segment; concat joins the three.
 */
/**
 * The poster's offset inside the clip, kept on a frame of it: a source shorter than the clip's 16 s ends
 * before an offset the pilot chose in good faith, and then its last frame is the poster.
 */
export function posterOffset(plan: Pick<EditPlan, 'posterSeconds' | 'sourceSeconds' | 'format'>): number {
  return Math.max(0, Math.min(plan.posterSeconds, plan.sourceSeconds - 1 / plan.format.fps));
}

export function buildFilterGraph(plan: EditPlan): string {
  const { format, sourceSeconds, hasAudio } = plan;
  const poster = posterOffset(plan);
  const logoFrames = Math.round(format.logoSeconds * format.fps);
  const logoCard = (label: string): string =>
    `[${label}]loop=loop=${logoFrames - 1}:size=1:start=0,settb=1/${format.fps},setpts=N[${label}card]`;
  const graph = [
    `[1:v]${fitAndPad(format)},split=2[intro][outro]`,
    logoCard('intro'),
    logoCard('outro'),
    `[0:v:0]trim=duration=${seconds(sourceSeconds)},setpts=PTS-STARTPTS,fps=${format.fps},${fitAndPad(format)},split=2[main][poster]`,
    // The thumbnail is the clip's frame at the poster offset (its first frame by default), already fitted, at
    // poster size: the first frame at or after the offset on the 30 fps timeline.
    `[poster]${poster > 0 ? `trim=start=${seconds(poster)},` : ''}trim=end_frame=1,scale=${format.thumbnailWidth}:${format.thumbnailHeight},setsar=1[thumb]`,
  ];
  if (hasAudio) {
    graph.push(
      // apad + atrim make the source audio exactly as long as its video segment, so the cards stay aligned.
      `[0:a:0]aresample=${ENCODER.audioSampleRate},aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=duration=${seconds(sourceSeconds)},asetpts=PTS-STARTPTS[mainaudio]`,
      silence(format, 'introaudio'),
      silence(format, 'outroaudio'),
      '[introcard][introaudio][main][mainaudio][outrocard][outroaudio]concat=n=3:v=1:a=1[v][a]',
    );
  } else {
    graph.push('[introcard][main][outrocard]concat=n=3:v=1:a=0[v]');
  }
  return graph.join(';');
}

/** Input options that fix how an input is opened: this demuxer, these protocols. */
function pinnedInput(demuxer: string, protocols: readonly string[]): string[] {
  return ['-f', demuxer, '-format_whitelist', demuxer, '-protocol_whitelist', protocols.join(',')];
}

export function buildEditArgs(plan: EditPlan): string[] {
  const { format } = plan;
  return [
    '-nostdin',
    '-hide_banner',
    '-nostats',
    // Errors only: the last line of the log is then ffmpeg's verdict, quoted in failure reasons.
    '-loglevel',
    'error',
    '-y',
    // -ss on the input seeks: the demuxer jumps through the container's index to the key frame before the
    // start and ffmpeg decodes (and drops) only from there, so the read starts near the window, not at the
    // file's beginning; the first frame kept is the one at the start (accurate seek, on by default when
    // transcoding). docs/worker.md, "The pilot's cut".
    ...(plan.startSeconds > 0 ? ['-ss', seconds(plan.startSeconds)] : []),
    // -t on the input: ffmpeg stops reading the source after the seconds it needs.
    '-t',
    seconds(plan.sourceSeconds),
    // The source opens with the demuxer the probe saw and nothing else: no playlist, concat or image
    // sequence inside it can make ffmpeg open another URL or file.
    ...pinnedInput(plan.demuxer, SOURCE_PROTOCOLS),
    '-max_pixels',
    String(plan.maxPixels),
    '-threads',
    String(plan.threads),
    '-i',
    plan.source,
    ...pinnedInput(LOGO_DEMUXER, LOCAL_PROTOCOLS),
    '-i',
    plan.logoPath,
    '-filter_complex',
    buildFilterGraph(plan),
    // Phone videos carry GPS and device tags; the published edit carries none of them.
    '-map_metadata',
    '-1',
    '-map_chapters',
    '-1',
    '-map',
    '[v]',
    ...(plan.hasAudio ? ['-map', '[a]'] : []),
    '-c:v',
    'libx264',
    '-threads',
    String(plan.threads),
    '-preset',
    ENCODER.preset,
    '-crf',
    String(ENCODER.crf),
    '-pix_fmt',
    'yuv420p',
    '-r',
    String(format.fps),
    ...(plan.hasAudio
      ? ['-c:a', 'aac', '-b:a', ENCODER.audioBitrate, '-ac', '2', '-ar', String(ENCODER.audioSampleRate)]
      : []),
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    plan.videoOutput,
    '-map',
    '[thumb]',
    '-frames:v',
    '1',
    '-q:v',
    String(ENCODER.thumbnailQuality),
    '-f',
    'image2',
    '-update',
    '1',
    plan.thumbnailOutput,
  ];
}
