/**
 * Tokens live in localStorage: one login per browser, shared by its tabs and kept across restarts
 * until "Log out" (docs/console.md, "Session in localStorage", weighs this against XSS exposure).
 */
export interface Tokens {
  accessToken: string;
  refreshToken: string;
  /** The username (from the access token), shown in the header. */
  login: string;
}

const KEY = 'idrl.session';

export class Session {
  constructor(private readonly storage: Storage) {}

  get(): Tokens | null {
    const raw = this.storage.getItem(KEY);
    if (raw === null) return null;
    try {
      const value = JSON.parse(raw) as Partial<Tokens>;
      if (
        typeof value.accessToken === 'string' &&
        typeof value.refreshToken === 'string' &&
        typeof value.login === 'string'
      ) {
        return { accessToken: value.accessToken, refreshToken: value.refreshToken, login: value.login };
      }
    } catch {
      // A corrupted entry is treated as no session.
    }
    this.clear();
    return null;
  }

  set(tokens: Tokens): void {
    this.storage.setItem(KEY, JSON.stringify(tokens));
  }

  clear(): void {
    this.storage.removeItem(KEY);
  }
}
