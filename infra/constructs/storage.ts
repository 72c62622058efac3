import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { NOTIFYING_PREFIXES, PROCESSED_PREFIX, REQUEUE_PREFIX, UPLOADS_PREFIX } from '#core/object-keys';
import { MAX_RECEIVE_COUNT, visibilityTimeoutSeconds } from '#core/delivery';
import type { ResourceUse } from './lambda-defaults';

/**
 * Every S3 action the platform's functions take (HeadObject is covered by GetObject). A task's original is read by
 * its version (GetObjectVersion) and a replayed version deleted (DeleteObjectVersion): docs/worker.md, "Single-use
 * uploads".
 */
export const OBJECT_ACTIONS = [
  's3:GetObject',
  's3:GetObjectVersion',
  's3:PutObject',
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  's3:AbortMultipartUpload',
  's3:ListMultipartUploadParts',
] as const;
export type ObjectAction = (typeof OBJECT_ACTIONS)[number];
export type ObjectPrefix = typeof UPLOADS_PREFIX | typeof PROCESSED_PREFIX | typeof REQUEUE_PREFIX;
/** Which object actions a function may take under which key prefixes. */
export type ObjectAccess = Partial<Record<ObjectPrefix, readonly ObjectAction[]>>;

export interface StorageProps {
  /** Origins allowed to upload and download straight from the browser (bucket CORS); more with allowBrowserOrigins. */
  readonly allowedOrigins: readonly string[];
  /** The worker's timeout: the queue's visibility timeout is derived from it. */
  readonly workerTimeout: Duration;
  /**
   * What `cdk destroy` does to the bucket. DESTROY also empties it first.
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
   */
  readonly removalPolicy?: RemovalPolicy;
  /** @default 1 day */
  readonly abortIncompleteMultipartUploadAfter?: Duration;
  /** How long a replaced or deleted object version can still be restored. @default 30 days */
  readonly noncurrentVersionExpiration?: Duration;
}

/**
 * The private video bucket, the upload queue and its DLQ. Only `uploads/` and `requeue/` notify the queue, with
 * `s3:ObjectCreated:*` because multipart uploads emit CompleteMultipartUpload, not Put.
 */
export class Storage extends Construct {
  readonly bucket: s3.Bucket;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  /** The queue's visibility timeout: how long one receive of a message keeps it from the other consumers. */
  readonly visibilityTimeout: Duration;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;

    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // S3-managed keys: encrypted at rest at no cost and without KMS request charges on every video byte;
      // access control is IAM + presigned URLs, so a customer key would add no separation of duties here.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Two functions delete under uploads/ and processed/: a wrong delete (or a second upload replacing the
      // original) is undone from the previous version for 30 days, after which it expires (docs/operations.md).
      versioned: true,
      // Objects live as long as their task; abandoned multipart parts (invisible, but billed), replaced or
      // deleted versions after 30 days, and requeue markers the worker did not remove expire.
      lifecycleRules: [
        {
          id: 'abort-incomplete-multipart-uploads',
          enabled: true,
          abortIncompleteMultipartUploadAfter: props.abortIncompleteMultipartUploadAfter ?? Duration.days(1),
        },
        {
          id: 'expire-noncurrent-versions',
          enabled: true,
          noncurrentVersionExpiration: props.noncurrentVersionExpiration ?? Duration.days(30),
          expiredObjectDeleteMarker: true,
        },
        { id: 'expire-requeue-markers', enabled: true, prefix: REQUEUE_PREFIX, expiration: Duration.days(1) },
      ],
      removalPolicy,
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
    });

    if (props.allowedOrigins.length > 0) this.allowBrowserOrigins(props.allowedOrigins);
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Server access logs are not kept: every object is written or read through a presigned URL that the API issued for one task, and the API access log records who asked for it. CloudTrail S3 data events can be enabled when object-level auditing is required.',
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.visibilityTimeout = Duration.seconds(visibilityTimeoutSeconds(props.workerTimeout.toSeconds()));
    this.queue = new sqs.Queue(this, 'UploadsQueue', {
      // SQS-managed SSE: S3 can publish to it without a customer KMS key policy.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: this.visibilityTimeout,
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });

    // Uploads, and the markers that put a task back on the queue from inside the VPC (docs/worker.md).
    for (const prefix of NOTIFYING_PREFIXES)
      this.bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SqsDestination(this.queue), {
        prefix,
      });
  }

  /**
   * s3:ListBucket, so that HeadObject on a missing key answers 404 rather than 403: for a function that must
   * tell "not uploaded" from a failure (the sweeper's recovery). It reveals key names, which that function
   * already reads from the database.
   */
  listUse(): ResourceUse {
    return {
      environment: { BUCKET_NAME: this.bucket.bucketName },
      grant: (fn) => {
        iam.Grant.addToPrincipal({
          grantee: fn,
          actions: ['s3:ListBucket'],
          resourceArns: [this.bucket.bucketArn],
        });
      },
    };
  }

  /**
   * UPLOAD_QUEUE_URL (and the bucket its messages name) and sqs:SendMessage on the upload queue only, which also
   * authorizes SendMessageBatch: for the functions outside the VPC that put an upload back on the queue
   * (docs/worker.md, "Re-enqueueing"). Nothing to read, delete or configure.
   */
  queueSendUse(): ResourceUse {
    return {
      environment: { UPLOAD_QUEUE_URL: this.queue.queueUrl, BUCKET_NAME: this.bucket.bucketName },
      grant: (fn) => {
        iam.Grant.addToPrincipal({
          grantee: fn,
          actions: ['sqs:SendMessage'],
          resourceArns: [this.queue.queueArn],
        });
      },
    };
  }

  /** Lets pages from these origins post uploads and fetch downloads (presigned) straight from the bucket. */
  allowBrowserOrigins(origins: readonly string[]): void {
    this.bucket.addCorsRule({
      allowedMethods: [s3.HttpMethods.POST, s3.HttpMethods.PUT, s3.HttpMethods.GET],
      allowedOrigins: [...origins],
      allowedHeaders: ['*'],
      // Multipart and resumable clients read each part's ETag.
      exposedHeaders: ['ETag'],
      maxAge: 3000,
    });
  }

  /**
   * Listing the unfinished multipart uploads (a bucket-level action): how a cancel, a fresh upload, an account purge
   * and the sweeper find the uploads to abort; the code lists under `uploads/` only. IAM cannot bound this listing
   * to a prefix: `s3:prefix` is in the request context of ListBucket and ListBucketVersions only (the Service
   * Authorization Reference for Amazon S3), so a condition on it is always false here and denies every listing
   * (test/infra/iam-conditions.test.ts). What the listing reveals elsewhere is keys and upload ids of unfinished
   * uploads; acting on one (AbortMultipartUpload, ListMultipartUploadParts) stays bounded by {@link objectUse}.
   */
  multipartListingUse(): ResourceUse {
    return {
      environment: { BUCKET_NAME: this.bucket.bucketName },
      grant: (fn) => {
        iam.Grant.addToPrincipal({
          grantee: fn,
          actions: ['s3:ListBucketMultipartUploads'],
          resourceArns: [this.bucket.bucketArn],
        });
      },
    };
  }

  /**
   * BUCKET_NAME plus exactly the object actions under exactly the prefixes given. Reads cover HeadObject;
   * without s3:ListBucket a missing object answers 403 rather than 404. Two readers ask about a missing object:
   * the sweeper, which gets its 404 through {@link listUse}, and the worker's source server, which handles
   * both alike (the attempt fails and the message is retried).
   */
  objectUse(access: ObjectAccess): ResourceUse {
    return {
      environment: { BUCKET_NAME: this.bucket.bucketName },
      grant: (fn) => {
        const bucketLogicalId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
        for (const [prefix, actions] of Object.entries(access)) {
          iam.Grant.addToPrincipal({
            grantee: fn,
            actions: [...actions],
            resourceArns: [this.bucket.arnForObjects(`${prefix}*`)],
          });
          Validations.of(fn).acknowledge({
            id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${prefix}*]`,
            reason: `Object keys are per task (${prefix}{taskId}/...): the wildcard is the key prefix, and the actions are only ${actions.join(', ')}.`,
          });
        }
      },
    };
  }
}
