/**
 * Which videos this browser's pilot has voted for. The gallery's answers are the same for everyone
 * (they are cached at the edge), so they cannot say; the console remembers its own votes per login
 * and corrects itself from the API's answers (409: already voted, 404 on withdraw: no vote there).
 */
const PREFIX = 'idrl.votes.';

export class VoteMemory {
  constructor(private readonly storage: Storage) {}

  has(login: string, videoId: number): boolean {
    return this.read(login).has(videoId);
  }

  set(login: string, videoId: number, voted: boolean): void {
    const ids = this.read(login);
    if (voted) ids.add(videoId);
    else ids.delete(videoId);
    this.storage.setItem(PREFIX + login, JSON.stringify([...ids]));
  }

  private read(login: string): Set<number> {
    try {
      const value: unknown = JSON.parse(this.storage.getItem(PREFIX + login) ?? '[]');
      return new Set(Array.isArray(value) ? value.filter((id): id is number => typeof id === 'number') : []);
    } catch {
      // A corrupted entry is treated as no votes; the API's answers rebuild it.
      return new Set();
    }
  }
}
