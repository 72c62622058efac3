/** The pilot's tasks, newest first, refreshed while any of them is still on its way. */
import type { Task, TaskPage } from '../api';
import { alertBox, reportFailure, showAlert, type View, type ViewContext } from '../context';
import { h, isDisabled, keepFocus, replaceChildren, setDisabled } from '../dom';
import { poller } from './poller';
import type { UploadTracker } from '../uploads';
import { elapsedTime, formatDate, isMoving, statusBadge, statusLabel, tickElapsed } from './status';
import { uploadPanel } from './upload-panel';

export function taskListView(context: ViewContext): View {
  let tasks: Task[] = [];
  let nextCursor: string | undefined;
  const list = h('ul', { class: 'task-list', 'aria-labelledby': 'tasks-heading' });
  const empty = h('p', { class: 'empty', hidden: true }, 'No videos yet. Upload your first race above.');
  const alert = alertBox('tasks-alert');
  const more = h('button', { type: 'button', hidden: true }, 'Show older videos');
  const section = h(
    'section',
    { class: 'tasks', 'aria-labelledby': 'tasks-heading', 'aria-busy': 'true' },
    h('h2', { id: 'tasks-heading' }, 'Your videos'),
    alert,
    list,
    empty,
    more,
  );

  const render = () => {
    // A poll re-renders the list: a focused video link stays focused in the new one.
    const focusedId = document.activeElement?.closest<HTMLElement>('li[data-task-id]')?.dataset.taskId;
    keepFocus(
      list,
      () => {
        replaceChildren(list, ...tasks.map((task) => taskItem(task, context.uploads)));
      },
      () => list.querySelector<HTMLElement>(`li[data-task-id="${focusedId}"] a`),
    );
    empty.hidden = tasks.length > 0;
    more.hidden = nextCursor === undefined;
  };

  const panel = uploadPanel(context, () => {
    refresh.run();
  });
  const refresh = poller(async () => {
    try {
      const page = await context.api.listTasks();
      announceChanges(context, tasks, page.data);
      tasks = mergeFirstPage(tasks, page);
      if (tasks.length === page.data.length) nextCursor = page.nextCursor;
      showAlert(alert, null);
      render();
      panel.follow(tasks);
    } catch (error) {
      reportFailure(context, alert, error);
    } finally {
      section.setAttribute('aria-busy', 'false');
    }
    return tasks.some((task) => isMoving(task, context.uploads));
  });

  more.addEventListener('click', () => {
    if (nextCursor === undefined || isDisabled(more)) return;
    setDisabled(more, true);
    context.api
      .listTasks(nextCursor)
      .then(
        (page) => {
          tasks = [...tasks, ...page.data];
          nextCursor = page.nextCursor;
          // The last page hides the button: focus goes on to the first video it brought.
          keepFocus(section, render, () =>
            list.querySelector<HTMLElement>(`li[data-task-id="${page.data[0]?.id}"] a`),
          );
        },
        (error: unknown) => {
          reportFailure(context, alert, error);
        },
      )
      .finally(() => {
        setDisabled(more, false);
      });
  });

  refresh.run();
  // Upload progress is this browser's own: each badge follows it without a round trip.
  const unsubscribe = context.uploads.subscribe(() => {
    for (const item of list.querySelectorAll<HTMLElement>('li[data-task-id]')) {
      const task = tasks.find((candidate) => String(candidate.id) === item.dataset.taskId);
      const badge = item.querySelector('.badge');
      if (task !== undefined && badge !== null) badge.replaceWith(statusBadge(task, context.uploads));
    }
  });
  const stopElapsed = tickElapsed(list);
  const element = h(
    'div',
    { class: 'task-page' },
    h('h1', { tabindex: -1 }, 'Your race videos'),
    panel.element,
    section,
  );
  return {
    title: 'Your videos',
    element,
    dispose: () => {
      refresh.dispose();
      panel.dispose();
      unsubscribe();
      stopElapsed();
    },
  };
}

/** A poll re-reads the newest page; older pages loaded with "Show older videos" stay below it. */
function mergeFirstPage(current: Task[], page: TaskPage): Task[] {
  const oldest = page.data.at(-1)?.id;
  if (oldest === undefined || page.nextCursor === undefined) return page.data;
  return [...page.data, ...current.filter((task) => task.id < oldest)];
}

function announceChanges(context: ViewContext, before: Task[], after: Task[]): void {
  const previous = new Map(before.map((task) => [task.id, task.status]));
  for (const task of after) {
    const was = previous.get(task.id);
    if (was !== undefined && was !== task.status)
      context.announce(`${task.title}: ${statusLabel(task.status)}.`);
  }
}

function taskItem(task: Task, uploads: UploadTracker): HTMLLIElement {
  return h(
    'li',
    { class: 'task-item', 'data-task-id': task.id },
    task.thumbnail === undefined
      ? h('div', { class: 'thumb thumb-empty', 'aria-hidden': 'true' })
      : h('img', {
          class: 'thumb',
          src: task.thumbnail.url,
          alt: '',
          width: 160,
          height: 90,
          loading: 'lazy',
        }),
    h(
      'div',
      { class: 'task-body' },
      h('a', { class: 'task-link', href: `#/tasks/${task.id}` }, task.title),
      h(
        'p',
        { class: 'task-meta' },
        statusBadge(task, uploads),
        ' ',
        h(
          'span',
          { class: `visibility visibility-${task.public ? 'public' : 'private'}` },
          task.public ? 'Public' : 'Private',
        ),
        ' ',
        task.status === 'processing' ? elapsedTime(task.updatedAt) : null,
        task.status === 'processing' ? ' · ' : null,
        h('time', { datetime: task.createdAt }, formatDate(task.createdAt)),
      ),
      task.status === 'failed' && task.failureReason
        ? h('p', { class: 'failure' }, task.failureReason)
        : null,
      task.hidden === undefined
        ? null
        : h('p', { class: 'hidden-reason' }, `Hidden by the league: ${task.hidden.reason}`),
    ),
  );
}
