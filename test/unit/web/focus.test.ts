import { afterEach, describe, expect, it, vi } from 'vitest';
import { isDisabled, keepFocus, setDisabled } from '#web/src/dom';

/**
 * Node has no DOM: a control is an EventTarget with attributes, enough for setDisabled. (In a browser
 * its capturing listener runs before the view's own; here listeners run in the order they were added.)
 */
class FakeControl extends EventTarget {
  readonly attributes = new Map<string, string>();
  getAttribute(name: string): string | null {
    return this.attributes.get(name) ?? null;
  }
  setAttribute(name: string, value: string): void {
    this.attributes.set(name, value);
  }
  removeAttribute(name: string): void {
    this.attributes.delete(name);
  }
}

/** A node of a fake tree for keepFocus: hidden, connected and focus are all it reads. */
class FakeNode {
  children: FakeNode[] = [];
  parent: FakeNode | null = null;
  hidden = false;
  constructor(private readonly page: FakeDocument) {}
  append(...nodes: FakeNode[]): this {
    for (const node of nodes) {
      node.parent = this;
      this.children.push(node);
    }
    return this;
  }
  remove(): void {
    if (this.parent !== null) this.parent.children = this.parent.children.filter((each) => each !== this);
    this.parent = null;
  }
  contains(other: FakeNode | null): boolean {
    for (let node = other; node !== null; node = node.parent) if (node === this) return true;
    return false;
  }
  get isConnected(): boolean {
    return this.page.body.contains(this);
  }
  closest(selector: string): FakeNode | null {
    if (selector !== '[hidden]') throw new Error(`unexpected selector ${selector}`);
    if (this.hidden) return this;
    return this.parent?.closest(selector) ?? null;
  }
  focus(): void {
    this.page.activeElement = this;
  }
}

class FakeDocument {
  body: FakeNode = new FakeNode(this);
  activeElement: FakeNode | null = this.body;
  node(): FakeNode {
    return new FakeNode(this);
  }
}

function click(control: EventTarget): Event {
  const event = new Event('click', { cancelable: true });
  control.dispatchEvent(event);
  return event;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('setDisabled', () => {
  it('marks the control aria-disabled and cancels its activation until it is available again', () => {
    // Prepare
    const control = new FakeControl();
    setDisabled(control as unknown as HTMLElement, true);
    const handler = vi.fn();
    control.addEventListener('click', handler);

    // Act
    const whileBusy = click(control);
    setDisabled(control as unknown as HTMLElement, false);
    const afterwards = click(control);

    // Assess
    expect(whileBusy.defaultPrevented).toBe(true);
    expect(afterwards.defaultPrevented).toBe(false);
    expect(handler).toHaveBeenCalledTimes(1);
    expect(control.getAttribute('aria-disabled')).toBeNull();
  });

  it('never sets `disabled` (which drops focus to <body>) and guards a control only once', () => {
    // Prepare
    const control = new FakeControl();
    const listen = vi.spyOn(control, 'addEventListener');

    // Act
    setDisabled(control as unknown as HTMLElement, true);
    setDisabled(control as unknown as HTMLElement, false);
    setDisabled(control as unknown as HTMLElement, true);

    // Assess
    expect(listen).toHaveBeenCalledTimes(1);
    expect([...control.attributes]).toEqual([['aria-disabled', 'true']]);
    expect(isDisabled(control as unknown as HTMLElement)).toBe(true);
  });
});

describe('keepFocus', () => {
  function page() {
    const document = new FakeDocument();
    vi.stubGlobal('document', document);
    const heading = document.node();
    const section = document.node();
    const button = document.node();
    const card = document.node();
    section.append(card, button);
    document.body.append(heading, section);
    return { document, heading, section, button, card };
  }

  it('moves focus on when the focused control is hidden', () => {
    // Prepare
    const { document, section, button, card } = page();
    button.focus();

    // Act
    keepFocus(
      section as unknown as Element,
      () => {
        button.hidden = true;
      },
      () => card as unknown as HTMLElement,
    );

    // Assess
    expect(document.activeElement).toBe(card);
  });

  it('moves focus on when the focused control is removed', () => {
    // Prepare
    const { document, section, button, heading } = page();
    button.focus();

    // Act
    keepFocus(
      section as unknown as Element,
      () => {
        button.remove();
      },
      () => heading as unknown as HTMLElement,
    );

    // Assess
    expect(document.activeElement).toBe(heading);
  });

  it('leaves focus alone when it was elsewhere or its element stays', () => {
    // Prepare
    const { document, section, button, heading, card } = page();
    const next = vi.fn(() => card as unknown as HTMLElement);

    // Act
    heading.focus();
    keepFocus(
      section as unknown as Element,
      () => {
        button.remove();
      },
      next,
    );
    const afterOutside = document.activeElement;
    card.focus();
    keepFocus(section as unknown as Element, () => undefined, next);

    // Assess
    expect(afterOutside).toBe(heading);
    expect(document.activeElement).toBe(card);
    expect(next).not.toHaveBeenCalled();
  });
});
