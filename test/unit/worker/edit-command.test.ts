import { describe, expect, it } from 'vitest';
import { buildEditArgs, buildFilterGraph, posterOffset, type EditPlan } from '#adapters/ffmpeg/edit-command';
import { DEFAULT_LEAGUE_FORMAT } from '#core/league-format';

const plan: EditPlan = {
  source: 'http://127.0.0.1:41234/source',
  demuxer: 'matroska',
  maxPixels: 8_900_000,
  threads: 2,
  logoPath: '/opt/assets/idrl-logo.png',
  startSeconds: 0,
  sourceSeconds: 16,
  posterSeconds: 0,
  hasAudio: true,
  videoOutput: '/tmp/work/video.mp4',
  thumbnailOutput: '/tmp/work/thumbnail.jpg',
  format: DEFAULT_LEAGUE_FORMAT,
};

const FIT =
  'scale=w=if(gte(dar\\,1280/720)\\,1280\\,2*trunc(720*dar/2)):h=if(gte(dar\\,1280/720)\\,2*trunc(1280/dar/2)\\,720),' +
  'pad=1280:720:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,format=yuv420p';

describe('buildFilterGraph', () => {
  it('joins logo card, the first 16 s of the source and logo card with silent audio under the cards', () => {
    // Act
    const graph = buildFilterGraph(plan);

    // Assess
    expect(graph.split(';')).toEqual([
      `[1:v]${FIT},split=2[intro][outro]`,
      '[intro]loop=loop=59:size=1:start=0,settb=1/30,setpts=N[introcard]',
      '[outro]loop=loop=59:size=1:start=0,settb=1/30,setpts=N[outrocard]',
      `[0:v:0]trim=duration=16.000,setpts=PTS-STARTPTS,fps=30,${FIT},split=2[main][poster]`,
      '[poster]trim=end_frame=1,scale=640:360,setsar=1[thumb]',
      '[0:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=duration=16.000,asetpts=PTS-STARTPTS[mainaudio]',
      'anullsrc=channel_layout=stereo:sample_rate=48000,atrim=duration=2.000[introaudio]',
      'anullsrc=channel_layout=stereo:sample_rate=48000,atrim=duration=2.000[outroaudio]',
      '[introcard][introaudio][main][mainaudio][outrocard][outroaudio]concat=n=3:v=1:a=1[v][a]',
    ]);
  });

  it('builds a video-only concat when the source has no audio', () => {
    // Act
    const graph = buildFilterGraph({ ...plan, hasAudio: false, sourceSeconds: 3.5 });

    // Assess
    expect(graph).not.toContain('[0:a:0]');
    expect(graph).not.toContain('anullsrc');
    expect(graph).toContain('trim=duration=3.500');
    expect(graph.split(';').at(-1)).toBe('[introcard][main][outrocard]concat=n=3:v=1:a=0[v]');
  });

  it('follows a configured format: size, frame rate and card length', () => {
    // Act
    const graph = buildFilterGraph({
      ...plan,
      format: { ...DEFAULT_LEAGUE_FORMAT, width: 1920, height: 1080, fps: 25, logoSeconds: 3 },
    });

    // Assess
    expect(graph).toContain('[intro]loop=loop=74:size=1:start=0,settb=1/25,setpts=N[introcard]');
    expect(graph).toContain('pad=1920:1080:(ow-iw)/2:(oh-ih)/2:color=black');
    expect(graph).toContain('fps=25');
    expect(graph).toContain('atrim=duration=3.000[introaudio]');
  });
});

describe('buildEditArgs', () => {
  it('reads only the seconds it needs, each input with one demuxer and its protocols, and writes a faststart MP4 and a one-frame JPEG in one run', () => {
    // Act
    const args = buildEditArgs(plan);

    // Assess
    expect(args).toEqual([
      '-nostdin',
      '-hide_banner',
      '-nostats',
      '-loglevel',
      'error',
      '-y',
      '-t',
      '16.000',
      '-f',
      'matroska',
      '-format_whitelist',
      'matroska',
      '-protocol_whitelist',
      'http,tcp',
      '-max_pixels',
      '8900000',
      '-threads',
      '2',
      '-i',
      'http://127.0.0.1:41234/source',
      '-f',
      'png_pipe',
      '-format_whitelist',
      'png_pipe',
      '-protocol_whitelist',
      'file',
      '-i',
      '/opt/assets/idrl-logo.png',
      '-filter_complex',
      buildFilterGraph(plan),
      '-map_metadata',
      '-1',
      '-map_chapters',
      '-1',
      '-map',
      '[v]',
      '-map',
      '[a]',
      '-c:v',
      'libx264',
      '-threads',
      '2',
      '-preset',
      'veryfast',
      '-crf',
      '23',
      '-pix_fmt',
      'yuv420p',
      '-r',
      '30',
      '-c:a',
      'aac',
      '-b:a',
      '128k',
      '-ac',
      '2',
      '-ar',
      '48000',
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
      '/tmp/work/video.mp4',
      '-map',
      '[thumb]',
      '-frames:v',
      '1',
      '-q:v',
      '3',
      '-f',
      'image2',
      '-update',
      '1',
      '/tmp/work/thumbnail.jpg',
    ]);
  });

  it('maps no audio stream and sets no audio codec for a silent source', () => {
    // Act
    const args = buildEditArgs({ ...plan, hasAudio: false });

    // Assess
    expect(args).not.toContain('[a]');
    expect(args).not.toContain('-c:a');
  });
});

describe("the pilot's cut", () => {
  const cut: EditPlan = { ...plan, startSeconds: 95.5, posterSeconds: 4.25 };

  it('seeks on the input (before -i), so the read starts at the window, not at the file start', () => {
    // Act
    const args = buildEditArgs(cut);

    // Assess
    const seek = args.indexOf('-ss');
    expect(args.slice(seek, seek + 4)).toEqual(['-ss', '95.500', '-t', '16.000']);
    expect(seek).toBeLessThan(args.indexOf('-i'));
    expect(args.filter((arg) => arg === '-ss')).toHaveLength(1);
  });

  it('takes the poster at its offset inside the clip, in the same graph', () => {
    expect(buildFilterGraph(cut)).toContain(
      '[poster]trim=start=4.250,trim=end_frame=1,scale=640:360,setsar=1[thumb]',
    );
  });

  it("keeps the poster on the clip's last frame when the source ends before the offset", () => {
    expect(posterOffset({ posterSeconds: 12, sourceSeconds: 3, format: DEFAULT_LEAGUE_FORMAT })).toBeCloseTo(
      3 - 1 / 30,
      9,
    );
    expect(posterOffset({ posterSeconds: 2, sourceSeconds: 3, format: DEFAULT_LEAGUE_FORMAT })).toBe(2);
  });
});
