/**
 * ffprobe's arguments (functions/adapters/ffmpeg/probe.ts): the source probe counts the packets of the part the
 * edit decodes (the frame-rate limit: docs/worker.md, "Input limits"); the output probe only reads the header.
 */
import { describe, expect, it } from 'vitest';
import { LOCAL_PROTOCOLS, SOURCE_PROTOCOLS } from '#adapters/ffmpeg/components';
import { buildProbeArgs, PROBE_ENTRIES } from '#adapters/ffmpeg/probe';

describe('buildProbeArgs', () => {
  it('counts the packets of the first seconds when asked, bounded by the whitelists, -max_pixels and the entries', () => {
    const args = buildProbeArgs({
      input: 'http://127.0.0.1:9/x',
      protocols: SOURCE_PROTOCOLS,
      maxPixels: 8_900_000,
      threads: 2,
      countSeconds: 16,
    });
    expect(args).toEqual([
      '-hide_banner',
      '-loglevel',
      'error',
      '-format_whitelist',
      'mov,matroska,avi,mpegts,mpeg,png_pipe,jpeg_pipe',
      '-protocol_whitelist',
      'http,tcp',
      '-max_pixels',
      '8900000',
      '-threads',
      '2',
      '-print_format',
      'json',
      '-count_packets',
      '-read_intervals',
      '%+16',
      '-show_entries',
      PROBE_ENTRIES,
      'http://127.0.0.1:9/x',
    ]);
  });

  it('reads no packets to count without countSeconds (the output probe)', () => {
    const args = buildProbeArgs({
      input: '/tmp/video.mp4',
      protocols: LOCAL_PROTOCOLS,
      maxPixels: 1,
      threads: 1,
    });
    expect(args).not.toContain('-count_packets');
    expect(args).not.toContain('-read_intervals');
    expect(args.slice(-3)).toEqual(['-show_entries', PROBE_ENTRIES, '/tmp/video.mp4']);
    expect(args[args.indexOf('-protocol_whitelist') + 1]).toBe('file');
  });
});
