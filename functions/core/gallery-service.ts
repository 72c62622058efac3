import { ConflictError, ForbiddenError, NotFoundError } from './errors';
import type { Clock, GalleryCursor, GalleryRepository, ObjectStore, PublishedVideo } from './ports';
import { SUSPENDED_MESSAGE } from './moderation';
import { PUBLIC_MEDIA_URL_TTL_SECONDS } from './public-cache';
import {
  galleryCursor,
  type MyVotesResponse,
  type PilotPageResponse,
  type PublicVideoListResponse,
  type PublicVideoResponse,
  type RankingsResponse,
  type VoteResponse,
} from './schemas';
import { periodStart, type RankingPeriod } from './seasons';
import type { Caller } from './task';

interface GalleryServiceDependencies {
  repository: GalleryRepository;
  store: ObjectStore;
}

interface VotingServiceDependencies {
  repository: GalleryRepository;
  clock: Clock;
  /** The league's season start dates, `YYYY-MM-DD`, increasing (#core/seasons). */
  seasonStarts: readonly string[];
}

export const DEFAULT_GALLERY_PAGE_SIZE = 20;
export const DEFAULT_RANKINGS_PAGE_SIZE = 20;

/** Anything not published is the same 404 on every public route (docs/spec.md §5). */
const NOT_PUBLISHED = 'Video not found';

/**
 * The public gallery of docs/spec.md §5 (the list and one video, with presigned media URLs), over ports only. Votes
 * and rankings are {@link VotingService}: they sign no URL, so their functions need no storage settings.
 */
export class GalleryService {
  constructor(private readonly deps: GalleryServiceDependencies) {}

  /** Keyset pagination, newest published first: one extra row tells whether another page exists. */
  list(options: { max: number; cursor?: GalleryCursor }): Promise<PublicVideoListResponse> {
    return this.page(options);
  }

  private async page(options: {
    max: number;
    cursor?: GalleryCursor;
    ownerId?: string;
  }): Promise<PublicVideoListResponse> {
    const rows = await this.deps.repository.listPublished({
      limit: options.max + 1,
      after: options.cursor,
      ownerId: options.ownerId,
    });
    const page = rows.slice(0, options.max);
    const last = page.at(-1);
    const data = await Promise.all(page.map((video) => this.view(video)));
    return rows.length > options.max && last !== undefined
      ? { data, nextCursor: galleryCursor(last) }
      : { data };
  }

  /** A pilot's page (docs/spec.md §9): 404 unless they have a published video; their videos as the gallery's. */
  async pilot(
    username: string,
    options: { max: number; cursor?: GalleryCursor },
  ): Promise<PilotPageResponse> {
    const pilot = await this.deps.repository.findPilot(username);
    if (pilot === null) throw new NotFoundError('Pilot not found');
    return {
      pilot: { username: pilot.username },
      rank: pilot.rank,
      votes: pilot.votes,
      videos: await this.page({ ...options, ownerId: pilot.id }),
    };
  }

  async get(id: number): Promise<PublicVideoResponse> {
    const video = await this.deps.repository.findPublished(id);
    if (video === null) throw new NotFoundError(NOT_PUBLISHED);
    return this.view(video);
  }

  /** Only public fields: never the owner's email or sub, the original, the file name or a failure reason. */
  private async view(video: PublishedVideo): Promise<PublicVideoResponse> {
    const presign = (key: string) =>
      this.deps.store.presignDownload({ key, expiresInSeconds: PUBLIC_MEDIA_URL_TTL_SECONDS });
    const [videoUrl, thumbnailUrl] = await Promise.all([
      presign(video.processedKey),
      presign(video.thumbnailKey),
    ]);
    return {
      id: video.id,
      title: video.title,
      pilot: { username: video.pilotUsername },
      votes: video.votes,
      views: video.views,
      publishedAt: video.publishedAt.toISOString(),
      durationSeconds: video.durationSeconds,
      video: { url: videoUrl },
      thumbnail: { url: thumbnailUrl },
    };
  }
}

/** Votes and the rankings they make (docs/spec.md §5), over the repository alone. */
/** The 403 of an unverified voter: what to do about it, in the words the console shows at the card. */
export const VERIFY_TO_VOTE =
  'Verify your email address to vote: enter the code we emailed you (or ask for a new one)';

export class VotingService {
  constructor(private readonly deps: VotingServiceDependencies) {}

  async vote(caller: Caller, id: number): Promise<VoteResponse> {
    await this.assertVerified(caller);
    let outcome;
    try {
      outcome = await this.deps.repository.vote(id, caller);
    } catch (error) {
      if (error instanceof ConflictError)
        throw new ConflictError('You have already voted for this video', [], { cause: error });
      throw error;
    }
    if (outcome.kind === 'not-published') throw new NotFoundError(NOT_PUBLISHED);
    if (outcome.kind === 'own-video') throw new ForbiddenError('You cannot vote for your own video');
    if (outcome.kind === 'suspended') throw new ForbiddenError(SUSPENDED_MESSAGE);
    return { id, votes: outcome.votes };
  }

  async withdraw(caller: Caller, id: number): Promise<void> {
    await this.assertVerified(caller);
    if (!(await this.deps.repository.withdrawVote(id, caller.sub)))
      throw new NotFoundError('You have no vote on this video');
  }

  /** Votes are from people who own their email (docs/spec.md §7): a throwaway address votes nothing. */
  private async assertVerified(caller: Caller): Promise<void> {
    if (!(await this.deps.repository.voterVerified(caller.sub))) throw new ForbiddenError(VERIFY_TO_VOTE);
  }

  /** The caller's own votes among the given videos (docs/spec.md §9): public answers stay the same for everyone. */
  async myVotes(caller: Caller, ids: readonly number[]): Promise<MyVotesResponse> {
    return { data: await this.deps.repository.votedAmong(caller.sub, ids) };
  }

  /** The rankings of one period (docs/spec.md §9): its first day is decided here, once, from the clock. */
  async rankings(options: {
    limit: number;
    offset: number;
    period: RankingPeriod;
  }): Promise<RankingsResponse> {
    const since = periodStart(options.period, this.deps.clock.now(), this.deps.seasonStarts);
    const { rows, total } = await this.deps.repository.rankings({
      limit: options.limit,
      offset: options.offset,
      ...(since === undefined ? {} : { since }),
    });
    return {
      data: rows.map((row) => ({
        rank: row.rank,
        pilot: { username: row.username },
        votes: row.votes,
        videos: row.videos,
      })),
      total,
      period: options.period,
      ...(since === undefined ? {} : { since }),
    };
  }
}
