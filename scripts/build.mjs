// The production build: the sidecar's TypeScript (the CLI, which holds the server, and each
// built-in plugin as its own entry) bundled by esbuild into dist/ as ES modules with source
// maps, plus the admin widgets' browser bundle. The pure-JavaScript dependencies are bundled
// too, without whitespace or comments (names kept): loading fastify, undici, ajv, … as ~700
// separate CommonJS files with their comments cost ~10 MB more RSS for the life of the process.
// Native and build-time packages stay in node_modules (EXTERNAL). Code shared by core and the
// plugins goes into common chunks, so both see one copy of each module; what is imported only
// lazily (ws, nodemailer) gets chunks of its own, loaded on first use. Run by
// `npm run build` and `npm install` (prepare), and by bin/ai-relay.js when dist/ is missing or
// older than a source.
//
//   node scripts/build.mjs            builds into dist/
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { widgetsBuildOptions } from '../admin-webcomponents/build-options.mjs'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const DIST = join(ROOT, 'dist')
const STAMP = join(DIST, 'build.json')
const INSTALLED_TREE = 'node_modules/.package-lock.json'

// Bundled CommonJS dependencies call `require` for Node's modules, which an ES module lacks;
// each output file defines it for its own code.
const BANNER = "import { createRequire as __relayCreateRequire } from 'node:module'; const require = __relayCreateRequire(import.meta.url);"

// Native modules (better-sqlite3); what only builds and development use; optional packages a
// dependency asks for inside a try (ws' native speed-ups, pino's pretty printer); and ioredis,
// which reads its own package.json by `__dirname` (the version it reports to Redis) and is
// loaded only with a Redis store, so bundling it would save no idle memory.
const EXTERNAL = ['better-sqlite3', 'esbuild', 'tsx', 'bufferutil', 'utf-8-validate', 'pino-pretty', 'ioredis']

function entryPoints () {
  const plugins = readdirSync(join(ROOT, 'plugins'), { withFileTypes: true })
    .filter(d => d.isDirectory() && existsSync(join(ROOT, 'plugins', d.name, 'index.ts')))
    .map(d => `plugins/${d.name}/index.ts`)
  return ['core/cli/main.ts', ...plugins]
}

/**
 * Builds into a fresh directory and swaps it in, so a running relay never sees half a build.
 * Two processes starting at once (a service and a CLI call) build once: the second waits for
 * the first's lock and takes its result.
 */
export async function build () {
  const lock = `${DIST}.lock`
  for (const end = Date.now() + 120_000; ;) {
    try {
      mkdirSync(lock)
      break
    } catch (err) {
      if (err.code !== 'EEXIST') throw err
      // A lock left by a build that died is taken over after a minute.
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })?.mtimeMs > 60_000) rmSync(lock, { recursive: true, force: true })
      if (Date.now() > end) throw new Error(`another build holds ${lock}`)
      await sleep(100)
      if (!existsSync(lock) && fresh()) return
    }
  }
  try {
    await buildUnlocked()
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

async function buildUnlocked () {
  const { build: esbuild } = await import('esbuild')
  const tmp = `${DIST}.tmp-${process.pid}`
  rmSync(tmp, { recursive: true, force: true })
  const server = await esbuild({
    absWorkingDir: ROOT,
    entryPoints: entryPoints(),
    outdir: tmp,
    outbase: '.',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    minifyWhitespace: true,
    banner: { js: BANNER },
    sourcemap: 'linked',
    chunkNames: 'chunks/[name]-[hash]',
    metafile: true,
    logLevel: 'warning',
  })
  const widgets = await esbuild({
    ...widgetsBuildOptions(ROOT),
    absWorkingDir: ROOT,
    outfile: join(tmp, 'admin/widgets.js'),
    metafile: true,
    logLevel: 'warning',
  })
  // The sources this build was made from: the entry point rebuilds when one is newer. The
  // bundled dependencies count as one input, npm's record of the installed tree, which every
  // install rewrites (stat-ing each of their files would be ~1,000 stats a start).
  const inputs = [...Object.keys(server.metafile.inputs), ...Object.keys(widgets.metafile.inputs)]
    .filter(p => !p.includes('node_modules/'))
  if (existsSync(join(ROOT, INSTALLED_TREE))) inputs.push(INSTALLED_TREE)
  writeFileSync(join(tmp, 'build.json'), JSON.stringify({ builtAt: Date.now(), inputs }, null, 1))
  writeFileSync(join(tmp, 'package.json'), '{"type":"module"}\n')
  rmSync(DIST, { recursive: true, force: true })
  renameSync(tmp, DIST)
}

/** True when dist/ exists and no source it was built from changed since (a few dozen stats). */
export function fresh () {
  let stamp
  try {
    stamp = JSON.parse(readFileSync(STAMP, 'utf8'))
  } catch {
    return false
  }
  for (const p of stamp.inputs) {
    try {
      if (statSync(join(ROOT, p)).mtimeMs > stamp.builtAt) return false
    } catch {
      return false
    }
  }
  // A new plugin directory is a new entry point.
  const built = new Set(stamp.inputs)
  return entryPoints().every(e => built.has(e))
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now()
  await build()
  process.stdout.write(`built ${relative(process.cwd(), DIST) || 'dist'}/ in ${Date.now() - started} ms\n`)
}
