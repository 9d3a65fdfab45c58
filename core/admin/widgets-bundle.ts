// The widgets as one ES module. In production it is the file `npm run build` made
// (dist/admin/widgets.js); from the sources it is built by esbuild when first asked for (well
// under a second). Either way it is kept in memory with its brotli and gzip forms, compressed
// once at their best levels (a page load then sends ~30 KB, not ~100); nothing generated is
// committed.
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { BuildOptions } from 'esbuild'
import { FROM_SOURCE, PACKAGE_ROOT } from '../install-root.ts'

export type Encoding = 'br' | 'gzip' | 'identity'

export interface Bundle {
  /** The module's bytes in each encoding, with an ETag each (a cache must not mix them up). */
  forms: Record<Encoding, { body: Buffer, etag: string }>
}

const brotli = promisify(zlib.brotliCompress)
const gzip = promisify(zlib.gzip)

async function forms (code: string): Promise<Bundle> {
  const plain = Buffer.from(code)
  const tag = createHash('sha256').update(plain).digest('base64url').slice(0, 27)
  const [br, gz] = await Promise.all([
    brotli(plain, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: plain.length } }),
    gzip(plain, { level: 9 }),
  ])
  return {
    forms: {
      br: { body: br, etag: `"${tag}-br"` },
      gzip: { body: gz, etag: `"${tag}-gz"` },
      identity: { body: plain, etag: `"${tag}"` },
    },
  }
}

let built: Promise<Bundle> | undefined

async function fromSources (): Promise<string> {
  // Loaded only here: production never starts esbuild.
  const { build } = await import('esbuild')
  // The options the production build uses too (a path the bundler leaves alone: never in dist/).
  const { widgetsBuildOptions } = await import(pathToFileURL(join(PACKAGE_ROOT, 'admin-webcomponents', 'build-options.mjs')).href) as { widgetsBuildOptions (root: string): BuildOptions }
  const result = await build({ ...widgetsBuildOptions(PACKAGE_ROOT), write: false, logLevel: 'silent' })
  return result.outputFiles[0]!.text
}

export function widgetsBundle (): Promise<Bundle> {
  built ??= (FROM_SOURCE ? fromSources() : readFile(join(PACKAGE_ROOT, 'dist', 'admin', 'widgets.js'), 'utf8')).then(forms, (err: unknown) => {
    built = undefined
    throw err
  })
  return built
}
