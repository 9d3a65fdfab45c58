// What cancels a request's upstream call when its client goes away or the relay shuts down.
// undici takes an EventEmitter as well as an AbortSignal. An AbortController (an EventTarget)
// created, listened to and unlistened costs ~4 µs on Node 20, an EventEmitter ~0.2 µs (in a
// loop; issue 14 found it in the request profile).
import { EventEmitter } from 'node:events'

export class RequestAbort extends EventEmitter {
  /** undici reads it: a call started after the abort fails at once. */
  aborted = false

  abort (): void {
    if (this.aborted) return
    this.aborted = true
    this.emit('abort')
  }
}
