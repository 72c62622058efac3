/**
 * A tiny element builder. Text always goes in as text nodes (never innerHTML), so nothing the API
 * returns can become markup; this is also what lets the CSP require Trusted Types for every sink.
 */
type AttributeValue = string | number | boolean | null | undefined;
type Handler = (event: Event) => void;
export type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, AttributeValue | Handler> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value);
    else if (value === true) element.setAttribute(name, '');
    else if (value !== false && value !== null && value !== undefined)
      element.setAttribute(name, String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** Controls whose activation setDisabled guards (one capturing click listener each). */
const guarded = new WeakSet<HTMLElement>();

/**
 * Makes a control unavailable (busy, or nothing to do) without the `disabled` attribute: a disabled
 * control loses focus (Chromium moves it to <body>), so a keyboard or screen-reader user who pressed
 * it would be thrown to the top of the page. aria-disabled keeps it focusable and says it is
 * unavailable; a capturing click listener cancels its activation meanwhile (a click, Enter or Space on
 * a button, a form's implicit submission, a checkbox toggle, a file picker).
 */
export function setDisabled(control: HTMLElement, disabled: boolean): void {
  if (!guarded.has(control)) {
    guarded.add(control);
    control.addEventListener(
      'click',
      (event) => {
        if (!isDisabled(control)) return;
        event.preventDefault();
        event.stopImmediatePropagation();
      },
      { capture: true },
    );
  }
  if (disabled) control.setAttribute('aria-disabled', 'true');
  else control.removeAttribute('aria-disabled');
}

export function isDisabled(control: HTMLElement): boolean {
  return control.getAttribute('aria-disabled') === 'true';
}

/**
 * Runs `change` (which may hide or remove the focused element); if focus was inside `scope` and its
 * element is then gone or hidden, focus moves to `next()` instead of falling to <body>.
 */
export function keepFocus(
  scope: Element,
  change: () => void,
  next: () => HTMLElement | null | undefined,
): void {
  const focused = document.activeElement;
  const inside = focused !== null && focused !== document.body && scope.contains(focused);
  change();
  if (!inside) return;
  if (focused.isConnected && focused.closest('[hidden]') === null) return;
  next()?.focus();
}
