/** Prints rows under a header: the first column (names) to the left, figures to the right. */
export function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const pad = (cell: string, i: number) =>
    i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0);
  for (const line of [header, ...rows]) console.log(line.map(pad).join('   '));
}

/** 1234567.8 → "1,234,568". */
export const whole = (value: number): string => Math.round(value).toLocaleString('en');

/** A whole number, or n/a for a figure this machine cannot give (no /proc, say). */
export const wholeOrNa = (value: number | null): string => (value === null ? 'n/a' : whole(value));

/** Bytes as MiB with one decimal, or "n/a" where the figure could not be read. */
export const mib = (bytes: number | null): string =>
  bytes === null ? 'n/a' : (bytes / 2 ** 20).toFixed(1);
