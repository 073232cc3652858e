// s3rver ships no types; this is the part bench/static-site uses.
declare module 's3rver' {
  import type { AddressInfo } from 'node:net';

  interface S3rverOptions {
    address?: string;
    /** 0 for a free port; run() resolves with the one taken. */
    port?: number;
    /** Where buckets and objects are kept, as files. */
    directory: string;
    silent?: boolean;
  }

  export default class S3rver {
    constructor(options: S3rverOptions);
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }
}
