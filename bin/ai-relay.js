#!/usr/bin/env node
// Entry point of the `ai-relay` command: runs the TypeScript sources through tsx.
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
