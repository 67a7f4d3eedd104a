import { context, type Context } from '@chom/telemetry';

export interface GroupCommitOptions {
  /** The most calls one batch serves (default 64). */
  maxBatch?: number;
}

interface Waiting<I, R> {
  item: I;
  context: Context;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Groups concurrent calls into batches: while one batch runs, the calls that arrive wait and
 * go together in the next. Nothing waits for a timer, so a lone call runs at once; under load
 * one statement (one commit, one round trip) serves many calls. `run` gets the items in call
 * order and returns one result per item, in the same order. A failed batch of several is run
 * again one item at a time, so a bad item fails only its own call. Each batch runs in the
 * trace context of its first call, so its statement is recorded in that call's span.
 */
export function groupCommit<I, R>(
  run: (items: I[]) => Promise<R[]>,
  options: GroupCommitOptions = {},
): (item: I) => Promise<R> {
  const maxBatch = options.maxBatch ?? 64;
  const queue: Waiting<I, R>[] = [];
  let flushing = false;

  async function runBatch(batch: Waiting<I, R>[]): Promise<void> {
    const first = batch[0] as Waiting<I, R>;
    const results = await context.with(first.context, () => run(batch.map((w) => w.item)));
    if (results.length !== batch.length)
      throw new Error(`a batch of ${batch.length} returned ${results.length} results`);
    batch.forEach((w, i) => w.resolve(results[i] as R));
  }

  async function flush(): Promise<void> {
    flushing = true;
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0, maxBatch);
        try {
          await runBatch(batch);
        } catch (error) {
          if (batch.length === 1) batch[0]?.reject(error);
          else for (const w of batch) await runBatch([w]).catch(w.reject);
        }
      }
    } finally {
      flushing = false;
    }
  }

  return (item) =>
    new Promise<R>((resolve, reject) => {
      queue.push({ item, context: context.active(), resolve, reject });
      if (!flushing) void flush();
    });
}
