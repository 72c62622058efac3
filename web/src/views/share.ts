/**
 * Sharing a published video: its lasting address /v/{id} (link previews, then the console on the video). The Web
 * Share API where the browser has it (phones), else the clipboard.
 */
import type { ViewContext } from '../context';
import { h } from '../dom';

/** The address to share: served by the API (and the CDN) with Open Graph and Twitter card tags. */
export function shareUrl(id: number): string {
  return `${location.origin}/v/${id}`;
}

export function shareButton(context: ViewContext, id: number, title: string): HTMLButtonElement {
  const canShare = typeof navigator.share === 'function';
  const button = h('button', { type: 'button', class: 'share-button' }, canShare ? 'Share' : 'Copy link');
  button.addEventListener('click', () => {
    const url = shareUrl(id);
    const sharing = canShare ? navigator.share({ title, url }) : navigator.clipboard.writeText(url);
    sharing.then(
      () => {
        if (!canShare) context.announce('Link copied.');
      },
      // A dismissed share sheet is not an error; a refused clipboard leaves the address visible next to it.
      () => undefined,
    );
  });
  return button;
}
