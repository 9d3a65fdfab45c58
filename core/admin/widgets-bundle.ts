// The widgets as one ES module. In production it is the file `npm run build` made
// (dist/admin/widgets.js); from the sources it is built by esbuild when first asked for (well
// under a second). Either way it is kept in memory; nothing generated is committed.
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { FROM_SOURCE, PACKAGE_ROOT } from '../install-root.ts'

const SOURCES = join(PACKAGE_ROOT, 'admin-webcomponents')

export interface Bundle {
  code: string
  etag: string
}

let built: Promise<Bundle> | undefined

async function fromSources (): Promise<string> {
  // Loaded only here: production never starts esbuild.
  const { build } = await import('esbuild')
  const result = await build({
    entryPoints: [join(SOURCES, 'src/index.ts')],
    tsconfig: join(SOURCES, 'tsconfig.json'),
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    loader: { '.css': 'text' },
    write: false,
    logLevel: 'silent',
  })
  return result.outputFiles[0]!.text
}

export function widgetsBundle (): Promise<Bundle> {
  built ??= (FROM_SOURCE ? fromSources() : readFile(join(PACKAGE_ROOT, 'dist', 'admin', 'widgets.js'), 'utf8')).then(code => {
    return { code, etag: `"${createHash('sha256').update(code).digest('base64url').slice(0, 27)}"` }
  }, (err: unknown) => {
    built = undefined
    throw err
  })
  return built
}
