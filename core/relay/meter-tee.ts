// Feeds the plugin's meter a decompressed copy of the response while the original bytes go to
// the client untouched (the incumbent decompressed in place and garbled gzip streams).
import type { Meter } from '../plugin-api.ts'
import { decoderFor, encodingOf } from './content-encoding.ts'

export interface MeterTee {
  write (chunk: Buffer): void
  /** Resolves once every decompressed byte reached the meter. */
  finish (): Promise<void>
}

export function createMeterTee (contentEncoding: string | string[] | undefined, meter: Meter): MeterTee {
  const decoder = decoderFor(encodingOf(contentEncoding))
  if (decoder === null) return { write: c => meter.push(c), finish: async () => {} }
  // An encoding we cannot read: the client still gets the bytes; usage stays unknown.
  if (decoder === undefined) return { write: () => {}, finish: async () => {} }
  const z = decoder.stream()
  z.on('data', (c: Buffer) => meter.push(c))
  const done = new Promise<void>(resolve => {
    z.once('end', resolve)
    // Corrupt input: keep what was decoded before it.
    z.once('error', () => resolve())
  })
  return {
    write: c => { if (!z.destroyed) z.write(c) },
    finish: () => {
      if (!z.destroyed) z.end()
      return done
    },
  }
}
