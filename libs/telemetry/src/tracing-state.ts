/** What a started SDK exposes to the rest of the process. */
export interface TracingHandle {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

// On globalThis: the register entry and the services may load this module through different
// specifiers; there is only ever one SDK per process.
const KEY = Symbol.for('chom.telemetry.tracing');
const slot = globalThis as { [KEY]?: TracingHandle };

export function setTracingHandle(handle: TracingHandle | undefined): void {
  slot[KEY] = handle;
}

/** True when the SDK was started in this process (an OTLP endpoint was configured). */
export function isTracingEnabled(): boolean {
  return slot[KEY] !== undefined;
}

/**
 * Exports the spans still buffered and stops the SDK; a no-op when tracing is off.
 * `handleShutdown` calls it after every other step.
 */
export async function shutdownTracing(): Promise<void> {
  const handle = slot[KEY];
  if (!handle) return;
  setTracingHandle(undefined);
  await handle.shutdown();
}
