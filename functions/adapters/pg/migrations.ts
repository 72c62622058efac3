import type { Migration } from '#adapters/pg/migrator';
import { migration as initial } from '#adapters/pg/migrations/0001-initial';
import { migration as uploadQuota } from '#adapters/pg/migrations/0002-upload-quota';
import { migration as recovery } from '#adapters/pg/migrations/0003-recovery';
import { migration as publicGallery } from '#adapters/pg/migrations/0004-public-gallery';
import { migration as accountDeletion } from '#adapters/pg/migrations/0005-account-deletion';
import { migration as requeuedAt } from '#adapters/pg/migrations/0006-requeued-at';
import { migration as publicSide } from '#adapters/pg/migrations/0008-public-side';
import { migration as pilotCut } from '#adapters/pg/migrations/0009-pilot-cut';
import { migration as fairWorker } from '#adapters/pg/migrations/0010-fair-worker';
import { migration as verifiedEmail } from '#adapters/pg/migrations/0011-verified-email';
import { migration as moderation } from '#adapters/pg/migrations/0012-moderation';
import { migration as rankingPeriods } from '#adapters/pg/migrations/0013-ranking-periods';
import { migration as views } from '#adapters/pg/migrations/0014-views';
import { migration as singleUseUploads } from '#adapters/pg/migrations/0015-single-use-uploads';
import { migration as clientRequestCounts } from '#adapters/pg/migrations/0016-client-request-counts';

/**
 * Every migration, in order. They are TypeScript modules rather than .sql files so esbuild embeds
 * them in the function bundle: nothing to copy next to the code, nothing to find at runtime.
 */
export const migrations: readonly Migration[] = [
  initial,
  uploadQuota,
  recovery,
  publicGallery,
  accountDeletion,
  requeuedAt,
  publicSide,
  pilotCut,
  fairWorker,
  verifiedEmail,
  moderation,
  rankingPeriods,
  views,
  singleUseUploads,
  clientRequestCounts,
];
