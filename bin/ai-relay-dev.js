#!/usr/bin/env node
// The `ai-relay` command from the TypeScript sources through tsx: for development and the
// tests, which must run exactly what `tsc --noEmit` checked. Production uses bin/ai-relay.js.
import { register } from 'tsx/esm/api'
import { runMain } from './run-main.js'

register()
const { main } = await import('../core/cli/main.ts')
await runMain(main)
