// The response encodings the relay can read, in one place: what it offers upstream, how the
// meter decodes a stream, how an error body is decoded whole. zstd is absent on purpose:
// Node 20's zlib cannot decode it.
import zlib from 'node:zlib'
import type { Transform } from 'node:stream'

interface Decoder {
  /** SYNC_FLUSH on finish: a stream cut mid-way still yields everything received so far. */
  stream (): Transform
  whole (body: Buffer): Buffer
}

const gzip: Decoder = {
  stream: () => zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH }),
  whole: b => zlib.gunzipSync(b),
}

const DECODERS: Record<string, Decoder> = {
  gzip,
  'x-gzip': gzip,
  deflate: {
    stream: () => zlib.createInflate({ finishFlush: zlib.constants.Z_SYNC_FLUSH }),
    whole: b => zlib.inflateSync(b),
  },
  br: {
    stream: () => zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH }),
    whole: b => zlib.brotliDecompressSync(b),
  },
}

export function encodingOf (header: string | string[] | undefined): string {
  const e = String(header ?? '').trim().toLowerCase()
  return e === 'identity' ? '' : e
}

/** The decoder for an encoding; null for none (plain bytes), undefined for one the relay cannot read. */
export function decoderFor (encoding: string): Decoder | null | undefined {
  return encoding === '' ? null : DECODERS[encoding]
}

export function isReadableEncoding (token: string): boolean {
  const e = token.toLowerCase()
  return e === 'identity' || e in DECODERS
}
