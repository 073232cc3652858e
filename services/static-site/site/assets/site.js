// The landing page's one script (an ES module, loaded from a file: the page's CSP allows no inline
// script). It points each service's links at the same target this page is served from and shows
// whether each service is ready:
//
//   pnpm start      static-site on 8083   the others on 808N
//   docker-compose  static-site on 18083  the others on 1808N
//   kind            static-site on 30083  the others on 3008N (NodePorts)
//
// N is the service's digit: 1 transactions, 2 uploads, 3 static-site, 4 geo, 5 basket.
//
// On a target's base port (8080 under pnpm start) the page comes through the one origin (the
// gateway): each service is then at /api/<name>/ on this same origin, and every dot is real.
//
// The status comes from each service's /readyz. The other services send no CORS headers (their
// kit sets none, and helmet's Cross-Origin-Resource-Policy is same-origin), so the browser hides
// their answer from this page, and a hidden answer looks the same as a service that is not
// running. Such a service shows "link only": its links work, its state is not known here. Only a
// service that allows this origin, and this page's own server, get a real dot.

/** The targets, by the port static-site has on each; a sibling's port is base + its digit. */
export const TARGETS = [
  { name: 'pnpm start', base: 8080 },
  { name: 'docker-compose', base: 18080 },
  { name: 'kind', base: 30080 },
];

/** static-site's own digit. */
export const OWN_DIGIT = 3;

/** The target a page served on `port` belongs to, or undefined on any other port. */
export function targetOf(port) {
  const number = Number(port);
  return TARGETS.find((target) => target.base + OWN_DIGIT === number);
}

/** The target whose one origin (the gateway, on its base port) a page on `port` came through. */
export function gatewayTargetOf(port) {
  const number = Number(port);
  return TARGETS.find((target) => target.base === number);
}

/** The port of the service with `digit` beside a page on `port`; undefined on an unknown port. */
export function siblingPort(port, digit) {
  const target = targetOf(port);
  return target === undefined ? undefined : target.base + digit;
}

/**
 * What a /readyz probe says: `ready` (200), `unready` (any other answer it may read),
 * or `hidden` (no answer the page may read: blocked by CORS, refused, or timed out).
 */
export async function probe(url, { fetchImpl = fetch, timeoutMs = 3000 } = {}) {
  try {
    const response = await fetchImpl(url, {
      cache: 'no-store',
      credentials: 'omit',
      signal: AbortSignal.timeout(timeoutMs),
    });
    return response.ok ? 'ready' : 'unready';
  } catch {
    return 'hidden';
  }
}

const LABELS = {
  checking: 'checking…',
  ready: 'ready',
  unready: 'not ready',
  down: 'not answering',
  hidden: 'link only',
};

const TITLES = {
  ready: '/readyz answered 200',
  unready: '/readyz answered, and not 200: the service runs but should get no traffic now',
  down: 'this page could not reach its own /readyz',
  hidden:
    'The browser hides the answer from this page (the service sends no CORS headers), so it cannot tell a running service from a stopped one. The links still work.',
};

function show(element, state) {
  element.classList.remove('checking', 'ready', 'unready', 'down', 'hidden');
  element.classList.add(state);
  element.textContent = LABELS[state];
  if (TITLES[state]) element.title = TITLES[state];
}

/** Points a card's links at the service beside this page, on this page's host. */
function wireLinks(card, origin) {
  for (const link of card.querySelectorAll('a[data-link]')) {
    const path = link.getAttribute('data-path') ?? '/';
    link.href = origin === undefined ? path : origin + path;
  }
}

async function checkAll(cards) {
  await Promise.all(
    cards.map(async ({ status, origin, own }) => {
      if (!status) return;
      status.classList.add('checking');
      const state = await probe(`${origin ?? ''}/readyz`);
      show(status, own && state === 'hidden' ? 'down' : state);
    }),
  );
}

function formatBytes(bytes) {
  return bytes < 1024 * 1024
    ? `${(bytes / 1024).toFixed(1)} KiB`
    : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** The release this replica serves, from its own /_static/release; nothing when there is none. */
async function showRelease() {
  let release;
  try {
    const response = await fetch('/_static/release', {
      cache: 'no-store',
      signal: AbortSignal.timeout(3000),
    });
    if (!response.ok) return;
    release = await response.json();
  } catch {
    return;
  }
  const synced = release.syncedAt
    ? new Date(release.syncedAt).toISOString().replace('.000Z', 'Z')
    : '?';
  const text = `release ${release.release} · s3://${release.bucket}/${release.prefix} · ${release.objects} objects, ${formatBytes(release.bytes)} · synced ${synced}`;
  const box = document.querySelector('[data-release]');
  if (box) {
    box.textContent = text;
    box.hidden = false;
  }
  const footer = document.querySelector('[data-footer-release]');
  if (footer) footer.textContent = `This copy: release ${release.release}, synced ${synced}.`;
}

function start() {
  const { protocol, hostname, port } = window.location;
  const gateway = gatewayTargetOf(port);
  const target = gateway ?? targetOf(port);
  // URL's hostname keeps an IPv6 address's brackets already; location's does too, but be sure.
  const host = hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname;

  const note = document.getElementById('target-note');
  if (note) {
    note.textContent = gateway
      ? `This page comes through ${gateway.name}'s one origin (port ${port}): each service below is under /api/<name>/ on it, so every status is that service's own /readyz.`
      : target === undefined
        ? `This page is served on port ${port || '(default)'}, which is none of the targets below, so the links assume pnpm start's ports (808N) on ${hostname}.`
        : `This page is served by ${target.name} (port ${port}): the links below point at the services beside it, ports ${target.base + 1}–${target.base + 5}.`;
  }
  for (const row of document.querySelectorAll('tr[data-target]')) {
    if (target !== undefined && Number(row.getAttribute('data-target')) === target.base)
      row.classList.add('here');
  }

  const base = target === undefined ? TARGETS[0].base : target.base;
  const cards = [...document.querySelectorAll('[data-port]')].map((card) => {
    const digit = Number(card.getAttribute('data-port'));
    const own = digit === OWN_DIGIT;
    // This page's own server is asked on this origin, whatever its port; behind the one
    // origin, so is every other service, under its prefix.
    const service = card.getAttribute('data-service');
    const origin = own
      ? undefined
      : gateway
        ? `/api/${service}`
        : `${protocol}//${host}:${base + digit}`;
    wireLinks(card, origin);
    return { status: card.querySelector('[data-status]'), origin, own };
  });

  const refresh = () => {
    if (document.visibilityState === 'visible') void checkAll(cards);
  };
  refresh();
  void showRelease();
  // Every 15 s while the tab is visible, so a service stopped on stage shows within seconds.
  setInterval(refresh, 15_000);
  document.addEventListener('visibilitychange', refresh);
}

if (typeof document !== 'undefined') {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
}
