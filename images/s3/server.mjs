// quadrants/s3:dev's server: s3rver (an S3 server in Node, patched by this repository so that
// paginated listings work on OpenSSL 3) behind the command line and the credentials of the image
// it stands in for, chrislusf/seaweedfs (docs/decisions/0010-object-store.md):
//
//   [-flag=value …] mini [-flag=value …]     as `weed mini`; the flags read here:
//     -dir=/data         where buckets and objects are kept (a volume)
//     -s3.port=8333      the S3 API's port (compose and k8s/ pass 9000)
//     -ip.bind=0.0.0.0   the address it listens on
//   Other `weed` flags (-logtostderr, -ip, …) are accepted and mean nothing here.
//
//   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY   the key pair of the one identity, as SeaweedFS makes
//                                              its admin identity from them. A request signed with
//                                              another access key id is refused (InvalidAccessKeyId),
//                                              and so is one that is not signed at all (AccessDenied).
//                                              s3rver does not compute SigV4 signatures, so a wrong
//                                              secret with the right key id is NOT refused: this image
//                                              is for loopback and CI only, never for a network others
//                                              reach (README.md).
//   S3_BUCKET                                  a bucket made at start when missing (optional).
//
// Unlike SeaweedFS it refuses to start without a key pair, rather than serve anyone. SIGTERM and
// SIGINT close the listener and the open connections; the data is on disk after every request.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const S3rver = require('s3rver');
const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account.js');

function fail(message) {
  process.stderr.write(`s3: ${message}\n`);
  process.exit(2);
}

const flags = { dir: '/data', 's3.port': '8333', 'ip.bind': '0.0.0.0' };
let command;
for (const arg of process.argv.slice(2)) {
  const flag = /^--?([A-Za-z0-9_.]+)(?:=(.*))?$/.exec(arg);
  if (flag) {
    if (flag[1] in flags) flags[flag[1]] = flag[2] ?? '';
  } else if (command === undefined) {
    command = arg;
  } else {
    fail(`unexpected argument ${JSON.stringify(arg)}`);
  }
}
if (command !== 'mini') {
  fail(`the command must be "mini" (as in weed mini), not ${JSON.stringify(command ?? '')}`);
}
const port = Number(flags['s3.port']);
if (!Number.isInteger(port) || port < 1 || port > 65_535)
  fail(`-s3.port=${flags['s3.port']} is no port`);

const accessKeyId = process.env.AWS_ACCESS_KEY_ID ?? '';
const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY ?? '';
if (accessKeyId === '' || secretAccessKey === '') {
  fail('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set: the key pair the S3 API accepts');
}
// s3rver's one account accepts S3RVER/S3RVER out of the box: that pair goes, this one comes.
DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
DUMMY_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey);

const bucket = process.env.S3_BUCKET?.trim();
const server = new S3rver({
  address: flags['ip.bind'] || '0.0.0.0',
  port,
  directory: flags.dir,
  silent: true,
  // Path-style addressing only, as SeaweedFS answers by default: s3rver would otherwise take a
  // Host that is a name (static-site-s3 on the compose network) for a bucket (CNAME style).
  vhostBuckets: false,
  configureBuckets: bucket ? [{ name: bucket }] : [],
});
// s3rver serves unsigned requests as anonymous ones, to anyone; SeaweedFS with an identity
// refuses them. First in the chain, before s3rver's own middleware.
server.middleware.unshift(async (ctx, next) => {
  const query = ctx.query;
  const signed =
    ctx.get('authorization') !== '' || 'X-Amz-Algorithm' in query || 'Signature' in query;
  if (signed) return next();
  ctx.status = 403;
  ctx.type = 'application/xml';
  ctx.body =
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>' +
    '<Message>Anonymous requests are not allowed: sign them with the configured key</Message></Error>';
});
const address = await server.run();
process.stderr.write(
  `s3: serving the S3 API on ${address.address}:${address.port}, data in ${flags.dir}${bucket ? `, bucket ${bucket}` : ''}\n`,
);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`s3: ${signal}: stopping\n`);
    const closed = server.close();
    // Keep-alive connections would hold close() open; every request already reached the disk.
    server.httpServer?.closeAllConnections();
    closed.then(
      () => process.exit(0),
      (error) => {
        process.stderr.write(`s3: close failed: ${error.message}\n`);
        process.exit(1);
      },
    );
  });
}
