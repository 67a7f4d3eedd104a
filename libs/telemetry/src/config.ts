/** How the tracing SDK is set up, from the standard OTEL_* variables. */
export interface TracingSettings {
  /** An OTLP endpoint is configured and tracing is not disabled. */
  enabled: boolean;
  protocol: 'http/protobuf' | 'http/json';
  /** `deployment.environment(.name)`, from `DEPLOYMENT_ENVIRONMENT`; default `development`. */
  environment: string;
  /** The SDK's own diagnostics on stderr (`OTEL_LOG_LEVEL`): export failures; default ERROR. */
  logLevel: string;
}

const PROTOCOLS = ['http/protobuf', 'http/json'] as const;

/**
 * Reads the variables the SDK itself does not decide on: whether to start at all (an
 * endpoint, `OTEL_SDK_DISABLED`, `OTEL_TRACES_EXPORTER=none`) and which OTLP encoding to
 * use. The exporters read the endpoint, headers, timeout and compression; the tracer
 * provider the sampler; the resource detector the service name and resource attributes.
 */
export function tracingSettings(env: Readonly<Record<string, string | undefined>>): TracingSettings {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const disabled =
    env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true' || env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === 'none';
  const protocol = (
    env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ||
    env.OTEL_EXPORTER_OTLP_PROTOCOL ||
    'http/protobuf'
  ).trim();
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) {
    throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL: "${protocol}" is not supported (use ${PROTOCOLS.join(' or ')})`);
  }
  return {
    enabled: Boolean(endpoint) && !disabled,
    protocol: protocol as TracingSettings['protocol'],
    environment: env.DEPLOYMENT_ENVIRONMENT || 'development',
    logLevel: (env.OTEL_LOG_LEVEL || 'ERROR').toUpperCase(),
  };
}

/** {@link tracingSettings} of this process's environment. */
export function loadTracingSettings(): TracingSettings {
  return tracingSettings(process.env);
}
