// Request bodies a client compressed (`Content-Encoding: zstd` from Codex with a ChatGPT login,
// gzip from some SDKs) are decoded once, here, for every plugin: the plugin parses the plain
// body and the upstream receives it plain, which every upstream accepts. Decoding is bounded by
// the body limit, so a small bomb cannot expand into gigabytes. Node 20's zlib has no zstd:
// fzstd (pure JS) decodes it, streamed so the bound holds there too.
import zlib from 'node:zlib'
import { promisify } from 'node:util'
import { Decompress } from 'fzstd'
import { relayError } from './render-error.ts'

const gunzip = promisify(zlib.gunzip)
const inflate = promisify(zlib.inflate)
const inflateRaw = promisify(zlib.inflateRaw)
const brotli = promisify(zlib.brotliDecompress)

type Decode = (body: Buffer, limit: number) => Promise<Buffer>

function zstd (body: Buffer, limit: number): Promise<Buffer> {
  const out: Uint8Array[] = []
  let size = 0
  const d = new Decompress(chunk => {
    size += chunk.length
    if (size > limit) throw relayError('RELAY_ERR_BODY_TOO_LARGE', `The decoded request body exceeds the limit of ${limit} bytes`)
    out.push(chunk)
  })
  d.push(body, true)
  return Promise.resolve(Buffer.concat(out))
}

const DECODE: Record<string, Decode> = {
  gzip: (b, limit) => gunzip(b, { maxOutputLength: limit }),
  'x-gzip': (b, limit) => gunzip(b, { maxOutputLength: limit }),
  // HTTP's deflate is zlib-wrapped; some clients send it raw.
  deflate: (b, limit) => inflate(b, { maxOutputLength: limit }).catch((err: { code?: string }) => {
    if (err.code === 'ERR_BUFFER_TOO_LARGE') throw err
    return inflateRaw(b, { maxOutputLength: limit })
  }),
  br: (b, limit) => brotli(b, { maxOutputLength: limit }),
  zstd,
}

/** The encodings of a `Content-Encoding` header in the order they were applied. */
function encodings (header: string | string[] | undefined): string[] {
  return String(header ?? '').split(',').map(s => s.trim().toLowerCase()).filter(e => e !== '' && e !== 'identity')
}

/** The plain body; throws a coded 415 (unknown encoding), 413 (too large decoded) or 400 (corrupt). */
export async function decodeRequestBody (header: string | string[] | undefined, body: Buffer, limit: number): Promise<Buffer> {
  let out = body
  for (const enc of encodings(header).reverse()) {
    const decode = DECODE[enc]
    if (!decode) throw relayError('RELAY_ERR_BODY_ENCODING', `Content-Encoding ${enc} is not supported (gzip, deflate, br and zstd are)`)
    try {
      out = await decode(out, limit)
    } catch (err) {
      if ((err as { code?: string }).code === 'RELAY_ERR_BODY_TOO_LARGE') throw err
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw relayError('RELAY_ERR_BODY_TOO_LARGE', `The decoded request body exceeds the limit of ${limit} bytes`)
      throw relayError('RELAY_ERR_BODY_INVALID', `The request body is not valid ${enc} data`)
    }
  }
  return out
}
