// Plain-text tables for the terminal: columns padded to their widest cell.

/** Rows (the first is the header) as lines; `align` has one letter per column, 'l' or 'r'. */
export function formatTable(rows: readonly (readonly string[])[], align: string): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((cell, c) => (align[c] === 'r' ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
}
