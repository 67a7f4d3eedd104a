export { captureLogger } from './capture-logger.js';
export { startOtlpReceiver } from './otlp-receiver.js';
export type { OtlpReceiver, ReceivedSpan } from './otlp-receiver.js';
export { captureSpans } from './capture-spans.js';
