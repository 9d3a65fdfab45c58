// `ai-relay start`: runs the sidecar until SIGTERM/SIGINT, then drains and flushes.
import { openRuntime } from '../runtime.ts'
import { createRelayServer } from '../server.ts'
import { writePid } from '../ops/pid-file.ts'
import { releaseYoungGeneration } from '../ops/young-generation.ts'
import { warnNewSecretKey, type CliIo } from './cli-io.ts'

export async function startCommand (configFile: string, io: CliIo): Promise<number> {
  const rt = (await openRuntime(configFile, { env: io.env }))!
  const server = await createRelayServer(rt)
  const address = await server.listen()
  releaseYoungGeneration()
  const removePid = writePid(rt.storePath)
  const { config } = rt.loaded
  io.err(`ai-relay listening on ${address}`)
  io.err(`  config: ${rt.loaded.file}`)
  io.err(config.store.kind === 'redis' ? `  data:   Redis, keys under "${config.store.prefix ?? 'relay:'}"` : `  data:   ${rt.storePath} (SQLite)`)
  if (rt.generatedKeyFile) warnNewSecretKey(rt.generatedKeyFile, io)
  if (server.keys.list().length === 0 || server.pool.list().length === 0) {
    const cfg = rt.loaded.file
    io.err('\nTo relay your first request:')
    if (server.pool.list().length === 0) io.err(`  add an account: npx ai-relay accounts add --config ${cfg} --name main --provider claude --type claude-api-key --secret-env apiKey=ANTHROPIC_API_KEY`)
    if (server.keys.list().length === 0) io.err(`  create a key:   npx ai-relay keys create --config ${cfg} --name alice`)
    const mount = config.plugins[0]?.mount ?? '/claude'
    io.err(`  then point the client at it: ANTHROPIC_BASE_URL=http://${config.listen.host}:${config.listen.port}${mount} ANTHROPIC_API_KEY=<the key>\n`)
  }

  await new Promise<void>(resolve => {
    let stopping = false
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        io.err(`${signal} again: exiting without waiting`)
        process.exit(1)
      }
      stopping = true
      io.err(`${signal}: draining ${server.inflight.size} in-flight request(s), up to ${config.relay.shutdownGraceMs} ms`)
      server.close().then(resolve, (err: unknown) => {
        server.log.error({ err }, 'shutdown failed')
        resolve()
      })
    }
    process.on('SIGTERM', stop)
    process.on('SIGINT', stop)
    // The outcome is logged by the server (applied, refused with its problems, restart needed).
    process.on('SIGHUP', () => { void server.reloadConfig() })
  })
  removePid()
  return 0
}
