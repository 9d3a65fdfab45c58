// fastify gives every request a child logger bound to its request id. pino builds a child at
// once: its own level methods (four closures), formatters and bindings string, ~3 µs and ~1 KB
// a request, held for as long as a stream is open. The relay logs through a request's logger
// only when something goes wrong (its one line per request is written by the settle step), so
// the child is made on the first call instead; until then the request holds this small object.
import type { FastifyBaseLogger } from 'fastify'

type Bindings = Parameters<FastifyBaseLogger['child']>[0]
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1]
type Log = (...args: unknown[]) => void

class LazyChildLogger {
  #parent: FastifyBaseLogger
  #bindings: Bindings
  #options: ChildOptions
  #child: FastifyBaseLogger | undefined

  constructor (parent: FastifyBaseLogger, bindings: Bindings, options: ChildOptions) {
    this.#parent = parent
    this.#bindings = bindings
    this.#options = options
  }

  get #made (): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings, this.#options)
    return this.#child
  }

  get level (): string { return this.#child?.level ?? this.#parent.level }
  set level (level: string) { this.#made.level = level }

  fatal (...args: unknown[]): void { (this.#made.fatal as Log)(...args) }
  error (...args: unknown[]): void { (this.#made.error as Log)(...args) }
  warn (...args: unknown[]): void { (this.#made.warn as Log)(...args) }
  info (...args: unknown[]): void { (this.#made.info as Log)(...args) }
  debug (...args: unknown[]): void { (this.#made.debug as Log)(...args) }
  trace (...args: unknown[]): void { (this.#made.trace as Log)(...args) }
  silent (...args: unknown[]): void { (this.#made.silent as Log)(...args) }
  child (bindings: Bindings, options?: ChildOptions): FastifyBaseLogger { return this.#made.child(bindings, options) }
}

/** fastify's `childLoggerFactory`: the per-request logger, made when it first logs. */
export function lazyChildLogger (logger: FastifyBaseLogger, bindings: Bindings, options: ChildOptions): FastifyBaseLogger {
  return new LazyChildLogger(logger, bindings, options) as unknown as FastifyBaseLogger
}
