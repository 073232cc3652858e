// The slice of s3rver 3.7 (an S3 server in Node, for tests and the embedded default) used here;
// it ships no types of its own.
declare module 's3rver' {
  import type { AddressInfo } from 'node:net';

  interface S3rverOptions {
    address?: string;
    port?: number;
    /** Where buckets and objects are kept, as files. */
    directory: string;
    silent?: boolean;
    resetOnClose?: boolean;
    configureBuckets?: { name: string }[];
  }

  export default class S3rver {
    constructor(options: S3rverOptions);
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
    /** The listening server, once run() resolved. */
    httpServer?: import('node:http').Server;
  }
}
