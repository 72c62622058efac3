import type { ObjectStore, PresignedUpload } from '#core/ports';

/** The ObjectStore port in memory: presigned URLs are readable fakes that record their inputs. */
export class InMemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, number>();
  readonly uploads: { key: string; contentType: string; maxBytes: number; expiresInSeconds: number }[] = [];

  constructor(private readonly now: () => Date = () => new Date()) {}

  presignUpload(input: { key: string; contentType: string; maxBytes: number; expiresInSeconds: number }): Promise<PresignedUpload> {
    this.uploads.push(input);
    return Promise.resolve({
      url: 'https://bucket.example/',
      fields: { key: input.key, 'Content-Type': input.contentType },
      expiresAt: new Date(this.now().getTime() + input.expiresInSeconds * 1000),
      maxBytes: input.maxBytes,
    });
  }

  presignDownload(input: { key: string; expiresInSeconds: number; downloadFileName?: string }): Promise<string> {
    const name = input.downloadFileName === undefined ? '' : `&name=${encodeURIComponent(input.downloadFileName)}`;
    return Promise.resolve(`https://bucket.example/${input.key}?ttl=${input.expiresInSeconds}${name}`);
  }

  head(key: string): Promise<number | null> {
    return Promise.resolve(this.objects.get(key) ?? null);
  }

  deleteMany(keys: string[]): Promise<void> {
    for (const key of keys) this.objects.delete(key);
    return Promise.resolve();
  }

  putFile(input: { key: string; path: string; contentType: string }): Promise<void> {
    this.objects.set(input.key, input.path.length);
    return Promise.resolve();
  }

  download(key: string, _path: string): Promise<number> {
    const size = this.objects.get(key);
    if (size === undefined) return Promise.reject(new Error(`No object ${key}`));
    return Promise.resolve(size);
  }
}
