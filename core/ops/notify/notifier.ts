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

/** How a target has done since the relay started (the admin console's overview). */
export interface TargetStatus {
  type: string
  sent: number
  failed: number
  lastSentAt: number | null
  lastFailedAt: number | null
  lastError: string | null
}

/** One target's answer to a test message. */
export interface TestResult { type: string, ok: boolean, error: string | null }

interface Window {
  latest: RelayEvent
  folded: number
  timer: NodeJS.Timeout
}

/** Subjects waiting at once; past this, new ones are dropped (and said so) rather than held. */
const MAX_WINDOWS = 1000

export class Notifier {
  #targets: { deliver: Deliver, events?: EventType[], type: string, status: TargetStatus, config: TargetConfig }[]
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
    this.#targets = config.targets.map(t => ({
      deliver: createTarget(t, this.#dispatcher), events: t.events, type: t.type, config: t,
      status: { type: t.type, sent: 0, failed: 0, lastSentAt: null, lastFailedAt: null, lastError: null },
    }))
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
        .then(() => { t.status.sent++; t.status.lastSentAt = Date.now() }, (err: unknown) => {
          t.status.failed++
          t.status.lastFailedAt = Date.now()
          t.status.lastError = String((err as Error)?.message ?? err).slice(0, 300)
          this.#log.error({ target: t.type, event: event.type, reason: t.status.lastError }, 'a notification could not be delivered')
        })
        .finally(() => this.#sending.delete(p))
      this.#sending.add(p)
    }
  }

  /** Each target's deliveries since the start, in the order of the config. */
  status (): TargetStatus[] {
    return this.#targets.map(t => ({ ...t.status }))
  }

  /**
   * Sends a test message to every target now, whatever events it takes, and says how each
   * answered. Without the retries of real events: the operator is waiting for the answer.
   */
  async test (by: string): Promise<TestResult[]> {
    const dispatcher = new Agent({ connect: { timeout: 10_000 } })
    try {
      const message = { event: { type: 'relay.test' as const, by }, text: '', folded: 0, time: Date.now(), relay: this.#relay }
      message.text = describe(message.event)
      return await Promise.all(this.#targets.map(async t => {
        try {
          await createTarget(t.config, dispatcher)(message)
          return { type: t.type, ok: true, error: null }
        } catch (err) {
          return { type: t.type, ok: false, error: String((err as Error)?.message ?? err).slice(0, 300) }
        }
      }))
    } finally {
      await dispatcher.close()
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
