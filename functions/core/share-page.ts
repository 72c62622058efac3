/**
 * The HTML of a published video's lasting address, /v/{id} (docs/spec.md §9): Open Graph and Twitter card tags so a
 * shared link shows its title, pilot and poster, and an immediate redirect that opens the console on the video.
 * Every value is escaped for HTML: titles and usernames are pilots' input.
 */
import type { PublicVideoResponse } from './schemas';

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text or an attribute value (always double-quoted here) made inert in HTML. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => ESCAPES[character] ?? character);
}

/** The console's own view of the video: the page every share link lands on. */
export function consoleVideoPath(id: number): string {
  return `/#/gallery/${id}`;
}

function meta(attribute: 'property' | 'name', key: string, content: string): string {
  return `<meta ${attribute}="${key}" content="${escapeHtml(content)}">`;
}

export function sharePage(video: PublicVideoResponse): string {
  const target = consoleVideoPath(video.id);
  const description = `A race by ${video.pilot.username} in the IDRL FPV Enthusiast Tour (${Math.round(video.durationSeconds)} s).`;
  const heading = `${video.title} — by ${video.pilot.username}`;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(heading)} — IDRL</title>`,
    meta('name', 'description', description),
    meta('property', 'og:type', 'video.other'),
    meta('property', 'og:site_name', 'IDRL Video Platform'),
    meta('property', 'og:title', video.title),
    meta('property', 'og:description', description),
    meta('property', 'og:image', video.thumbnail.url),
    meta('property', 'og:image:width', '640'),
    meta('property', 'og:image:height', '360'),
    meta('property', 'og:video', video.video.url),
    meta('property', 'og:video:type', 'video/mp4'),
    meta('property', 'og:video:width', '1280'),
    meta('property', 'og:video:height', '720'),
    meta('name', 'twitter:card', 'summary_large_image'),
    meta('name', 'twitter:title', video.title),
    meta('name', 'twitter:description', description),
    meta('name', 'twitter:image', video.thumbnail.url),
    `<meta http-equiv="refresh" content="0; url=${escapeHtml(target)}">`,
    '</head>',
    '<body>',
    `<p><a href="${escapeHtml(target)}">${escapeHtml(heading)}</a></p>`,
    '</body>',
    '</html>',
  ].join('\n');
}

export function notFoundPage(): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><title>Video not found — IDRL</title></head>',
    '<body><p>This video is not in the gallery (any more). <a href="/#/gallery">See the race gallery</a>.</p></body>',
    '</html>',
  ].join('\n');
}
