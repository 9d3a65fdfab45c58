#!/usr/bin/env node
// The `ai-relay` command from the TypeScript sources through tsx: for development and the
// tests, which must run exactly what `tsc --noEmit` checked. Production uses bin/ai-relay.js.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../core/cli/main.ts')
const code = await main(process.argv.slice(2), {
  out: line => process.stdout.write(line + '\n'),
  err: line => process.stderr.write(line + '\n'),
  env: process.env,
  stdin: process.stdin,
})
process.exitCode = code
