/** Where a command writes: lines for people, or one JSON document for scripts. */
export interface Output {
  json: boolean;
  write(line: string): void;
}

export function consoleOutput(json: boolean): Output {
  return { json, write: (line) => process.stdout.write(`${line}\n`) };
}

/** A plain aligned table; cells are stringified, `null`/`undefined` shown as `-`. */
export function table(rows: Record<string, unknown>[], columns: string[]): string {
  const cell = (v: unknown) => (v === null || v === undefined ? '-' : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join(
    '\n',
  );
}

/** Either the JSON document or the human rendering of `value`. */
export function emit<T>(out: Output, value: T, human: (value: T) => string): void {
  out.write(out.json ? JSON.stringify(value, null, 2) : human(value));
}
