import { describe, expect, it } from 'vitest';
import {
  CLIP_SECONDS,
  clampStart,
  formatTime,
  latestPoster,
  latestStart,
  startAfterKey,
  windowSeconds,
} from '#web/src/views/cut-editor';
import { formatWait } from '#web/src/messages';

describe('the cut editor’s window', () => {
  it('keeps a full 16 s window inside the source, to the tenth of a second', () => {
    expect(latestStart(100)).toBe(84);
    expect(latestStart(30.05)).toBe(14);
    expect(clampStart(-3, 100)).toBe(0);
    expect(clampStart(12.34, 100)).toBe(12.3);
    expect(clampStart(99, 100)).toBe(84);
  });

  it('has nowhere to move in a source of 16 s or less, and then spans what there is', () => {
    expect(latestStart(CLIP_SECONDS)).toBe(0);
    expect(latestStart(3)).toBe(0);
    expect(clampStart(2, 3)).toBe(0);
    expect(windowSeconds(0, 3)).toBe(3);
    expect(windowSeconds(10, 100)).toBe(CLIP_SECONDS);
  });

  it('keeps the poster inside the window and under the API’s 16 s bound', () => {
    expect(latestPoster(0, 100)).toBe(15.9);
    expect(latestPoster(0, 3)).toBe(2.9);
    expect(latestPoster(0, 0.05)).toBe(0);
  });

  it('moves by 1 s per arrow key, 0.1 s with Shift, 10 s per page, to either end with Home/End', () => {
    expect(startAfterKey('ArrowRight', false, 10, 100)).toBe(11);
    expect(startAfterKey('ArrowUp', false, 10, 100)).toBe(11);
    expect(startAfterKey('ArrowLeft', false, 10, 100)).toBe(9);
    expect(startAfterKey('ArrowDown', true, 10, 100)).toBe(9.9);
    expect(startAfterKey('ArrowRight', true, 10, 100)).toBe(10.1);
    expect(startAfterKey('PageUp', false, 10, 100)).toBe(20);
    expect(startAfterKey('PageDown', false, 5, 100)).toBe(0);
    expect(startAfterKey('Home', false, 40, 100)).toBe(0);
    expect(startAfterKey('End', false, 0, 100)).toBe(84);
    expect(startAfterKey('ArrowRight', false, 84, 100)).toBe(84);
    expect(startAfterKey('Enter', false, 10, 100)).toBeNull();
  });

  it('writes times as a player shows them', () => {
    expect(formatTime(0)).toBe('0:00.0');
    expect(formatTime(65.34)).toBe('1:05.3');
    expect(formatTime(599.96)).toBe('10:00.0');
  });
});

describe('formatWait', () => {
  it('rounds a Retry-After up to what a pilot plans with', () => {
    expect(formatWait(0)).toBe('1 s');
    expect(formatWait(40)).toBe('40 s');
    expect(formatWait(61)).toBe('2 min');
    expect(formatWait(3600)).toBe('1 h');
    expect(formatWait(3 * 3600 + 4 * 60 + 1)).toBe('3 h 5 min');
  });
});
