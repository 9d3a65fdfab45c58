// Feeds the plugin's meter a decompressed copy of the response while the original bytes go to
// the client untouched (the incumbent decompressed in place and garbled gzip streams). What it
// decodes is bounded: a few KB of brotli can claim gigabytes, and the meter has no use for more
// than `DECODED_LIMIT`, nor once the meter says it reads no more; past either, decoding stops,
// the client still gets every byte, and the request is recorded as incomplete (the meter never
// saw its end).
import type { Meter } from '../plugin-api.ts'
import { decoderFor, encodingOf } from './content-encoding.ts'

export const DECODED_LIMIT = 64 * 1024 * 1024

export interface MeterTee {
  write (chunk: Buffer): void
  /** Resolves once every decompressed byte reached the meter. */
  finish (): Promise<void>
}

export function createMeterTee (contentEncoding: string | string[] | undefined, meter: Meter, limit = DECODED_LIMIT): MeterTee {
  const decoder = decoderFor(encodingOf(contentEncoding))
  if (decoder === null) return { write: c => meter.push(c), finish: async () => {} }
  // An encoding we cannot read: the client still gets the bytes; usage stays unknown.
  if (decoder === undefined) return { write: () => {}, finish: async () => {} }
  const z = decoder.stream()
  let decoded = 0
  z.on('data', (c: Buffer) => {
    decoded += c.length
    if (decoded > limit || meter.push(c) === false) z.destroy()
  })
  // Ended, corrupt (what was decoded before it is kept) or stopped at the limit.
  const done = new Promise<void>(resolve => z.once('close', resolve))
  return {
    write: c => { if (!z.destroyed) z.write(c) },
    finish: () => {
      if (!z.destroyed) z.end()
      return done
    },
  }
}
