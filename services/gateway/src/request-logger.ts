import type { Logger } from '@chom/telemetry';
import type { FastifyBaseLogger, FastifyLogFn, FastifyServerOptions, LogLevel } from 'fastify';

type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildLoggerOptions = Parameters<FastifyBaseLogger['child']>[1];
type ChildLoggerFactory = NonNullable<FastifyServerOptions['childLoggerFactory']>;

/**
 * A request's logger that becomes a pino child only when it writes a line at an enabled level.
 * Each request takes two or three children (the request id, the caller, the trace ids), and
 * pino serialises a child's bindings when it is made: 3-5 % of the gateway's CPU under load,
 * for loggers that mostly write nothing (`warn`, no failures). Until then the bindings pile up
 * as a list; the first line makes one child of them all, in the same order.
 */
class LazyChild implements FastifyBaseLogger {
  #real: FastifyBaseLogger | undefined;

  readonly fatal = this.#writer('fatal');
  readonly error = this.#writer('error');
  readonly warn = this.#writer('warn');
  readonly info = this.#writer('info');
  readonly debug = this.#writer('debug');
  readonly trace = this.#writer('trace');
  readonly silent: FastifyLogFn = () => undefined;

  constructor(
    private readonly root: Logger,
    private readonly chain: readonly Bindings[],
  ) {}

  get level(): string {
    return this.#real?.level ?? this.root.level;
  }

  set level(level: string) {
    this.#materialise().level = level;
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    if (this.#real || hasOptions(options)) return this.#materialise().child(bindings, options);
    return new LazyChild(this.root, [...this.chain, bindings]);
  }

  #writer(level: Exclude<LogLevel, 'silent'>): FastifyLogFn {
    return ((...args: Parameters<FastifyLogFn>) => {
      if (this.#real) this.#real[level](...args);
      else if (this.root.isLevelEnabled(level)) this.#materialise()[level](...args);
    }) as FastifyLogFn;
  }

  #materialise(): FastifyBaseLogger {
    // One child with every binding: a later binding of the same name replaces the earlier one.
    this.#real ??= this.root.child(Object.assign({}, ...this.chain) as Bindings);
    return this.#real;
  }
}

function hasOptions(options: ChildLoggerOptions | undefined): boolean {
  return options !== undefined && Object.keys(options).length > 0;
}

function isPino(logger: FastifyBaseLogger): logger is Logger {
  return typeof (logger as Partial<Logger>).isLevelEnabled === 'function';
}

/**
 * fastify's `childLoggerFactory`: each request's logger is a {@link LazyChild}, unless the route
 * sets its own level or serialisers (or the server's logger is not pino).
 */
export const lazyRequestLogger: ChildLoggerFactory = (logger, bindings, options) =>
  hasOptions(options) || !isPino(logger) ? logger.child(bindings, options) : new LazyChild(logger, [bindings]);
