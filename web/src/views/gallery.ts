/** The public gallery (docs/spec.md §5): published edits, newest first; anyone plays them, logged-in pilots vote. */
import { ApiError, type PublicVideo } from '../api';
import { alertBox, reportFailure, showAlert, type View, type ViewContext } from '../context';
import { h, isDisabled, keepFocus, setDisabled } from '../dom';
import { votesLabel } from '../messages';
import type { VoteMemory } from '../votes';
import { formatDate } from './status';

export interface GalleryOptions {
  /** The logged-in pilot's login, or null for a visitor. */
  login: string | null;
  votes: VoteMemory;
  /** Opens the login form; after logging in the pilot comes back to the gallery. */
  logIn(): void;
}

export function galleryView(context: ViewContext, options: GalleryOptions): View {
  const alert = alertBox('gallery-alert');
  const grid = h('ul', { class: 'gallery-grid', 'aria-labelledby': 'gallery-heading' });
  const empty = h('p', { class: 'empty', hidden: true }, 'No published videos yet.');
  const more = h('button', { type: 'button', hidden: true }, 'Show older videos');
  const section = h('section', { class: 'gallery', 'aria-busy': 'true' }, alert, grid, empty, more);
  const heading = h('h1', { id: 'gallery-heading', tabindex: -1 }, 'Race gallery');
  let nextCursor: string | undefined;
  let disposed = false;

  const load = (cursor?: string): void => {
    setDisabled(more, true);
    context.api
      .listPublicVideos(cursor)
      .then(
        (page) => {
          if (disposed) return;
          const cards = page.data.map((video) => videoCard(context, options, video, alert));
          grid.append(...cards);
          nextCursor = page.nextCursor;
          // The last page hides the button: focus goes on to the first video it brought.
          keepFocus(
            section,
            () => {
              more.hidden = nextCursor === undefined;
            },
            () => cards[0]?.querySelector('a') ?? heading,
          );
          empty.hidden = grid.childElementCount > 0;
          showAlert(alert, null);
        },
        (error: unknown) => {
          reportFailure(context, alert, error);
        },
      )
      .finally(() => {
        setDisabled(more, false);
        section.setAttribute('aria-busy', 'false');
      });
  };
  more.addEventListener('click', () => {
    load(nextCursor);
  });
  load();

  const intro =
    options.login === null
      ? h(
          'p',
          { class: 'lead' },
          'The latest league edits from the FPV Enthusiast Tour. ',
          loginButton(options, 'Log in', 'link'),
          ' to vote for the best pilots.',
        )
      : h(
          'p',
          { class: 'lead' },
          'The latest league edits from the FPV Enthusiast Tour. One vote per video.',
        );
  const element = h('div', { class: 'gallery-page' }, heading, intro, section);
  return {
    title: 'Race gallery',
    element,
    dispose: () => {
      disposed = true;
    },
  };
}

/**
 * The lasting public link of one published video: the page asks the API for fresh media URLs each
 * time it opens, so the link outlives the presigned URLs (docs/console.md, "Public links").
 */
export function publicVideoView(context: ViewContext, options: GalleryOptions, id: number): View {
  const alert = alertBox('gallery-alert');
  const heading = h('h1', { id: 'gallery-heading', tabindex: -1 }, 'Race video');
  const holder = h('ul', { class: 'gallery-grid single', 'aria-labelledby': 'gallery-heading' });
  const section = h('section', { class: 'gallery', 'aria-busy': 'true' }, alert, holder);
  let disposed = false;
  context.api
    .getPublicVideo(id)
    .then(
      (video) => {
        if (disposed) return;
        heading.textContent = video.title;
        document.title = `${video.title} by ${video.pilot.username} — IDRL Video Console`;
        holder.append(videoCard(context, options, video, alert));
      },
      (error: unknown) => {
        if (error instanceof ApiError && error.status === 404)
          showAlert(alert, 'This video is not in the gallery (any more): its pilot may have unpublished it.');
        else reportFailure(context, alert, error);
      },
    )
    .finally(() => {
      section.setAttribute('aria-busy', 'false');
    });
  const element = h(
    'div',
    { class: 'gallery-page' },
    h('nav', { 'aria-label': 'Breadcrumb' }, h('a', { href: '#/gallery' }, '← Race gallery')),
    heading,
    section,
  );
  return {
    title: 'Race video',
    element,
    dispose: () => {
      disposed = true;
    },
  };
}

/** A button that opens the login form (the pilot comes back to this page once logged in). */
function loginButton(options: GalleryOptions, label: string, className: string): HTMLButtonElement {
  const button = h('button', { type: 'button', class: className }, label);
  button.addEventListener('click', () => {
    options.logIn();
  });
  return button;
}

function videoCard(
  context: ViewContext,
  options: GalleryOptions,
  video: PublicVideo,
  alert: HTMLElement,
): HTMLLIElement {
  const pilot = video.pilot.username;
  const titleId = `video-${video.id}-title`;
  const count = h('span', { class: 'vote-count', 'data-votes': video.votes }, votesLabel(video.votes));
  const player = h('video', {
    class: 'player',
    controls: true,
    preload: 'none',
    playsinline: true,
    src: video.video.url,
    poster: video.thumbnail.url,
    width: 1280,
    height: 720,
    'aria-labelledby': titleId,
  });
  return h(
    'li',
    { class: 'video-card', 'data-video-id': video.id, 'aria-labelledby': titleId },
    player,
    h(
      'div',
      { class: 'card-body' },
      h(
        'h2',
        { id: titleId, class: 'card-title' },
        // The lasting link to share: the card's own page, not the media URL (which expires).
        h('a', { href: `#/gallery/${video.id}` }, video.title),
      ),
      h(
        'p',
        { class: 'task-meta' },
        'by ',
        h('span', { class: 'pilot-name' }, pilot),
        ' · ',
        h('time', { datetime: video.publishedAt }, formatDate(video.publishedAt)),
        ` · ${video.durationSeconds.toFixed(0)} s`,
      ),
      h('div', { class: 'card-actions' }, count, voteControl(context, options, video, count, alert)),
    ),
  );
}

/** A toggle button (aria-pressed): vote, or withdraw a vote; the count shown is the API's. */
function voteControl(
  context: ViewContext,
  options: GalleryOptions,
  video: PublicVideo,
  count: HTMLElement,
  alert: HTMLElement,
): HTMLElement {
  const { login } = options;
  if (login === null) return loginButton(options, 'Log in to vote', 'vote');
  const pilot = video.pilot.username;
  // One accessible name that holds the visible text (WCAG 2.5.3); aria-pressed says whether it is cast.
  const button = h(
    'button',
    { type: 'button', class: 'vote' },
    h('span', { class: 'vote-check', 'aria-hidden': 'true' }, '✓ '),
    'Vote',
    h('span', { class: 'visually-hidden' }, ` for ${pilot}`),
  );
  let votes = video.votes;
  const render = (voted: boolean): void => {
    button.setAttribute('aria-pressed', String(voted));
    count.textContent = votesLabel(votes);
    count.dataset.votes = String(votes);
  };
  render(options.votes.has(login, video.id));
  button.addEventListener('click', () => {
    if (isDisabled(button)) return;
    const voted = button.getAttribute('aria-pressed') === 'true';
    setDisabled(button, true);
    const request = voted
      ? context.api.withdrawVote(video.id).then(() => votes - 1)
      : context.api.vote(video.id).then((answer) => answer.votes);
    request
      .then(
        (newCount) => {
          votes = Math.max(newCount, 0);
          options.votes.set(login, video.id, !voted);
          render(!voted);
          showAlert(alert, null);
          context.announce(
            voted ? `Vote withdrawn. ${votesLabel(votes)}.` : `Vote counted. ${votesLabel(votes)}.`,
          );
        },
        (error: unknown) => {
          // The API knows better than this browser's memory: 409 = already voted, 404 = no vote to withdraw.
          if (error instanceof ApiError && (error.status === 409 || (voted && error.status === 404))) {
            options.votes.set(login, video.id, !voted);
            render(!voted);
            context.announce(
              voted ? 'You had no vote on this video.' : 'You had already voted for this video.',
            );
            return;
          }
          reportFailure(context, alert, error);
        },
      )
      .finally(() => {
        setDisabled(button, false);
      });
  });
  return button;
}
