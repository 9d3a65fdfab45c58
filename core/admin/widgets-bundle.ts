// The widgets as one ES module. In production it is the file `npm run build` made
// (dist/admin/widgets.js); from the sources it is built by esbuild when first asked for (well
// under a second). Either way it is kept in memory; nothing generated is committed.
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { BuildOptions } from 'esbuild'
import { FROM_SOURCE, PACKAGE_ROOT } from '../install-root.ts'

export interface Bundle {
  code: string
  etag: string
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
  built ??= (FROM_SOURCE ? fromSources() : readFile(join(PACKAGE_ROOT, 'dist', 'admin', 'widgets.js'), 'utf8')).then(code => {
    return { code, etag: `"${createHash('sha256').update(code).digest('base64url').slice(0, 27)}"` }
  }, (err: unknown) => {
    built = undefined
    throw err
  })
  return built
}
