#!/usr/bin/env node
// Entry point of the `ai-relay` command in production: runs the esbuild build in dist/ (plain
// JavaScript with source maps; no TypeScript is compiled while the relay runs). The build is
// made by `npm install` (prepare) or `npm run build`; when dist/ is missing or older than a
// source (a `git pull` without an install), it is rebuilt here first, in well under a second.
// Development and the tests run the sources through tsx: bin/ai-relay-dev.js.
import { runMain } from './run-main.js'
import { build, fresh } from '../scripts/build.mjs'

if (!fresh()) {
  process.stderr.write('ai-relay: building dist/ from the sources\n')
  await build()
}
// Stack traces point into the TypeScript sources.
process.setSourceMapsEnabled(true)
const { main } = await import('../dist/core/cli/main.js')
await runMain(main)
