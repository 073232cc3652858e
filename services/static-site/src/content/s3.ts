import { S3Client } from '@aws-sdk/client-s3';
import type { StoreConfig } from '../config.ts';

/**
 * An S3 client for the site's store. Credentials come from the SDK's provider chain. Against
 * an S3-compatible server (an endpoint is set) buckets are addressed by path, and checksums are
 * sent and checked only where the API requires them: the SDK's default streaming checksums
 * (aws-chunked bodies with trailers) are refused or stored corrupted by several such servers.
 */
export function createS3Client(config: StoreConfig): S3Client {
  const endpoint = config.AWS_ENDPOINT_URL_S3 ?? config.AWS_ENDPOINT_URL;
  const compatible = endpoint !== undefined;
  return new S3Client({
    region: config.AWS_REGION,
    ...(endpoint ? { endpoint } : {}),
    forcePathStyle: config.S3_FORCE_PATH_STYLE ?? compatible,
    ...(compatible
      ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
      : {}),
    // The sync retries on its own schedule, with a log line per attempt; the SDK's own
    // retries stay few so that an outage shows in the log within seconds.
    maxAttempts: 2,
  });
}

/** `s3://bucket/prefix`, as log lines name the source. */
export function sourceUrl(config: Pick<StoreConfig, 'S3_BUCKET' | 'S3_PREFIX'>): string {
  return `s3://${config.S3_BUCKET}/${config.S3_PREFIX}`;
}

/**
 * What a failure of the store means, in words: an S3 error's code and HTTP status, with a hint
 * for the statuses that are configuration (a HEAD request's error has no body, so no code).
 */
export function storeErrorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status === undefined) return error.message;
  const code =
    error.name && error.name !== 'Unknown' && error.name !== 'UnknownError'
      ? `${error.name}, `
      : '';
  const hint =
    status === 403
      ? ': the store refused the credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)'
      : status === 404
        ? ': no such bucket (S3_BUCKET), or the endpoint is not an S3 API'
        : '';
  return `the store answered ${code}HTTP ${status}${hint}`;
}
