import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { s3Client } from '#commons/clients';
import { versionsBucket } from '#infra/local/services/s3rver-versions';

/**
 * Every version the local S3 keeps of the objects under `prefix`, as `<key>/<versionId>`: the versioning bridge stores
 * each version as an object of its companion bucket (infra/local/services/s3rver-versions.ts), so this lists what
 * ListObjectVersions would (the bridge answers no ListObjectVersions itself; it keeps no delete markers).
 */
export async function storedVersions(bucket: string, prefix: string): Promise<string[]> {
  const listed = await s3Client().send(
    new ListObjectsV2Command({ Bucket: versionsBucket(bucket), Prefix: prefix }),
  );
  return (listed.Contents ?? []).map((object) => object.Key ?? '').sort();
}
