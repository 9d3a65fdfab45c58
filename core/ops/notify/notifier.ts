// Sends events to the configured targets without ever making a request wait: events are
// queued and delivered in the background. Each subject (an account, a key's budget) gets at most
// one message per debounce window: the first event opens the window, and when it closes the
// latest state is sent with the number of changes folded into it, so a flapping account sends
// one message. A failed delivery is retried with backoff (undici's RetryAgent), then logged.
import type { Logger } from 'pino'
import { Agent, RetryAgent, type Dispatcher } from '../../http-client.ts'
import { createTarget, type Deliver, type TargetConfig } from './targets.ts'
import { describe, subjectOf, type EventType, type RelayEvent } from './events.ts'

export interface NotifyConfig {
  targets: (TargetConfig & { events?: EventType[] })[]
  debounceMs: number
  /** The relay's name in messages (the host it serves, by default). */
  relayName: string
}

interface Window {
  latest: RelayEvent
  folded: number
  timer: NodeJS.Timeout
}

/** Subjects waiting at once; past this, new ones are dropped (and said so) rather than held. */
const MAX_WINDOWS = 1000

export class Notifier {
  #targets: { deliver: Deliver, events?: EventType[], type: string }[]
  #debounceMs: number
  #relay: string
  #log: Logger
  #windows = new Map<string, Window>()
  #sending = new Set<Promise<void>>()
  #dispatcher: Dispatcher

  constructor (config: NotifyConfig, log: Logger, dispatcher?: Dispatcher) {
    this.#dispatcher = dispatcher ?? new RetryAgent(new Agent({ connect: { timeout: 10_000 } }), {
      maxRetries: 4, minTimeout: 1000, maxTimeout: 30_000, timeoutFactor: 2, methods: ['POST'], statusCodes: [408, 425, 429, 500, 502, 503, 504],
    })
    this.#targets = config.targets.map(t => ({ deliver: createTarget(t, this.#dispatcher), events: t.events, type: t.type }))
    this.#debounceMs = config.debounceMs
    this.#relay = config.relayName
    this.#log = log
  }

  get enabled (): boolean {
    return this.#targets.length > 0
  }

  /** Never throws, never waits. */
  notify (event: RelayEvent): void {
    if (this.#targets.length === 0) return
    const subject = subjectOf(event)
    const open = this.#windows.get(subject)
    if (open) {
      open.latest = event
      open.folded++
      return
    }
    if (this.#windows.size >= MAX_WINDOWS) {
      this.#log.warn({ event: event.type }, 'too many notifications waiting; one was dropped')
      return
    }
    const window: Window = { latest: event, folded: 0, timer: setTimeout(() => this.#close(subject), this.#debounceMs) }
    window.timer.unref()
    this.#windows.set(subject, window)
  }

  #close (subject: string): void {
    const w = this.#windows.get(subject)
    if (!w) return
    this.#windows.delete(subject)
    this.#send(w.latest, w.folded)
  }

  #send (event: RelayEvent, folded: number): void {
    const message = { event, text: describe(event), folded, time: Date.now(), relay: this.#relay }
    for (const t of this.#targets) {
      if (t.events && !t.events.includes(event.type)) continue
      const p = t.deliver(message)
        .catch((err: unknown) => this.#log.error({ target: t.type, event: event.type, reason: (err as Error).message }, 'a notification could not be delivered'))
        .finally(() => this.#sending.delete(p))
      this.#sending.add(p)
    }
  }

  /** Sends every open window now and waits for the deliveries (shutdown, tests). */
  async flush (): Promise<void> {
    for (const [subject, w] of this.#windows) {
      clearTimeout(w.timer)
      this.#close(subject)
    }
    await Promise.all(this.#sending)
  }

  async close (): Promise<void> {
    await this.flush()
    await this.#dispatcher.close()
  }
}
