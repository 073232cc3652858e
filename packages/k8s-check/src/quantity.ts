// Kubernetes resource quantities ("100m", "1", "0.5", "96Mi", "1G", "1e3"), read the way
// k8s.io/apimachinery/pkg/api/resource reads them. client-node's quantityToScalar is not used: it
// rejects decimals before a suffix ("0.5Gi") and answers a number or a bigint depending on it.

/** A signed decimal, then a binary suffix, a decimal exponent, or a decimal SI suffix (or none). */
const quantityPattern = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))([KMGTPE]i|[eE][+-]?\d+|[numkMGTPE]?)$/;

const binaryPowers: Readonly<Record<string, number>> = {
  Ki: 10,
  Mi: 20,
  Gi: 30,
  Ti: 40,
  Pi: 50,
  Ei: 60,
};

const decimalPowers: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

/**
 * The amount a quantity stands for (cores, bytes, …), or undefined when it is not a quantity.
 * JavaScript's Number() rounds a decimal correctly and a binary suffix multiplies by an exact
 * power of two, so two spellings of one amount ("0.5" and "500m") give the same number.
 */
export function parseQuantity(quantity: unknown): number | undefined {
  if (typeof quantity === 'number') return quantity;
  const match = typeof quantity === 'string' ? quantityPattern.exec(quantity) : null;
  if (match === null) return undefined;
  const [, number, suffix = ''] = match;
  const binaryPower = binaryPowers[suffix];
  if (binaryPower !== undefined) return Number(number) * 2 ** binaryPower;
  // Not an SI suffix, so an exponent: "e3", "E-2".
  const decimalPower = decimalPowers[suffix] ?? Number(suffix.slice(1));
  return Number(`${number}e${decimalPower}`);
}
