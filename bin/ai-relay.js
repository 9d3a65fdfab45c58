#!/usr/bin/env node
// Entry point of the `ai-relay` command in production: runs the esbuild build in dist/ (plain
// JavaScript with source maps; no TypeScript is compiled while the relay runs). The build is
// made by `npm install` (prepare) or `npm run build`; when dist/ is missing or older than a
// source (a `git pull` without an install), it is rebuilt here first, in well under a second.
// Development and the in-process tests run the sources through tsx: bin/ai-relay-dev.js.
import { setFlagsFromString } from 'node:v8'
import { fileURLToPath } from 'node:url'
import { runMain } from './run-main.js'
import { build, fresh } from '../scripts/build.mjs'
import { NODE_FLAGS } from './node-flags.js'

// `ai-relay start` runs the relay with the flags `npm start` and the unit give it, however it
// was launched: Node reads them only at process start, so the process replaces itself with one
// that has them (process.execve, Node 22.15 and later: same pid, nothing left behind). Node 20
// has no execve, and a parent process kept only to start a child would cost more memory than
// the flags save: there the relay runs as it was started, and says so.
if (process.argv[2] === 'start' && !NODE_FLAGS.every(f => process.execArgv.includes(f))) {
  if (typeof process.execve === 'function') {
    process.execve(process.execPath, [process.execPath, ...process.execArgv, ...NODE_FLAGS.filter(f => !process.execArgv.includes(f)), fileURLToPath(import.meta.url), ...process.argv.slice(2)], process.env)
  } else {
    process.stderr.write(`ai-relay: Node ${process.version} cannot restart itself with ${NODE_FLAGS.join(' ')} (which lower its memory); \`npm start\` and deploy/ai-relay.service pass them
`)
  }
}

// The young generation stays at its initial size while the relay loads and starts; `start`
// lets it grow again once it listens (core/ops/young-generation.ts says why).
setFlagsFromString('--semi-space-growth-factor=1')

if (!fresh()) {
  process.stderr.write('ai-relay: building dist/ from the sources\n')
  await build()
}
// Stack traces name functions and positions in dist/ (whitespace removed, names kept). The
// source maps beside it are not loaded by default: Node would parse them whole, ~7 MB of RSS
// for the life of the process. NODE_OPTIONS=--enable-source-maps turns them on.
const { main } = await import('../dist/core/cli/main.js')
await runMain(main)
