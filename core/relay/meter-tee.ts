// Feeds the plugin's meter a decompressed copy of the response while the original bytes go to
// the client untouched (the incumbent decompressed in place and garbled gzip streams).
import zlib from 'node:zlib'
import type { Transform } from 'node:stream'
import type { Meter } from '../plugin-api.ts'

export interface MeterTee {
  write (chunk: Buffer): void
  /** Resolves once every decompressed byte reached the meter. */
  finish (): Promise<void>
}

function decompressor (encoding: string): Transform | null | undefined {
  // SYNC_FLUSH on finish: a stream cut mid-way still yields everything received so far.
  switch (encoding) {
    case '':
    case 'identity': return null
    case 'gzip':
    case 'x-gzip': return zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH })
    case 'deflate': return zlib.createInflate({ finishFlush: zlib.constants.Z_SYNC_FLUSH })
    case 'br': return zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH })
    default: return undefined
  }
}

export function createMeterTee (contentEncoding: string | string[] | undefined, meter: Meter): MeterTee {
  const encoding = String(contentEncoding ?? '').trim().toLowerCase()
  const z = decompressor(encoding)
  if (z === null) return { write: c => meter.push(c), finish: async () => {} }
  // An encoding we cannot read: the client still gets the bytes; usage stays unknown.
  if (z === undefined) return { write: () => {}, finish: async () => {} }
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
