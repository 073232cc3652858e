// autocannon ships no typings and @types/autocannon is not in the catalog; this is the part we use.
declare module 'autocannon' {
  /** A request as autocannon builds it. */
  interface RequestOptions {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
  }

  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    pipelining?: number;
    /** Requests to make in all; autocannon ends once each is answered. Overrides duration. */
    amount?: number;
    headers?: Record<string, string>;
    /** Each built by setupRequest, called before every one is sent (a fresh key, a body). */
    requests?: (RequestOptions & { setupRequest?(request: RequestOptions): RequestOptions })[];
  }

  interface Result {
    requests: { total: number };
    /** Seconds. */
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
  }

  /** The running load: an event emitter that is also a promise of its result. */
  interface Instance extends PromiseLike<Result> {
    on(
      event: 'response',
      listener: (
        client: unknown,
        statusCode: number,
        bytes: number,
        responseTimeMs: number,
      ) => void,
    ): this;
  }

  function autocannon(options: Options): Instance;
  export default autocannon;
}
