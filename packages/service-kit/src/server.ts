import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';
import { PROBLEM_CONTENT_TYPE } from './errors.ts';

export interface HttpServerOptions {
  /** Longest a request may take to arrive in full (Node's default: 300 s); 0 for no limit. */
  requestTimeoutMs?: number;
}

export interface HttpServer {
  server: Server;
  /**
   * Stops accepting, lets in-flight requests finish and closes every connection as soon as it
   * has nothing in flight; resolves once the last one is gone.
   */
  close(): Promise<void>;
}

// What Node's parser refuses never reaches express; these answer it as problem+json instead of
// Node's empty 400 (a malformed request line, bytes ≥ 0x80 in the URL, bad chunked encoding).
const clientErrors: Record<
  string,
  { status: number; title: string; code: string; detail: string }
> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    title: 'Request header fields too large',
    code: 'headers_too_large',
    detail: 'the request line and headers are larger than this service accepts (16 KB)',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    title: 'Request timeout',
    code: 'request_timeout',
    detail: 'the request did not arrive in full in time',
  },
};
const malformed = {
  status: 400,
  title: 'Bad request',
  code: 'malformed_request',
  detail: 'the request is not well-formed HTTP/1.1',
};

const reasons: Record<number, string> = {
  400: 'Bad Request',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/** Node's own default handler makes the same check: a response already under way is not ours. */
function responseStarted(socket: Socket): boolean {
  const current = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
  return current?.headersSent === true;
}

function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable || responseStarted(socket)) {
    socket.destroy();
    return;
  }
  answerRaw(socket, clientErrors[error.code ?? ''] ?? malformed);
}

/** A problem written straight to a socket that express never sees, then closed. */
function answerRaw(socket: Duplex, problem: (typeof clientErrors)[string]): void {
  const body = JSON.stringify({
    type: `urn:quadrants:problem:${problem.code}`,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    code: problem.code,
  });
  socket.end(
    `HTTP/1.1 ${problem.status} ${reasons[problem.status]}\r\n` +
      `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

/**
 * The HTTP server every service and every component test runs: malformed requests answered
 * as problem+json, and a close that never waits on an idle keep-alive connection.
 */
export function createHttpServer(app: Express, options: HttpServerOptions = {}): HttpServer {
  // No Host header is refused by the kit's app as problem+json, not by Node with an empty 400.
  const server = createServer({ requireHostHeader: false }, app);
  if (options.requestTimeoutMs !== undefined) server.requestTimeout = options.requestTimeoutMs;
  server.on('clientError', answerClientError);
  // CONNECT never reaches express: without a listener Node drops the connection unanswered.
  server.on('connect', (_req, socket: Duplex) =>
    answerRaw(socket, {
      status: 405,
      title: 'Method not allowed',
      code: 'method_not_allowed',
      detail: 'this service is not a proxy: CONNECT is not served',
    }),
  );

  // The responses still being written: on close, each must leave its connection shut.
  const inFlight = new Set<ServerResponse>();
  let closing = false;
  server.on('request', (_req, res: ServerResponse) => {
    if (closing) res.setHeader('Connection', 'close');
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });

  return {
    server,
    async close() {
      if (!server.listening) return;
      closing = true;
      const closed = once(server, 'close');
      server.close();
      server.closeIdleConnections();
      for (const res of inFlight) {
        // Not yet answered: Node closes the connection after this response.
        if (!res.headersSent) res.setHeader('Connection', 'close');
        // Already streaming with keep-alive: the connection goes idle once the response ends,
        // and Node marks it idle only after 'finish', hence the next turn of the loop.
        else res.once('finish', () => setImmediate(() => server.closeIdleConnections()));
      }
      await closed;
    },
  };
}

/** Starts `app` listening; rejects (with the port in the error) when the port is taken. */
export async function listenOn(
  app: Express,
  options: HttpServerOptions & { port: number; host: string },
): Promise<HttpServer> {
  const http = createHttpServer(app, options);
  http.server.listen(options.port, options.host);
  // once() rejects with the server's 'error' (EADDRINUSE, EACCES) if it comes first.
  await once(http.server, 'listening');
  return http;
}

/**
 * For a response that ended before its request body did (a stream cut short by shutdown):
 * reads and drops the rest of the body, so the connection closes cleanly instead of being
 * reset with the answer still unread, and closes it once the body ends, the client goes, or
 * `lingerMs` passes — what nginx calls a lingering close.
 */
export function dropRestOfBody(req: IncomingMessage, lingerMs = 2_000): void {
  const { socket } = req;
  const timer = setTimeout(() => socket.destroy(), lingerMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  req.once('end', () => socket.end());
  req.resume();
}
