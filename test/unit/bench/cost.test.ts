/**
 * The bench's price of 1 000 views (test/bench/cost.ts, docs/cost.md "Per 1 000 views"): what a view fetches,
 * from where, at which list price.
 */
import { describe, expect, it } from 'vitest';
import { costReport, DELIVERY_PRICES, PRICES, VIEW_ASSUMPTIONS } from '#test/bench/cost';

const GB = 1024 ** 3;
const EDIT_BYTES = 2 * GB;
const POSTER_BYTES = GB / 1024;

const report = costReport({
  workerSeconds: 4,
  outputSeconds: 20,
  outputBytes: EDIT_BYTES,
  thumbnailBytes: POSTER_BYTES,
  sourceBytes: 60_000_000,
  apiHandlerMs: 1,
  authorizerMs: 1,
  publicHandlerMs: 1,
});

describe('cost per 1 000 views', () => {
  it('bills the edit and its poster as S3 transfer out, and only the API answer to the CDN, as media are served today', () => {
    const views = report.per1000Views;
    expect(views.bytesPerView).toBe(VIEW_ASSUMPTIONS.apiAnswerBytes + EDIT_BYTES + POSTER_BYTES);
    expect(views.s3Transfer).toBeCloseTo(1000 * (2 + 1 / 1024) * DELIVERY_PRICES.s3DataTransferOutGb, 9);
    expect(views.s3Requests).toBeCloseTo(
      1000 * (VIEW_ASSUMPTIONS.videoGetRequests + 1) * PRICES.s3GetRequest,
      12,
    );
    expect(views.cdn).toBeCloseTo(
      1000 *
        (DELIVERY_PRICES.cloudFrontHttpsRequest +
          (VIEW_ASSUMPTIONS.apiAnswerBytes / GB) * DELIVERY_PRICES.cloudFrontDataTransferOutGb),
      12,
    );
    expect(views.total).toBeCloseTo(views.cdn + views.s3Requests + views.s3Transfer + views.apiOrigin, 12);
  });

  it('moves the media bytes and requests to CloudFront in the finding, with no S3 transfer out', () => {
    const through = report.per1000ViewsThroughCloudFront;
    expect(through.s3Transfer).toBe(0);
    expect(through.cdn).toBeCloseTo(
      1000 *
        ((1 + VIEW_ASSUMPTIONS.videoGetRequests + 1) * DELIVERY_PRICES.cloudFrontHttpsRequest +
          (through.bytesPerView / GB) * DELIVERY_PRICES.cloudFrontDataTransferOutGb),
      9,
    );
    expect(through.total).toBeLessThan(report.per1000Views.total);
  });

  it('prices a gallery page as its answer and twenty posters, no edit', () => {
    const pages = report.per1000GalleryPages;
    expect(pages.bytesPerView).toBe(
      VIEW_ASSUMPTIONS.galleryAnswerBytes + VIEW_ASSUMPTIONS.galleryCards * POSTER_BYTES,
    );
    expect(pages.s3Requests).toBeCloseTo(1000 * VIEW_ASSUMPTIONS.galleryCards * PRICES.s3GetRequest, 12);
    // Worst case, every answer a CDN miss: the HTTP API's request and the route's Lambda, as for a view.
    expect(pages.apiOrigin).toBe(report.per1000Views.apiOrigin);
    expect(pages.apiOrigin).toBeGreaterThan(1000 * PRICES.httpApiRequest);
  });
});
