// The widgets as one ES module, built from admin-webcomponents/ by esbuild when first asked for
// and kept in memory (a build takes well under a second; nothing generated is committed).
import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const ROOT = fileURLToPath(new URL('../../admin-webcomponents/', import.meta.url))

export interface Bundle {
  code: string
  etag: string
}

let built: Promise<Bundle> | undefined

export function widgetsBundle (): Promise<Bundle> {
  built ??= build({
    entryPoints: [`${ROOT}src/index.ts`],
    tsconfig: `${ROOT}tsconfig.json`,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    loader: { '.css': 'text' },
    write: false,
    logLevel: 'silent',
  }).then(result => {
    const code = result.outputFiles[0]!.text
    return { code, etag: `"${createHash('sha256').update(code).digest('base64url').slice(0, 27)}"` }
  }, (err: unknown) => {
    built = undefined
    throw err
  })
  return built
}
