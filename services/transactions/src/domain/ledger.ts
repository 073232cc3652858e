// The ledger's story: accounts hold integer minor units, a transfer moves an amount between two
// accounts of one currency as a debit entry and a credit entry, and no balance goes below zero
// or past what a JSON number carries exactly. Plain functions over a LedgerTransaction, which
// data/ledger-store.ts implements on PostgreSQL.

/** Largest amount or balance: 2^53 − 1, so every value is an exact JSON number. */
export const MAX_MINOR_UNITS = Number.MAX_SAFE_INTEGER;

export interface Account {
  id: string;
  owner: string;
  /** ISO 4217, upper case. */
  currency: string;
  /** Minor units (cents for EUR, yen for JPY). */
  balance: number;
  /** The caller's own unique name for the account, if it was given one. */
  reference: string | null;
  createdAt: string;
}

export interface Transfer {
  id: string;
  fromAccountId: string;
  toAccountId: string;
  amount: number;
  currency: string;
  reference: string | null;
  createdAt: string;
}

export interface Entry {
  id: string;
  accountId: string;
  transferId: string | null;
  kind: 'opening' | 'debit' | 'credit';
  /** Signed: a debit is negative. An account's balance is the sum of its entries. */
  amount: number;
  balanceAfter: number;
  createdAt: string;
}

export interface NewAccount {
  owner: string;
  currency: string;
  openingBalance: number;
  reference?: string | undefined;
}

/** Another account already has the reference a new one asked for. */
export class AccountReferenceTaken extends Error {
  readonly reference: string;
  /** The account that has it. */
  readonly accountId: string;

  constructor(reference: string, accountId: string) {
    super(`the reference ${reference} belongs to account ${accountId}`);
    this.reference = reference;
    this.accountId = accountId;
  }
}

export interface TransferRequest {
  fromAccountId: string;
  toAccountId: string;
  amount: number;
  reference?: string | undefined;
}

export type RefusalCode =
  | 'account_not_found'
  | 'same_account'
  | 'currency_mismatch'
  | 'insufficient_funds'
  | 'balance_overflow';

/** A well-formed transfer that the ledger will not make; nothing was written. */
export class TransferRefused extends Error {
  readonly code: RefusalCode;
  /** The request field it is about. */
  readonly field: string;

  constructor(code: RefusalCode, field: string, detail: string) {
    super(detail);
    this.name = 'TransferRefused';
    this.code = code;
    this.field = field;
  }
}

/** What a transfer needs from the store, inside one transaction. */
export interface LedgerTransaction {
  /** Locks the accounts with these ids, in a fixed order, and returns those that exist. */
  lockAccounts(ids: readonly string[]): Promise<Pick<Account, 'id' | 'currency' | 'balance'>[]>;
  applyTransfer(transfer: Omit<Transfer, 'createdAt'>): Promise<Transfer>;
  createAccount(account: NewAccount & { id: string }): Promise<Account>;
}

/** Why `request` cannot move money between `from` and `to` (as locked), if it cannot. */
export function refusal(
  request: TransferRequest,
  from: Pick<Account, 'currency' | 'balance'> | undefined,
  to: Pick<Account, 'currency' | 'balance'> | undefined,
): TransferRefused | undefined {
  if (request.fromAccountId === request.toAccountId) {
    return new TransferRefused('same_account', 'toAccountId', 'must differ from fromAccountId');
  }
  if (!from) {
    return new TransferRefused('account_not_found', 'fromAccountId', 'no account has this id');
  }
  if (!to) return new TransferRefused('account_not_found', 'toAccountId', 'no account has this id');
  if (from.currency !== to.currency) {
    return new TransferRefused(
      'currency_mismatch',
      'toAccountId',
      `holds ${to.currency}; fromAccountId holds ${from.currency}`,
    );
  }
  if (from.balance < request.amount) {
    return new TransferRefused(
      'insufficient_funds',
      'amount',
      `is more than fromAccountId's balance of ${from.balance}`,
    );
  }
  if (to.balance > MAX_MINOR_UNITS - request.amount) {
    return new TransferRefused(
      'balance_overflow',
      'amount',
      `would take toAccountId's balance past ${MAX_MINOR_UNITS}`,
    );
  }
  return undefined;
}

/**
 * Makes a transfer: locks both accounts, checks the rules on what it locked (so no other
 * transfer can change them in between), and writes it. Throws TransferRefused.
 */
export async function makeTransfer(
  ledger: LedgerTransaction,
  request: TransferRequest,
  newId: () => string,
): Promise<Transfer> {
  const ids = [request.fromAccountId, request.toAccountId];
  const locked =
    request.fromAccountId === request.toAccountId ? [] : await ledger.lockAccounts(ids);
  const from = locked.find((a) => a.id === request.fromAccountId);
  const to = locked.find((a) => a.id === request.toAccountId);
  const refused = refusal(request, from, to);
  if (refused) throw refused;
  return ledger.applyTransfer({
    id: newId(),
    fromAccountId: request.fromAccountId,
    toAccountId: request.toAccountId,
    amount: request.amount,
    // refusal() returned undefined, so `from` exists.
    currency: (from as Account).currency,
    reference: request.reference ?? null,
  });
}

/** Opens an account; its opening balance is its first entry. */
export function openAccount(
  ledger: LedgerTransaction,
  account: NewAccount,
  newId: () => string,
): Promise<Account> {
  return ledger.createAccount({ ...account, id: newId() });
}
