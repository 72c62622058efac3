/** The public gallery (docs/spec.md §5): published edits, newest first; anyone plays them, logged-in pilots vote. */
import { ApiError, SessionExpiredError, type PublicVideo, type PublicVideoPage } from '../api';
import { alertBox, reportFailure, showAlert, type View, type ViewContext } from '../context';
import { append, h, isDisabled, keepFocus, setDisabled } from '../dom';
import { viewsLabel, votesLabel } from '../messages';
import { reportControl } from './report';
import { shareButton } from './share';
import { formatDate } from './status';
import { enterCodeButton } from './verify-email';

export interface GalleryOptions {
  /** The logged-in pilot's login, or null for a visitor. */
  login: string | null;
  /** Opens the login form; after logging in the pilot comes back to the gallery. */
  logIn(): void;
}

export function galleryView(context: ViewContext, options: GalleryOptions): View {
  const heading = h('h1', { id: 'gallery-heading', tabindex: -1 }, 'Race gallery');
  const list = videoList(context, options, heading, 'No published videos yet.', (cursor) =>
    context.api.listPublicVideos(cursor),
  );
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
  const element = h('div', { class: 'gallery-page' }, heading, intro, list.element);
  return { title: 'Race gallery', element, dispose: list.dispose };
}

/**
 * Pages of video cards with "Show older videos" (the gallery, a pilot's page): `fetch` gives the page after a
 * cursor; `first` sees each answer before its cards are shown (a pilot page's header).
 */
function videoList<Page extends PublicVideoPage>(
  context: ViewContext,
  options: GalleryOptions,
  heading: HTMLElement,
  emptyText: string,
  fetch: (cursor?: string) => Promise<Page>,
  first?: (page: Page) => void,
): { element: HTMLElement; dispose: () => void } {
  const alert = alertBox('gallery-alert');
  const grid = h('ul', { class: 'gallery-grid', 'aria-labelledby': heading.id });
  const empty = h('p', { class: 'empty', hidden: true }, emptyText);
  const more = h('button', { type: 'button', hidden: true }, 'Show older videos');
  const section = h('section', { class: 'gallery', 'aria-busy': 'true' }, alert, grid, empty, more);
  let nextCursor: string | undefined;
  let disposed = false;

  const load = (cursor?: string): void => {
    setDisabled(more, true);
    fetch(cursor)
      .then(
        (page) => {
          if (disposed) return;
          if (cursor === undefined) first?.(page);
          const shown = page.data.map((video) => videoCard(context, options, video));
          const cards = shown.map((card) => card.element);
          grid.append(...cards);
          loadVoteState(context, options, shown);
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
          if (error instanceof ApiError && error.status === 404) showAlert(alert, emptyText);
          else reportFailure(context, alert, error);
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
  return {
    element: section,
    dispose: () => {
      disposed = true;
    },
  };
}

/** A pilot's page (docs/spec.md §9): their standing and published videos, newest first. */
export function pilotView(context: ViewContext, options: GalleryOptions, username: string): View {
  const heading = h('h1', { id: 'gallery-heading', tabindex: -1 }, username);
  const standing = h('p', { class: 'lead pilot-standing' });
  const list = videoList(
    context,
    options,
    heading,
    'This pilot has no published video (any more).',
    async (cursor) => {
      const page = await context.api.pilot(username, cursor);
      return { ...page.videos, page };
    },
    ({ page }) => {
      heading.textContent = page.pilot.username;
      document.title = `${page.pilot.username} — IDRL Video Console`;
      standing.textContent = `Rank ${page.rank} · ${votesLabel(page.votes)} on their published videos`;
    },
  );
  const element = h(
    'div',
    { class: 'gallery-page' },
    h('nav', { 'aria-label': 'Breadcrumb' }, h('a', { href: '#/rankings' }, '← Pilot rankings')),
    heading,
    standing,
    list.element,
  );
  return { title: username, element, dispose: list.dispose };
}

/** The address of a pilot's page in the console. */
export function pilotHref(username: string): string {
  return `#/pilots/${encodeURIComponent(username)}`;
}

/**
 * The lasting public link of one published video: the page asks the API for fresh media URLs each
 * time it opens, so the link outlives the presigned URLs (docs/console.md, "Public links").
 */
export function publicVideoView(context: ViewContext, options: GalleryOptions, id: number): View {
  const alert = alertBox('gallery-alert');
  const heading = h('h1', { id: 'gallery-heading', tabindex: -1 }, 'Race video');
  const holder = h('ul', { class: 'gallery-grid single', 'aria-labelledby': 'gallery-heading' });
  const shareRow = h('p', { class: 'share-row' });
  const section = h('section', { class: 'gallery', 'aria-busy': 'true' }, alert, holder, shareRow);
  let disposed = false;
  context.api
    .getPublicVideo(id)
    .then(
      (video) => {
        if (disposed) return;
        heading.textContent = video.title;
        document.title = `${video.title} by ${video.pilot.username} — IDRL Video Console`;
        const card = videoCard(context, options, video);
        holder.append(card.element);
        shareRow.append(shareButton(context, video.id, video.title));
        loadVoteState(context, options, [card]);
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

interface VideoCard {
  id: number;
  element: HTMLLIElement;
  setVoted: (voted: boolean) => void;
}

/**
 * The caller's votes on these cards, asked of the API (GET /api/me/votes): the public answers are the same for
 * everyone and cached, so they cannot carry them. Without an answer the buttons still work; the API corrects a
 * wrong guess (409, 404) at the card.
 */
function loadVoteState(context: ViewContext, options: GalleryOptions, cards: readonly VideoCard[]): void {
  if (options.login === null || cards.length === 0) return;
  context.api.myVotes(cards.map((card) => card.id)).then(
    (voted) => {
      for (const card of cards) card.setVoted(voted.includes(card.id));
    },
    (error: unknown) => {
      if (error instanceof SessionExpiredError) context.sessionExpired();
      else for (const card of cards) card.setVoted(false);
    },
  );
}

function videoCard(context: ViewContext, options: GalleryOptions, video: PublicVideo): VideoCard {
  const pilot = video.pilot.username;
  const cardAlert = h('p', { class: 'alert card-alert', role: 'alert', hidden: true });
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
  // A play counts when the video really starts, once per page view; the count shown changes on the next read.
  player.addEventListener(
    'play',
    () => {
      // A lost report only loses a count: nothing to tell the viewer.
      context.api.reportView(video.id).catch(() => undefined);
    },
    { once: true },
  );
  const vote = voteControl(context, options, video, count, cardAlert);
  const cardStatus = h('p', { class: 'notice card-status', role: 'status', hidden: true });
  const report = reportControl(context, options, video, { status: cardStatus, alert: cardAlert });
  const element = h(
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
      h('p', { class: 'card-pilot' }, 'by ', h('a', { class: 'pilot-name', href: pilotHref(pilot) }, pilot)),
      h(
        'p',
        { class: 'task-meta' },
        h('time', { datetime: video.publishedAt }, formatDate(video.publishedAt)),
        ` · ${video.durationSeconds.toFixed(0)} s · `,
        h('span', { class: 'view-count', 'data-views': video.views }, viewsLabel(video.views)),
      ),
      h('div', { class: 'card-actions' }, count, vote.element),
      // The answers right after the vote: a refusal's "Enter the code" is the next stop of Tab after the button.
      cardStatus,
      cardAlert,
      report === null ? null : h('p', { class: 'card-report' }, report),
    ),
  );
  return { id: video.id, element, setVoted: vote.setVoted };
}

/** What a card's vote control shows; `voted` null until the API said whether the caller voted. */
interface VoteState {
  votes: number;
  voted: boolean | null;
}

/**
 * The card's vote control: "Vote", or "Voted — withdraw" once the caller's vote exists (the API says so, on any
 * browser or tab: GET /api/me/votes); nothing to press on one's own video. The count shown is the API's, and a
 * refusal is shown at the card it concerns.
 */
function voteControl(
  context: ViewContext,
  options: GalleryOptions,
  video: PublicVideo,
  count: HTMLElement,
  cardAlert: HTMLElement,
): { element: HTMLElement; setVoted: (voted: boolean) => void } {
  const { login } = options;
  const pilot = video.pilot.username;
  // Usernames compare case-insensitively (docs/spec.md §2): the pilot's own video offers no vote.
  if (login !== null && login.toLowerCase() === pilot.toLowerCase())
    return { element: h('span', { class: 'own-video' }, 'Your video'), setVoted: () => undefined };
  if (login === null)
    return { element: loginButton(options, 'Log in to vote', 'vote'), setVoted: () => undefined };
  const label = h('span', {}, 'Vote');
  const hidden = h('span', { class: 'visually-hidden' }, ` for ${pilot}`);
  const button = h('button', { type: 'button', class: 'vote' }, label, hidden);
  const state: VoteState = { votes: video.votes, voted: null };
  const render = (): void => {
    label.textContent = state.voted === true ? 'Voted — withdraw' : 'Vote';
    hidden.textContent = state.voted === true ? ` your vote for ${pilot}` : ` for ${pilot}`;
    button.classList.toggle('voted', state.voted === true);
    count.textContent = votesLabel(state.votes);
    count.dataset.votes = String(state.votes);
  };
  // Until the caller's votes are known, pressing could only guess: the button waits for them.
  setDisabled(button, true);
  render();
  button.addEventListener('click', () => {
    if (isDisabled(button)) return;
    const voted = state.voted === true;
    setDisabled(button, true);
    const request = voted
      ? context.api.withdrawVote(video.id).then(() => state.votes - 1)
      : context.api.vote(video.id).then((answer) => answer.votes);
    request
      .then(
        (newCount) => {
          state.votes = Math.max(newCount, 0);
          state.voted = !voted;
          render();
          showAlert(cardAlert, null);
          context.announce(
            voted
              ? `Vote withdrawn. ${votesLabel(state.votes)}.`
              : `Vote counted. ${votesLabel(state.votes)}.`,
          );
        },
        (error: unknown) => {
          // Another tab or browser changed it meanwhile: 409 = already voted, 404 on withdraw = no vote there.
          if (error instanceof ApiError && (error.status === 409 || (voted && error.status === 404))) {
            state.voted = !voted;
            render();
            showAlert(
              cardAlert,
              voted ? 'You had no vote on this video.' : 'You had already voted for this video.',
            );
            return;
          }
          reportFailure(context, cardAlert, error);
          // While the banner asks for the code, a 403 is the unverified email's (the API checks it first).
          const goToCode = error instanceof ApiError && error.status === 403 ? enterCodeButton() : null;
          if (goToCode !== null) append(cardAlert, '\n', goToCode);
        },
      )
      .finally(() => {
        setDisabled(button, false);
      });
  });
  return {
    element: button,
    setVoted: (voted) => {
      state.voted = voted;
      render();
      setDisabled(button, false);
    },
  };
}
