import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import { afterAll, describe, expect, inject, test } from 'vitest';
import { type Driver, type Replica, selectTarget } from '../src/targets/index.ts';
import { until } from '../src/wait.ts';

// Created at load time, as in the other suites. A driver does nothing until it is asked.
const driver: Driver = selectTarget().driver(inject('targetState'));
afterAll(() => driver.close());

/** One file to upload: its bytes, the type it is declared as, and their SHA-256 (its id). */
interface Sample {
  name: string;
  type: string;
  bytes: Buffer;
  sha256: string;
}

/** What POST /uploads and GET /uploads/{id}/meta answer. */
interface Upload {
  id: string;
  name: string;
  size: number;
  type: string;
  createdAt: string;
  fields: Record<string, string>;
}

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

const sample = (name: string, type: string, bytes: Buffer): Sample => ({
  name,
  type,
  bytes,
  sha256: createHash('sha256').update(bytes).digest('hex'),
});

/** Random hex as text/plain: `size` bytes, never seen before. */
const textSample = (name: string, size: number) =>
  sample(
    name,
    'text/plain',
    Buffer.from(
      randomBytes(Math.ceil(size / 2))
        .toString('hex')
        .slice(0, size),
    ),
  );

/** A real PNG of `side`×`side` random RGB pixels: binary bytes that content sniffing accepts. */
function pngSample(name: string, side = 16): Sample {
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([head, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits per channel, RGB, deflate, no filter, no interlace
  // Each row: filter type 0, then the row's pixels.
  const rows = Buffer.concat(
    Array.from({ length: side }, () => Buffer.concat([Buffer.from([0]), randomBytes(side * 3)])),
  );
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
  return sample(name, 'image/png', png);
}

/** Text and PNGs, small to a few hundred kB, each unique to this run. */
const samples = (tag: string, count: number): Sample[] =>
  Array.from({ length: count }, (_, i) =>
    i % 3 === 2
      ? pngSample(`${tag}-${i}.png`, 8 + 8 * i)
      : textSample(`${tag}-${i}.txt`, 100 + 37_000 * i),
  );

/**
 * POST /uploads with `file` as its one file part and `fields` beside it, bounded: a hung
 * replica shows as a timeout here, never as a hung test.
 */
async function upload(
  url: string,
  file: Sample,
  fields: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<Answer> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([file.bytes], { type: file.type }), file.name);
  const response = await fetch(`${url}/uploads`, {
    method: 'POST',
    body: form,
    headers,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

/** Uploads `file` as new content: 201, its id the SHA-256 of its bytes. */
async function store(url: string, file: Sample, fields: Record<string, string> = {}) {
  const answer = await upload(url, file, fields);
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  expect(answer.body).toMatchObject({ id: file.sha256, size: file.bytes.length, type: file.type });
  expect(answer.headers.get('location')).toBe(`/uploads/${file.sha256}`);
  return answer.body as unknown as Upload;
}

/** GET /uploads/{id} from `url`: 200, the declared type, its ETag, and exactly `file`'s bytes. */
async function expectStored(url: string, file: Sample) {
  const response = await fetch(`${url}/uploads/${file.sha256}`, {
    signal: AbortSignal.timeout(30_000),
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  expect(response.status, `GET /uploads/${file.sha256} (${file.name}) on ${url}`).toBe(200);
  expect(response.headers.get('content-type')).toMatch(new RegExp(`^${file.type}\\b`));
  expect(response.headers.get('etag')).toBe(`"${file.sha256}"`);
  expect(bytes.length).toBe(file.bytes.length);
  expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
  expect(bytes.equals(file.bytes)).toBe(true);
}

async function metaOf(url: string, id: string): Promise<Upload> {
  const response = await fetch(`${url}/uploads/${id}/meta`, {
    signal: AbortSignal.timeout(15_000),
  });
  expect(response.status, `GET /uploads/${id}/meta on ${url}`).toBe(200);
  return (await response.json()) as Upload;
}

/** The two replicas the tests below spread their requests over. */
async function twoReplicas(): Promise<[Replica, Replica]> {
  const [first, second] = await driver.waitForReplicas('uploads');
  if (!first || !second) throw new Error('uploads needs two replicas for this test');
  return [first, second];
}

/** Uploads `files` alternately to each replica; the metadata each answered, by id. */
async function storeSpread(replicas: Replica[], files: Sample[]): Promise<Map<string, Upload>> {
  const stored = new Map<string, Upload>();
  for (const [i, file] of files.entries()) {
    const replica = replicas[i % replicas.length] as Replica;
    stored.set(file.sha256, await store(replica.url, file, { e2e: file.name }));
  }
  return stored;
}

/** Every file whole on every replica, with the metadata its upload answered. */
async function expectAllStored(replicas: Replica[], files: Sample[], stored: Map<string, Upload>) {
  for (const replica of replicas) {
    for (const file of files) {
      await expectStored(replica.url, file);
      expect(await metaOf(replica.url, file.sha256)).toEqual(stored.get(file.sha256));
    }
  }
}

const totalBytes = (files: Sample[]) => files.reduce((n, f) => n + f.bytes.length, 0);

describe(`uploads on the ${inject('target')} target`, () => {
  test('a file uploaded to one replica is read whole from the other', async () => {
    const [first, second] = await twoReplicas();
    for (const [from, to] of [
      [first, second],
      [second, first],
    ] as const) {
      for (const file of [textSample('across.txt', 5_000), pngSample('across.png', 24)]) {
        const stored = await store(from.url, file, { from: 'the other replica' });
        await expectStored(to.url, file);
        expect(await metaOf(to.url, file.sha256)).toEqual(stored);
      }
    }
  });

  test('files uploaded before every replica is killed are all read whole after, from each new replica', async () => {
    const replicas = await twoReplicas();
    const files = samples('killed', 12);
    const stored = await storeSpread(replicas, files);
    try {
      // Every replica at once, without warning: nothing of the service survives but the volume.
      await Promise.all(replicas.map((replica) => driver.killReplica('uploads', replica)));
    } finally {
      // Back to full strength even when a kill failed, so no other test starts short.
      await driver.waitForReplicas('uploads');
    }
    const after = await twoReplicas();
    await expectAllStored(after, files, stored);
    console.log(
      `uploads e2e, every replica killed: ${files.length} of ${files.length} files ` +
        `(${totalBytes(files)} bytes) read whole, hashes verified, on ${after.length} replicas ` +
        'after (the files are on the shared volume)',
    );
  });

  test('files uploaded before every replica is deleted (scaled to zero) are all there on new replicas', async () => {
    const replicas = await twoReplicas();
    const files = samples('deleted', 6);
    const stored = await storeSpread(replicas, files);
    await driver.scale('uploads', 0);
    try {
      expect(await driver.replicas('uploads')).toEqual([]);
    } finally {
      await driver.scale('uploads', replicas.length);
    }
    const after = await twoReplicas();
    // New containers, pods or processes, not the old ones started again.
    for (const replica of after) expect(replicas.map((r) => r.id)).not.toContain(replica.id);
    await expectAllStored(after, files, stored);
    console.log(
      `uploads e2e, every replica deleted: ${files.length} of ${files.length} files read whole ` +
        `on ${after.length} new replicas`,
    );
  });

  test('the same bytes sent to both replicas at the same moment give one id and one object', async () => {
    const replicas = await twoReplicas();
    // Bounded: 6 rounds of two uploads, each round new content of 256 kB, so that both
    // requests are still arriving while the other is written.
    const rounds = 6;
    for (let round = 0; round < rounds; round++) {
      const file = textSample(`race-${round}.txt`, 256 * 1024);
      const fields = { round: String(round) };
      const answers = await Promise.all(replicas.map((r) => upload(r.url, file, fields)));
      // Both succeed; exactly one of them created the object.
      expect(
        answers.map((a) => a.status).toSorted(),
        JSON.stringify(answers.map((a) => a.body)),
      ).toEqual([200, 201]);
      for (const answer of answers) expect(answer.body.id).toBe(file.sha256);
      // One object: every replica reads the same bytes and the same metadata (one createdAt),
      // the metadata of the upload that created it, which the other's 200 answered too.
      const created = answers.find((a) => a.status === 201)?.body;
      for (const replica of replicas) {
        await expectStored(replica.url, file);
        expect(await metaOf(replica.url, file.sha256)).toEqual(created);
      }
      for (const answer of answers) expect(answer.body).toEqual(created);
    }
    console.log(
      `uploads e2e, the same bytes to both replicas at once: ${rounds} of ${rounds} rounds ` +
        'gave one id, one 201 and one 200, and one object',
    );
  });

  test('an upload cut by the kill of its replica leaves nothing visible: the same bytes sent again are new (201)', async () => {
    const [victim, other] = await twoReplicas();
    const file = textSample('cut.txt', 1024 * 1024);
    const boundary = `e2e-${randomUUID()}`;
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\n` +
        `Content-Type: ${file.type}\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const body = Buffer.concat([head, file.bytes, tail]);
    // The body in 64 kB pieces, 20 ms apart (about 0.3 s for the whole), held before the last
    // piece until the request has failed: it never arrives whole.
    const piece = 64 * 1024;
    let sent = 0;
    let sentBeforeKill = 0;
    let outcome: number | string;
    const hold = Promise.withResolvers<void>();
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent + piece >= body.length) await hold.promise;
        if (sent >= body.length) return controller.close();
        controller.enqueue(body.subarray(sent, sent + piece));
        sent += piece;
        await new Promise((resolve) => setTimeout(resolve, 20));
      },
    });
    const cut = fetch(`${victim.url}/uploads`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: stream,
      duplex: 'half',
      signal: AbortSignal.timeout(60_000),
    } as RequestInit).then(
      (response) => response.status,
      (error: Error) => error.name,
    );
    try {
      // Bounded: the service has most of the file, in its temporary file, when it is killed.
      await until(
        'the body but its last piece to be sent',
        async () => (sent + piece >= body.length ? true : undefined),
        { timeoutMs: 30_000, intervalMs: 20 },
      );
      sentBeforeKill = sent;
      await driver.killReplica('uploads', victim);
      // Still held until the request has failed: where a kill lets the process drain first (a
      // pod deleted with no grace period still gets SIGTERM, and SIGKILL a moment later), the
      // rest of the body must not reach it meanwhile. Bounded by the request's own timeout.
      outcome = await cut;
    } finally {
      hold.resolve();
      await driver.waitForReplicas('uploads');
    }
    // The request failed (a network error, a timeout, or a 5xx from a proxy); never a success.
    expect([200, 201]).not.toContain(outcome);
    const after = await twoReplicas();
    for (const replica of after) {
      const response = await fetch(`${replica.url}/uploads/${file.sha256}`, {
        signal: AbortSignal.timeout(15_000),
      });
      expect(response.status).toBe(404);
      await response.arrayBuffer();
    }
    // Sent again in full, to the replica that was not killed: new content, so nothing of the
    // cut upload was ever committed.
    await store(other.url, file);
    for (const replica of after) await expectStored(replica.url, file);
    console.log(
      `uploads e2e, a replica killed mid-upload (${sentBeforeKill} of ${body.length} bytes sent, ` +
        `the request ended with ${outcome}): nothing visible after, the same bytes sent again answered 201`,
    );
  });

  test('an Idempotency-Key used on one replica is replayed by the other (the keys are on the shared volume)', async () => {
    const [first, second] = await twoReplicas();
    const file = textSample('keyed.txt', 2_000);
    const key = randomUUID();
    const original = await upload(first.url, file, {}, { 'idempotency-key': key });
    expect(original.status, JSON.stringify(original.body)).toBe(201);
    const replay = await upload(second.url, file, {}, { 'idempotency-key': key });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(original.body);
    // Another payload under the same key is refused, on either replica.
    const other = await upload(
      second.url,
      textSample('other.txt', 2_000),
      {},
      {
        'idempotency-key': key,
      },
    );
    expect(other.status, JSON.stringify(other.body)).toBe(422);
    expect(other.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(other.body.code).toBe('idempotency_key_reused');
  });
});
