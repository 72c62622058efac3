/**
 * The console shell: picks the view from the session and the URL hash (#/, #/tasks/{id}, #/admin, and the
 * public #/gallery, #/gallery/{id}, #/rankings[/week|month|season|all] and #/pilots/{username}, which need no login), swaps
 * it into <main>, and owns the page-wide feedback (header, flash message, screen-reader announcer).
 */
import { ApiClient } from './api';
import type { View, ViewContext } from './context';
import { h, replaceChildren } from './dom';
import { WAKING_NOW } from './messages';
import { Session } from './session';
import { UploadQueue, sendWith } from './upload-queue';
import { UploadTracker } from './uploads';
import { adminView } from './views/admin';
import { authView } from './views/auth';
import { deleteAccountControl } from './views/delete-account';
import { passwordResetView } from './views/password-reset';
import { galleryView, pilotView, publicVideoView, type GalleryOptions } from './views/gallery';
import { rankingsPeriod, rankingsView } from './views/rankings';
import { taskDetailView } from './views/task-detail';
import { taskListView } from './views/task-list';
import { verifyEmailBanner } from './views/verify-email';

const main = document.getElementById('main') as HTMLElement;
// While the database resumes, every request waits; the pilot sees why instead of an error.
const waking = h('p', { class: 'waking', role: 'status', hidden: true }, WAKING_NOW);
main.before(h('div', { class: 'wrap' }, waking));
const session = new Session(localStorage);
const api = new ApiClient(session, undefined, {
  onWaking(isWaking) {
    waking.hidden = !isWaking;
  },
});
const account = document.getElementById('account') as HTMLElement;
const announcer = document.getElementById('announcer') as HTMLElement;
const uploads = new UploadTracker(localStorage);
const queue = new UploadQueue(uploads, sendWith(api, uploads));
/** Where the login form sends the pilot once logged in when not the page asked for (the gallery, to vote). */
let returnTo: string | null = null;

let current: View | null = null;
/**
 * What GET /api/auth/me said about the login (asked once per login): whether its email is verified (the banner) and
 * whether it is one of the league's admins (the Admin link); null while unknown.
 */
let known: { login: string; emailVerified: boolean; admin: boolean } | null = null;
/** The login whose GET /api/auth/me is on its way: one question at a time. */
let asking: string | null = null;
/** The main navigation's link to #/admin, shown to admins only (the API refuses everyone else anyway). */
const adminLink = h('a', { href: '#/admin', hidden: true }, 'Admin');
document.getElementById('site-nav')?.append(adminLink);
/** The banner of an unverified pilot, shown above each page (views/verify-email.ts). */
const verifyBanner = h('div', { id: 'verify-banner' });
let pendingFlash: string | null = null;
let authNotice: string | null = null;

const context: ViewContext = {
  api,
  uploads,
  queue,
  announce(message) {
    // Clearing first makes a repeated message be read again.
    announcer.textContent = '';
    setTimeout(() => {
      announcer.textContent = message;
    }, 50);
  },
  flash(message) {
    pendingFlash = message;
  },
  navigate(hash) {
    if (location.hash === hash) show(true);
    else location.hash = hash;
  },
  sessionExpired() {
    session.clear();
    authNotice = 'Your session has expired. Please log in again.';
    show(true);
  },
};

function route(): View {
  const gallery: GalleryOptions = {
    login: session.get()?.login ?? null,
    logIn() {
      returnTo = location.hash;
      context.navigate('#/login');
    },
  };
  // The login page remembers where to go back to; any other page means the pilot went elsewhere.
  if (location.hash !== '#/login') returnTo = null;
  if (location.hash === '#/gallery') return galleryView(context, gallery);
  const published = /^#\/gallery\/(\d+)$/.exec(location.hash);
  if (published?.[1] !== undefined) return publicVideoView(context, gallery, Number(published[1]));
  const period = rankingsPeriod(location.hash);
  if (period !== null) return rankingsView(context, period);
  if (session.get() === null && location.hash === '#/password')
    return passwordResetView(context, () => {
      authNotice =
        'Your password is changed and every session of your account has ended. Log in with the new password.';
      context.navigate('#/login');
    });
  const pilot = /^#\/pilots\/([^/]+)$/.exec(location.hash);
  if (pilot?.[1] !== undefined) return pilotView(context, gallery, decodedName(pilot[1]));
  if (session.get() === null) {
    const notice = authNotice;
    authNotice = null;
    // Logging in shows the page that was asked for (a deep link, or the page the session expired on).
    return authView(context, notice, () => {
      const target = returnTo ?? (location.hash === '#/login' ? '#/' : location.hash);
      returnTo = null;
      context.navigate(target);
    });
  }
  if (location.hash === '#/admin') return adminView(context);
  const detail = /^#\/tasks\/(\d+)$/.exec(location.hash);
  return detail?.[1] === undefined ? taskListView(context) : taskDetailView(context, Number(detail[1]));
}

/** A pilot name from the address; a malformed escape is kept as typed (the API answers it with a 400). */
function decodedName(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function show(moveFocus: boolean): void {
  current?.dispose();
  current = route();
  renderAccount();
  const flash = pendingFlash === null ? null : h('p', { class: 'notice', role: 'status' }, pendingFlash);
  pendingFlash = null;
  replaceChildren(main, flash, verifyBanner, current.element);
  checkAccount();
  document.title = `${current.title} — IDRL Video Console`;
  markCurrentPage();
  // Moving focus to the new heading tells screen-reader and keyboard users that the page changed.
  if (moveFocus) current.element.querySelector('h1')?.focus();
}

/**
 * Asks the API who the pilot is (once per login): shows the banner until the email is verified, and the Admin link to
 * the league's admins.
 */
function checkAccount(): void {
  const login = session.get()?.login ?? null;
  if (login === null || login !== known?.login) {
    replaceChildren(verifyBanner);
    adminLink.hidden = true;
  }
  if (login === null) return;
  if (login === known?.login) {
    adminLink.hidden = !known.admin;
    if (known.emailVerified) replaceChildren(verifyBanner);
    return;
  }
  if (asking === login) return;
  asking = login;
  api.me().then(
    (me) => {
      asking = null;
      if (session.get()?.login !== login) return;
      known = { login, emailVerified: me.emailVerified, admin: me.admin };
      adminLink.hidden = !me.admin;
      if (me.emailVerified) return;
      replaceChildren(
        verifyBanner,
        verifyEmailBanner(context, me.email, () => {
          known = { login, emailVerified: true, admin: me.admin };
          replaceChildren(verifyBanner);
          pendingFlash = 'Your email is verified: you can vote, and your public videos are in the gallery.';
          show(true);
        }),
      );
    },
    // Not knowing is no reason to nag: the API still refuses a vote with the reason (and an admin request).
    () => {
      asking = null;
    },
  );
}

/** aria-current on the main navigation's link to the page shown. */
function markCurrentPage(): void {
  const page = location.hash.startsWith('#/gallery')
    ? '#/gallery'
    : rankingsPeriod(location.hash) !== null || location.hash.startsWith('#/pilots/')
      ? '#/rankings'
      : location.hash === '#/admin'
        ? '#/admin'
        : '#/';
  for (const link of document.querySelectorAll<HTMLAnchorElement>('#site-nav a')) {
    if (link.getAttribute('href') === page) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

function renderAccount(): void {
  const tokens = session.get();
  if (tokens === null) {
    replaceChildren(account);
    return;
  }
  const logOut = h('button', { type: 'button', class: 'link' }, 'Log out');
  logOut.addEventListener('click', () => {
    logOut.disabled = true;
    void api
      .logOut()
      .then(
        () => 'You are logged out.',
        () =>
          'You are logged out on this device, but the server could not be reached to end the session: it ends by itself within 30 days.',
      )
      .then((notice) => {
        authNotice = notice;
        context.navigate('#/');
      });
  });
  const deleteAccount = deleteAccountControl(context, () => {
    authNotice = 'Your account and everything it held have been deleted.';
    context.navigate('#/');
  });
  replaceChildren(
    account,
    h('span', { class: 'who' }, 'Signed in as ', h('strong', {}, tokens.login)),
    logOut,
    deleteAccount,
  );
}

// Leaving mid-upload stops it: the browser asks first (the upload can be resumed, but only by hand).
window.addEventListener('beforeunload', (event) => {
  if (!uploads.busy() && !queue.busy()) return;
  event.preventDefault();
  // Older browsers (Chrome before 119, Safari) ask only when returnValue is set.
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- the standard way is preventDefault, above
  event.returnValue = '';
});

window.addEventListener('hashchange', () => {
  // Other fragments (the skip link's #main) are in-page jumps, not routes.
  if (location.hash === '' || location.hash.startsWith('#/')) show(true);
});
show(false);
