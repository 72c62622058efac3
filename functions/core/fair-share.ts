/**
 * The per-pilot cap on concurrent edits (docs/worker.md, "A fair worker"; docs/spec.md §7.13): the worker fleet
 * is shared by every pilot, so one pilot's burst must not hold all of it. Only the decision lives here (pure); the
 * repository makes it under the pilot's row lock, so two deliveries of one pilot cannot both pass the cap.
 */

/** Edits one pilot may have in progress at once unless configured (CDK context, the worker's environment). */
export const DEFAULT_MAX_CONCURRENT_EDITS_PER_PILOT = 2;

/** What the claim counts of the task's pilot, under the pilot's lock, excluding the task being claimed. */
export interface PilotEdits {
  /** The pilot's other tasks 'processing' (an ffmpeg edit, or a MediaConvert job, in progress). */
  editing: number;
  /**
   * The pilot's parked tasks ahead of this one: all of them for a task that is not parked, those parked earlier
   * for a parked one. Each of them is owed a slot before this task takes one.
   */
  waitingAhead: number;
}

export type ClaimDecision = 'claim' | 'park';

/**
 * Claim when a slot is free for this task after every parked task ahead of it has had one; park otherwise. A
 * task already 'processing' (a dead attempt's task taken over) holds its slot and is never parked. The oldest
 * parked task therefore claims whenever fewer than the cap are editing, and a later upload can pass it only
 * while a slot remains free for it too: it is never starved.
 */
export function claimDecision(
  edits: PilotEdits,
  maxConcurrentEdits: number,
  alreadyEditing = false,
): ClaimDecision {
  if (alreadyEditing) return 'claim';
  return edits.editing + edits.waitingAhead < maxConcurrentEdits ? 'claim' : 'park';
}

/**
 * How many of a pilot's parked tasks (the oldest first) to queue again when one of its edits ended: one per free
 * slot; more would only be parked again.
 */
export function freeSlots(editing: number, maxConcurrentEdits: number): number {
  return Math.max(0, maxConcurrentEdits - editing);
}
