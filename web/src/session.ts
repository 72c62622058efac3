/**
 * Tokens live in sessionStorage: they survive a reload but not the tab, and are never shared with
 * other tabs. Anything readable by script is exposed to XSS, which is why the CSP is strict.
 */
export interface Tokens {
  accessToken: string;
  refreshToken: string;
  /** What the pilot typed to log in (username or email), shown in the header. */
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
