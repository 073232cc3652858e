// @ts-check
// The dashboard's page: follows the board (GET /api/board/events, one whole view per event) and
// draws the grid again from each view; a button POSTs /api/faults. Everything shown is set as
// text, never as HTML. The view's shape is BoardView in src/board.ts.

/**
 * @typedef {{ cell: string, figure: string, kept: number, of: number }} Observation
 * @typedef {{ fault: string, expected: string, unsupported?: string }} FaultView
 * @typedef {{ fault: string, state: string, step: string, seconds?: number, expected: string,
 *   cell?: string, asExpected?: boolean, error?: string, before?: Observation, after?: Observation }} FaultRun
 * @typedef {{ name: string, service: string, quadrant: string, variant: string, keeps: string,
 *   active: boolean, faults: FaultView[], replicas: { id: string, ready: boolean, detail: string }[],
 *   store: string, witness?: Observation, witnessError?: string, last?: FaultRun }} RowView
 * @typedef {{ rate: number, requests: number, errors: number, errorRate: number,
 *   rps: Record<string, number>, seconds: number }} LoadView
 * @typedef {{ target: string, origin: string, busy?: { row: string, fault: string }, rows: RowView[],
 *   load?: LoadView, columns: string[], observed: Record<string, Record<string, string>> }} BoardView
 */

/**
 * @param {string} tag
 * @param {{ className?: string, text?: string, attrs?: Record<string, string> }} [props]
 * @param {(Node | null)[]} [children]
 */
function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) node.setAttribute(name, value);
  for (const child of children) if (child) node.append(child);
  return node;
}

/** @param {string} id */
function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node;
}

/** @param {string} row @param {string} fault */
async function perform(row, fault) {
  const res = await fetch('/api/faults', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ row, fault }),
  });
  if (!res.ok) {
    const problem = await res.json().catch(() => ({}));
    byId('busy').textContent = `${fault} on ${row}: ${problem.detail ?? res.status}`;
  }
}

const slug = (/** @type {string} */ name) => name.replace(/[^a-z0-9]+/gi, '-');

/** @param {FaultRun} run */
function lastRun(run) {
  if (run.state === 'running') return el('span', { text: `${run.fault}: ${run.step}…` });
  if (run.state === 'failed') {
    return el('span', { className: 'failed', text: `${run.fault} failed: ${run.error}` });
  }
  const cls = run.asExpected ? (run.cell === 'lost' ? 'lost' : 'kept') : 'unexpected';
  const expected = run.asExpected ? '' : ` (the table says ${run.expected})`;
  return el('span', {}, [
    document.createTextNode(`${run.fault}: `),
    el('span', { className: cls, text: `${run.cell}${expected}` }),
    document.createTextNode(
      ` in ${run.seconds} s. Before: ${run.before?.figure ?? '?'}; after: ${run.after?.figure ?? '?'}.`,
    ),
  ]);
}

/** @param {RowView} row @param {boolean} busy */
function cell(row, busy) {
  const heading = `cell-${slug(row.name)}`;
  const witness = row.witness;
  const figureText = row.active
    ? row.witnessError
      ? `unreachable: ${row.witnessError}`
      : (witness?.figure ?? '…')
    : 'standby: the other variant of the store runs; a button here switches to this one';
  const short =
    row.active && (row.witnessError !== undefined || (witness && witness.kept < witness.of));
  const buttons = row.faults.map((f) => {
    const button = el('button', {
      text: f.fault,
      attrs: { type: 'button', title: f.unsupported ?? `expected: ${f.expected}` },
    });
    if (busy || f.unsupported) button.setAttribute('disabled', '');
    button.addEventListener('click', () => void perform(row.name, f.fault));
    return button;
  });
  return el(
    'section',
    { className: row.active ? 'cell' : 'cell standby', attrs: { 'aria-labelledby': heading } },
    [
      el('h2', {}, [
        el('span', { className: 'quadrant', text: row.quadrant, attrs: { 'aria-hidden': 'true' } }),
        el('span', { text: row.name, attrs: { id: heading } }),
      ]),
      el('p', { className: 'keeps', text: `keeps ${row.keeps}` }),
      el('p', {
        className: short ? 'figure short' : 'figure',
        text: figureText,
        attrs: { 'data-figure': '' },
      }),
      el(
        'ul',
        { className: 'replicas', attrs: { 'aria-label': 'replicas' } },
        row.replicas.map((r) =>
          el('li', {
            className: r.ready ? 'ready' : 'unready',
            text: `${r.id} ${r.ready ? 'ready' : r.detail}`,
          }),
        ),
      ),
      el('p', { className: 'store', text: `readiness: ${row.store}` }),
      el('div', { className: 'buttons' }, buttons),
      el('p', { className: 'last', attrs: { 'data-last': '' } }, [
        row.last ? lastRun(row.last) : null,
      ]),
    ],
  );
}

/** @param {BoardView} view */
function table(view) {
  const head = el('tr', {}, [el('th', { text: view.target }), el('th', { text: 'quadrant' })]);
  for (const fault of view.columns) head.append(el('th', { text: fault }));
  const rows = view.rows.map((row) => {
    const tr = el('tr', {}, [el('th', { text: row.name }), el('td', { text: row.quadrant })]);
    for (const fault of view.columns) {
      const known = row.faults.find((f) => f.fault === fault);
      tr.append(el('td', { text: known ? (view.observed[row.name]?.[fault] ?? '—') : 'n/a' }));
    }
    return tr;
  });
  return [el('thead', {}, [head]), el('tbody', {}, rows)];
}

/** @param {BoardView} view */
function draw(view) {
  byId('target').textContent = `on ${view.target}, the shop at ${view.origin}/shop/`;
  const load = view.load;
  byId('load').textContent = load
    ? `load: ${load.rate} journeys/s, ${(load.requests / Math.max(load.seconds, 1)).toFixed(1)} req/s, ` +
      `errors ${(load.errorRate * 100).toFixed(1)} %, geo ${(load.rps.geo ?? 0).toFixed(1)} req/s`
    : 'load: not running';
  byId('busy').textContent = view.busy ? `now: ${view.busy.fault} on ${view.busy.row}` : '';
  // Keep focus on the button a keyboard user pressed, across the redraw.
  const focused = document.activeElement?.textContent;
  const focusedCell = document.activeElement?.closest('section')?.getAttribute('aria-labelledby');
  byId('grid').replaceChildren(...view.rows.map((row) => cell(row, view.busy !== undefined)));
  byId('table').replaceChildren(...table(view));
  if (focusedCell && focused) {
    const section = document.querySelector(`section[aria-labelledby="${focusedCell}"]`);
    const button = [...(section?.querySelectorAll('button') ?? [])].find(
      (b) => b.textContent === focused,
    );
    if (button instanceof HTMLElement) button.focus();
  }
}

const events = new EventSource('/api/board/events');
events.addEventListener('message', (event) => draw(JSON.parse(event.data)));
events.addEventListener('error', () => {
  byId('target').textContent = 'the dashboard is not answering: is pnpm demo still running?';
});
