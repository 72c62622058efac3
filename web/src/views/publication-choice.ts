/** The upload box's question: will the edited video be public (the gallery) or private? Asked before uploading. */
import { h } from '../dom';

export interface PublicationChoice {
  element: HTMLFieldSetElement;
  /** The pilot's answer, sent as the task's `public` (docs/console.md, "Publication is the pilot's choice"). */
  isPublic(): boolean;
}

export function publicationChoice(): PublicationChoice {
  const option = (value: 'public' | 'private', label: string, hint: string, checked: boolean) => {
    const input = h('input', {
      id: `upload-${value}`,
      type: 'radio',
      name: 'visibility',
      value,
      checked,
      'aria-describedby': `upload-${value}-hint`,
    });
    return {
      input,
      element: h(
        'div',
        { class: 'choice' },
        input,
        h('label', { for: `upload-${value}` }, label),
        h('p', { id: `upload-${value}-hint`, class: 'hint' }, hint),
      ),
    };
  };
  const publicOption = option(
    'public',
    'Public',
    'Shown in the public gallery once processed: anyone can watch it and vote for you.',
    true,
  );
  const privateOption = option('private', 'Private', 'Only you can see it.', false);
  return {
    element: h(
      'fieldset',
      { class: 'visibility-choice' },
      h('legend', {}, 'Who can see the edited video?'),
      publicOption.element,
      privateOption.element,
      h('p', { class: 'hint' }, "You can change it later on the video's page."),
    ),
    isPublic: () => publicOption.input.checked,
  };
}
