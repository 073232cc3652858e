// Each change to a basket as one Lua script, which Redis (and Valkey) runs atomically: no other
// command runs between its read and its write, so two replicas adding to one basket at the same
// moment both count, with no lock and no retry. They are domain/basket.ts's `applyChange`, line
// for line; test/stores-agree.test.ts holds the two to the same behaviour.
// Exported for bench/basket, whose bare-Node baseline sends the very same command.
import { createHash } from 'node:crypto';
import type { BasketChange, BasketLimits, Precondition } from '../domain/basket.ts';

export interface Script {
  lua: string;
  /** Redis caches scripts by SHA-1; EVALSHA sends 40 bytes instead of the script. */
  sha: string;
}

function script(lua: string): Script {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

// KEYS[1] the basket. ARGV[1] the precondition: '' (none), '*' or versions joined by commas.
// A reply is a table whose first element says what happened: {'ok', json}, {'not_found'},
// {'version_mismatch', version}, {'refused', code} or {'line_not_found'}.
const load = `
local raw = redis.call('GET', KEYS[1])
if not raw then return {'not_found'} end
local basket = cjson.decode(raw)
local precondition = ARGV[1]
if precondition ~= '' and precondition ~= '*' then
  local matched = false
  for version in string.gmatch(precondition, '[^,]+') do
    if tonumber(version) == basket.version then matched = true end
  end
  if not matched then return {'version_mismatch', tostring(basket.version)} end
end
`;

// ARGV[2] now (epoch ms), ARGV[3] idle expiry (ms), ARGV[4] maxLines, ARGV[5] maxQuantity,
// ARGV[6] the SKU, when the change names one.
const find = `
local now, idle = tonumber(ARGV[2]), tonumber(ARGV[3])
local maxLines, maxQuantity = tonumber(ARGV[4]), tonumber(ARGV[5])
local lines = basket.lines
local index = nil
for i, line in ipairs(lines) do
  if line.sku == ARGV[6] then index = i; break end
end
local line = index and lines[index]
`;

// Every write renews the idle expiry: SET with PX replaces the value and its time to live.
const save = `
if #lines == 0 then basket.currency = '' end
basket.version = basket.version + 1
basket.updatedAt = now
local json = cjson.encode(basket)
redis.call('SET', KEYS[1], json, 'PX', idle)
return {'ok', json}
`;

/**
 * A change as one script. `shrinks`: a change that only ever makes the basket smaller, which Redis
 * may run when it is full (allow-oom, Redis 7.0's script flags): under noeviction a full store
 * refuses every other write, but a shopper can still take things out of a basket.
 */
const change = (body: string, { shrinks = false } = {}) =>
  script(`${shrinks ? '#!lua flags=allow-oom\n' : ''}${load}${find}${body}${save}`);

export const basketScripts = {
  // ARGV[7] quantity, ARGV[8] unit price, ARGV[9] currency.
  addLine: change(`
local quantity, unitPrice, currency = tonumber(ARGV[7]), tonumber(ARGV[8]), ARGV[9]
if basket.currency ~= '' and basket.currency ~= currency then
  return {'refused', 'currency_mismatch'}
end
if line then
  if line.quantity + quantity > maxQuantity then return {'refused', 'quantity_limit'} end
  line.quantity = line.quantity + quantity
  line.unitPrice = unitPrice
else
  if quantity > maxQuantity then return {'refused', 'quantity_limit'} end
  if #lines >= maxLines then return {'refused', 'too_many_lines'} end
  lines[#lines + 1] = { sku = ARGV[6], quantity = quantity, unitPrice = unitPrice }
end
basket.currency = currency
`),
  // ARGV[7] quantity.
  setQuantity: change(`
if not line then return {'line_not_found'} end
local quantity = tonumber(ARGV[7])
if quantity > maxQuantity then return {'refused', 'quantity_limit'} end
line.quantity = quantity
`),
  removeLine: change(
    `
if not line then return {'line_not_found'} end
table.remove(lines, index)
`,
    { shrinks: true },
  ),
  clear: change(
    `
lines = {}
basket.lines = lines
`,
    { shrinks: true },
  ),
  // Deleting a basket frees memory, so it too may run on a full store.
  remove: script(`#!lua flags=allow-oom
${load}
redis.call('DEL', KEYS[1])
return {'ok'}
`),
} satisfies Record<string, Script>;

export function preconditionArg(precondition: Precondition | undefined): string {
  if (precondition === undefined) return '';
  if (precondition === '*') return '*';
  // No version at all (If-Match held only weak or foreign tags) must match nothing, not be
  // taken for "no precondition": a lone comma is a list with no versions in it.
  return precondition.length === 0 ? ',' : precondition.join(',');
}

/** ARGV for the script of `change`, in the order the scripts above read them. */
export function changeArgs(
  change: BasketChange,
  options: { precondition?: Precondition; now: number; idleMs: number; limits: BasketLimits },
): (string | number)[] {
  const head = [
    preconditionArg(options.precondition),
    options.now,
    options.idleMs,
    options.limits.maxLines,
    options.limits.maxQuantity,
  ];
  switch (change.kind) {
    case 'addLine':
      return [...head, change.sku, change.quantity, change.unitPrice, change.currency];
    case 'setQuantity':
      return [...head, change.sku, change.quantity];
    case 'removeLine':
      return [...head, change.sku];
    case 'clear':
      return head;
  }
}
