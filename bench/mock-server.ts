// The mock Anthropic upstream as its own process for benchmarks, so the load generator, the
// sidecar and the upstream do not share an event loop. Prints its URL on stdout.
import { startAnthropicMock } from '../tests/mocks/anthropic-mock.ts'

const mock = await startAnthropicMock({ record: false })
process.stdout.write(`${mock.url}\n`)
process.on('SIGTERM', () => { void mock.close().then(() => process.exit(0)) })
