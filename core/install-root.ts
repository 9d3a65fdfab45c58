// Where the package is installed, and whether this code runs from its TypeScript sources (tsx:
// development and tests) or from the esbuild build in dist/ (production). The build bundles
// modules into other files, so paths are found from the package root, never from this file.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const FROM_SOURCE = import.meta.url.endsWith('.ts')

function packageRoot (): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json')
    // dist/ holds a package.json of its own (only `type`), so the name is what identifies us.
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'ai-relay-sidecar') return dir
    if (dirname(dir) === dir) throw new Error('ai-relay: cannot find the package root above ' + fileURLToPath(import.meta.url))
  }
}

export const PACKAGE_ROOT = packageRoot()

/** A built-in plugin's entry module, or undefined when there is none of that name. */
export function builtInPlugin (name: string): string | undefined {
  const file = FROM_SOURCE ? join(PACKAGE_ROOT, 'plugins', name, 'index.ts') : join(PACKAGE_ROOT, 'dist', 'plugins', name, 'index.js')
  return existsSync(file) ? file : undefined
}
