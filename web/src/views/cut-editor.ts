/**
 * The pilot's cut (docs/api.md, "The pilot's cut"): plays the video in the page, a 16 s window dragged along its
 * timeline (or moved with the arrow keys), and the poster frame picked inside that window. Used before an upload
 * (the local file, through an object URL) and on a processed video's page (the stored original's short-lived URL).
 * When the browser cannot play the file (an MKV or AVI it has no decoder for) a start-time field takes the
 * timeline's place: the worker still reads the whole file, and says so when the start lies past its end.
 */
import type { Cut } from '../api';
import { h } from '../dom';

/** How much of the source the edit keeps (docs/spec.md §8). */
export const CLIP_SECONDS = 16;
/** An arrow key moves the window this far; Shift + arrow a tenth of it, Page Up/Down ten times it. */
export const KEY_STEP_SECONDS = 1;
/** Positions are kept to a tenth of a second: finer than a pointer on a phone's timeline, coarser than a frame. */
const RESOLUTION = 10;
/** The API's start bound (the worker's probe knows the real one, the source's length). */
const MAX_START_SECONDS = 86_400;

const tenth = (seconds: number): number => Math.round(seconds * RESOLUTION) / RESOLUTION;

/** The latest start that still gives a full 16 s window (0 for a source of 16 s or less). */
export function latestStart(durationSeconds: number): number {
  return Math.max(0, Math.floor((durationSeconds - CLIP_SECONDS) * RESOLUTION) / RESOLUTION);
}

export function clampStart(startSeconds: number, durationSeconds: number): number {
  return Math.min(Math.max(0, tenth(startSeconds)), latestStart(durationSeconds));
}

/** The window's length: 16 s, or what the source has from the start on. */
export function windowSeconds(startSeconds: number, durationSeconds: number): number {
  return Math.min(CLIP_SECONDS, durationSeconds - startSeconds);
}

/** The latest poster offset: inside the window, and under 16 s as the API requires (0 ≤ p < 16). */
export function latestPoster(startSeconds: number, durationSeconds: number): number {
  return Math.max(0, Math.ceil(windowSeconds(startSeconds, durationSeconds) * RESOLUTION - 1) / RESOLUTION);
}

/** The start a key press on the window asks for, or null for a key the window does not use. */
export function startAfterKey(
  key: string,
  shiftKey: boolean,
  startSeconds: number,
  durationSeconds: number,
): number | null {
  const step = shiftKey ? KEY_STEP_SECONDS / 10 : KEY_STEP_SECONDS;
  const moves: Record<string, number> = {
    ArrowLeft: startSeconds - step,
    ArrowDown: startSeconds - step,
    ArrowRight: startSeconds + step,
    ArrowUp: startSeconds + step,
    PageDown: startSeconds - 10 * KEY_STEP_SECONDS,
    PageUp: startSeconds + 10 * KEY_STEP_SECONDS,
    Home: 0,
    End: latestStart(durationSeconds),
  };
  const wanted = moves[key];
  return wanted === undefined ? null : clampStart(wanted, durationSeconds);
}

/** "1:05.3": minutes and seconds to the tenth, as a player shows them. */
export function formatTime(seconds: number): string {
  const whole = tenth(seconds);
  const minutes = Math.floor(whole / 60);
  const rest = (whole - minutes * 60).toFixed(1).padStart(4, '0');
  return `${minutes}:${rest}`;
}

export interface CutEditor {
  element: HTMLElement;
  /** The chosen cut, or null when the start-time field holds no valid start (the field then says why and takes focus). */
  cut(): Cut | null;
  /** Stops the player and lets go of its source. */
  dispose(): void;
}

export interface CutEditorOptions {
  /** Prefix of the editor's element ids (two editors never share a page, but ids must stay unique). */
  id: string;
  /** A URL the browser can fetch: an object URL of the chosen file, or the stored original's presigned URL. */
  source: string;
  fileName: string;
  initial?: Cut;
  announce: (message: string) => void;
  /** A fresh URL once `source` has expired (the stored original's is presigned for 5 minutes); none for a local file. */
  renewSource?: () => Promise<string | undefined>;
}

export function cutEditor(options: CutEditorOptions): CutEditor {
  const { id, announce } = options;
  let start = options.initial?.clip.startSeconds ?? 0;
  let poster = options.initial?.posterSeconds ?? 0;
  /** The source's length once the player knows it; null while unknown or unplayable (the field is used then). */
  let duration: number | null = null;

  const hint = h(
    'p',
    { id: `${id}-hint`, class: 'hint' },
    `The edit keeps ${CLIP_SECONDS} s of your video. Drag the window along the timeline, or focus it and press the arrow keys: ${KEY_STEP_SECONDS} s a press (with Shift 0.1 s, Page Up/Down 10 s, Home/End to either end). Then pick the poster frame inside the window.`,
  );
  const player = h('video', {
    id: `${id}-player`,
    class: 'player cut-player',
    controls: true,
    muted: true,
    playsinline: true,
    preload: 'metadata',
    'aria-label': `${options.fileName}, to choose the cut from`,
  });
  const windowHandle = h('div', {
    id: `${id}-window`,
    class: 'cut-window',
    role: 'slider',
    tabindex: 0,
    'aria-label': `${CLIP_SECONDS}-second window`,
    'aria-describedby': `${id}-hint`,
    'aria-valuemin': 0,
    'aria-orientation': 'horizontal',
  });
  const posterMark = h('div', { class: 'cut-poster-mark', 'aria-hidden': 'true' });
  const track = h('div', { class: 'cut-track' }, windowHandle, posterMark);
  const summary = h('p', { id: `${id}-summary`, class: 'cut-summary' });
  const timeline = h('div', { class: 'cut-timeline', hidden: true }, track, summary);

  const posterInput = h('input', {
    id: `${id}-poster`,
    type: 'range',
    min: 0,
    step: 1 / RESOLUTION,
    'aria-describedby': `${id}-poster-hint`,
  });
  const posterHint = h('p', { id: `${id}-poster-hint`, class: 'hint' });
  const startInput = h('input', {
    id: `${id}-start`,
    type: 'number',
    min: 0,
    max: MAX_START_SECONDS,
    step: 1 / RESOLUTION,
    inputmode: 'decimal',
    'aria-describedby': `${id}-start-hint`,
  });
  const startError = h('p', { id: `${id}-start-error`, class: 'field-error', hidden: true });
  const startField = h(
    'div',
    { class: 'field', hidden: true },
    h('label', { for: `${id}-start` }, 'Start of the clip, in seconds'),
    h(
      'p',
      { id: `${id}-start-hint`, class: 'hint' },
      `This browser cannot show ${options.fileName} on a timeline, so type where the ${CLIP_SECONDS} s should start (0 is the beginning). A start past the end of the video fails with a reason, and you can change the cut then.`,
    ),
    startInput,
    startError,
  );
  startInput.value = String(start);

  const showWindow = (): void => {
    if (duration === null) return;
    const length = windowSeconds(start, duration);
    windowHandle.style.left = `${(start / duration) * 100}%`;
    windowHandle.style.width = `${(length / duration) * 100}%`;
    posterMark.style.left = `${((start + poster) / duration) * 100}%`;
    windowHandle.setAttribute('aria-valuemax', String(latestStart(duration)));
    windowHandle.setAttribute('aria-valuenow', String(start));
    const range = `${formatTime(start)} to ${formatTime(start + length)}`;
    windowHandle.setAttribute('aria-valuetext', range);
    summary.textContent = `Clip ${range} of ${formatTime(duration)}; poster at ${formatTime(start + poster)}.`;
  };

  const showPoster = (): void => {
    const latest = duration === null ? CLIP_SECONDS - 1 / RESOLUTION : latestPoster(start, duration);
    poster = Math.min(poster, latest);
    posterInput.max = String(latest);
    posterInput.value = String(poster);
    const at = duration === null ? `${poster.toFixed(1)} s into the clip` : formatTime(start + poster);
    posterInput.setAttribute('aria-valuetext', at);
    posterHint.textContent =
      duration === null
        ? `The poster is the frame ${poster.toFixed(1)} s after the clip's start.`
        : `The poster is the frame at ${at}, ${poster.toFixed(1)} s into the clip (the player shows it).`;
    showWindow();
  };

  const seek = (seconds: number): void => {
    if (duration === null) return;
    player.pause();
    player.currentTime = seconds;
  };

  const moveTo = (wanted: number): void => {
    if (duration === null) return;
    start = clampStart(wanted, duration);
    showPoster();
    seek(start);
  };

  // The browser reads the file's header: a known length and a picture mean the timeline can be used.
  player.addEventListener('loadedmetadata', () => {
    if (!Number.isFinite(player.duration) || player.videoWidth === 0) {
      useField();
      return;
    }
    duration = player.duration;
    renewing = false;
    timeline.hidden = false;
    start = clampStart(start, duration);
    showPoster();
    seek(start + poster);
  });
  let renewing = false;
  player.addEventListener('error', () => {
    // A source that played and then fails has expired: a fresh URL, once per failure, keeps the timeline and the cut.
    if (duration !== null && options.renewSource !== undefined && !renewing) {
      renewing = true;
      options.renewSource().then((fresh) => {
        if (fresh === undefined) useField();
        else player.src = fresh;
      }, useField);
      return;
    }
    useField();
  });
  function useField(): void {
    if (!startField.hidden) return;
    duration = null;
    // A file the browser plays without a picture or a length may still be watched to find the moment.
    player.hidden = player.error !== null || player.videoWidth === 0;
    timeline.hidden = true;
    hint.hidden = true;
    startField.hidden = false;
    showPoster();
    announce(
      `This browser cannot show ${options.fileName} on a timeline: type the start of the clip instead.`,
    );
  }

  windowHandle.addEventListener('keydown', (event) => {
    if (duration === null) return;
    const wanted = startAfterKey(event.key, event.shiftKey, start, duration);
    if (wanted === null) return;
    event.preventDefault();
    moveTo(wanted);
  });

  // A drag on the window moves it by the pointer's travel; a press elsewhere on the track centres it there. The
  // drag is followed on the document, so it goes on when the pointer leaves the track (past either end).
  track.addEventListener('pointerdown', (event) => {
    if (duration === null || !event.isPrimary) return;
    event.preventDefault();
    const bounds = track.getBoundingClientRect();
    const secondsAt = (x: number): number => ((x - bounds.left) / bounds.width) * (duration ?? 0);
    const grab = event.target === windowHandle ? secondsAt(event.clientX) - start : CLIP_SECONDS / 2;
    windowHandle.focus();
    moveTo(secondsAt(event.clientX) - grab);
    const move = (next: PointerEvent): void => {
      if (next.pointerId === event.pointerId) moveTo(secondsAt(next.clientX) - grab);
    };
    const release = (next: PointerEvent): void => {
      if (next.pointerId !== event.pointerId) return;
      document.removeEventListener('pointermove', move);
      document.removeEventListener('pointerup', release);
      document.removeEventListener('pointercancel', release);
      announce(`Clip ${windowHandle.getAttribute('aria-valuetext') ?? ''}.`);
    };
    document.addEventListener('pointermove', move);
    document.addEventListener('pointerup', release);
    document.addEventListener('pointercancel', release);
  });

  posterInput.addEventListener('input', () => {
    poster = Number(posterInput.value);
    showPoster();
    seek(start + poster);
  });
  startInput.addEventListener('input', () => {
    startError.hidden = true;
    startInput.removeAttribute('aria-invalid');
  });

  const cut = (): Cut | null => {
    if (!startField.hidden) {
      const typed = startInput.value.trim() === '' ? Number.NaN : Number(startInput.value);
      if (!Number.isFinite(typed) || typed < 0 || typed > MAX_START_SECONDS) {
        startError.textContent = `Type a start from 0 to ${MAX_START_SECONDS} seconds.`;
        startError.hidden = false;
        startInput.setAttribute('aria-invalid', 'true');
        startInput.setAttribute('aria-describedby', `${id}-start-hint ${id}-start-error`);
        startInput.focus();
        return null;
      }
      start = tenth(typed);
    }
    return { clip: { startSeconds: start }, posterSeconds: poster };
  };

  showPoster();
  player.src = options.source;
  const element = h(
    'div',
    { class: 'cut-editor', id },
    hint,
    player,
    timeline,
    startField,
    h(
      'div',
      { class: 'field' },
      h('label', { for: `${id}-poster` }, 'Poster frame'),
      posterInput,
      posterHint,
    ),
  );
  return {
    element,
    cut,
    dispose() {
      player.pause();
      player.removeAttribute('src');
      player.load();
    },
  };
}
