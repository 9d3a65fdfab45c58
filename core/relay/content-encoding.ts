// The response encodings the relay can read, in one place: what it offers upstream, how the
// meter decodes a stream, how an error body is decoded whole (never past a limit: a small
// compressed body can claim gigabytes). zstd is absent on purpose: Node 20's zlib cannot decode it.
import zlib from 'node:zlib'
import type { Transform } from 'node:stream'

interface Decoder {
  /** SYNC_FLUSH on finish: a stream cut mid-way still yields everything received so far. */
  stream (): Transform
  /** Throws (ERR_BUFFER_TOO_LARGE) when the plain body would pass `limit` bytes. */
  whole (body: Buffer, limit: number): Buffer
}

const gzip: Decoder = {
  stream: () => zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH }),
  whole: (b, maxOutputLength) => zlib.gunzipSync(b, { maxOutputLength }),
}

const DECODERS: Record<string, Decoder> = {
  gzip,
  'x-gzip': gzip,
  deflate: {
    stream: () => zlib.createInflate({ finishFlush: zlib.constants.Z_SYNC_FLUSH }),
    whole: (b, maxOutputLength) => zlib.inflateSync(b, { maxOutputLength }),
  },
  br: {
    stream: () => zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH }),
    whole: (b, maxOutputLength) => zlib.brotliDecompressSync(b, { maxOutputLength }),
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
