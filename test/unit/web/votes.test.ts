import { describe, expect, it } from 'vitest';
import { VoteMemory } from '#web/src/votes';

/** The part of the Web Storage API VoteMemory uses, over a Map (Node has no localStorage). */
function memoryStorage(initial: Record<string, string> = {}): Storage {
  const items = new Map(Object.entries(initial));
  return {
    get length() {
      return items.size;
    },
    clear: () => {
      items.clear();
    },
    getItem: (key) => items.get(key) ?? null,
    key: (index) => [...items.keys()][index] ?? null,
    removeItem: (key) => {
      items.delete(key);
    },
    setItem: (key, value) => {
      items.set(key, value);
    },
  };
}

describe('VoteMemory', () => {
  it('remembers votes per login and forgets a withdrawn one', () => {
    // Prepare
    const storage = memoryStorage();
    const memory = new VoteMemory(storage);

    // Act
    memory.set('ace', 7, true);
    memory.set('ace', 9, true);
    memory.set('ace', 7, false);
    memory.set('blaze', 7, true);

    // Assess
    expect([
      memory.has('ace', 7),
      memory.has('ace', 9),
      memory.has('blaze', 7),
      memory.has('blaze', 9),
    ]).toEqual([false, true, true, false]);
    expect(storage.getItem('idrl.votes.ace')).toBe('[9]');
    expect(storage.getItem('idrl.votes.blaze')).toBe('[7]');
  });

  it('survives what another tab or an old version may have left in storage', () => {
    // Prepare
    const memory = new VoteMemory(
      memoryStorage({ 'idrl.votes.ace': '{not json', 'idrl.votes.blaze': '[3,"4",null,5]' }),
    );

    // Act + Assess: a corrupt entry reads as no votes, and only numeric ids count
    expect(memory.has('ace', 3)).toBe(false);
    expect([memory.has('blaze', 3), memory.has('blaze', 4), memory.has('blaze', 5)]).toEqual([
      true,
      false,
      true,
    ]);

    // A vote on top of a corrupt entry replaces it with a clean one.
    memory.set('ace', 3, true);
    expect(memory.has('ace', 3)).toBe(true);
  });
});
