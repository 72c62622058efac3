import type { ObjectStore, ServedSource, SourceServer } from '#core/ports';

/**
 * A SourceServer that serves nothing: its URL names the key, bytesSent is the object's size, and
 * `failure` simulates a storage error met while ffmpeg read. Counts sources still open.
 */
export class FakeSourceServer implements SourceServer {
  readonly served: string[] = [];
  /** The version each serve asked for (undefined: the current one), in order. */
  readonly servedVersions: (string | undefined)[] = [];
  open = 0;
  failure: Error | undefined;

  constructor(private readonly objects: ObjectStore) {}

  async serve(key: string, versionId?: string): Promise<ServedSource> {
    const version = await this.objects.stat(key, versionId);
    if (version === null) throw new Error(`No object ${key}`);
    const size = version.sizeBytes;
    this.served.push(key);
    this.servedVersions.push(versionId);
    this.open += 1;
    return {
      url: `http://127.0.0.1:9/${encodeURIComponent(key)}`,
      bytesSent: () => size,
      failure: () => this.failure,
      close: () => {
        this.open -= 1;
        return Promise.resolve();
      },
    };
  }
}
