// Real servers as child processes on free loopback ports: the sidecar itself (through its CLI)
// and external binaries such as nginx. A missing binary skips the test loudly on a developer
// machine and fails it under CI=true, where a skip would hide a broken install.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { TestContext } from 'node:test'
import { NODE_FLAGS } from '../../bin/node-flags.js'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** The CLI from the sources (tsx): what the one-shot CLI commands of the tests run. */
export const CLI = fileURLToPath(new URL('../../bin/ai-relay-dev.js', import.meta.url))
/** The CLI as production runs it: the esbuild build in dist/ (made first when missing or stale). */
export const CLI_BUILT = fileURLToPath(new URL('../../bin/ai-relay.js', import.meta.url))

export async function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

/** The path of an installed program, or undefined. */
export function findBinary (name: string): string | undefined {
  // nginx lives in /usr/sbin, which a non-login PATH may lack.
  return spawnSync('sh', ['-c', `command -v ${name} || command -v /usr/sbin/${name}`], { encoding: 'utf8' }).stdout.trim() || undefined
}

/** The path of `name`, or undefined after skipping `t` (failing it under CI). */
export function requireBinary (t: TestContext, name: string): string | undefined {
  const found = findBinary(name)
  if (found) return found
  if (process.env.CI === 'true') throw new Error(`${name} is not installed, and CI=true forbids skipping (install it in .ci/run)`)
  const reason = `SKIPPED: ${name} is not installed on this machine (CI installs it)`
  console.error(`\n*** ${reason} ***\n`)
  t.skip(reason)
  return undefined
}

export interface Child {
  proc: ChildProcess
  stdout: string[]
  stderr: string[]
  exited: Promise<number | null>
}

export function spawnChild (t: Pick<TestContext, 'after'> | undefined, cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv, cwd?: string, inheritEnv?: boolean } = {}): Child {
  const env = opts.inheritEnv === false ? opts.env : { ...process.env, ...opts.env }
  const proc = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] })
  const stdout: string[] = []
  const stderr: string[] = []
  proc.stdout!.setEncoding('utf8').on('data', (s: string) => stdout.push(s))
  proc.stderr!.setEncoding('utf8').on('data', (s: string) => stderr.push(s))
  const exited = new Promise<number | null>(resolve => proc.once('exit', code => resolve(code)))
  // SIGTERM first: nginx's master must stop its workers, or they outlive it holding our pipes.
  t?.after(async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return
    proc.kill('SIGTERM')
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  })
  return { proc, stdout, stderr, exited }
}

export async function waitForOutput (child: Child, stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!pattern.test(child[stream].join(''))) {
    if (child.proc.exitCode !== null) throw new Error(`process exited (${child.proc.exitCode}) before printing ${pattern}:\n${child.stderr.join('')}`)
    if (Date.now() > end) throw new Error(`timed out waiting for ${pattern}:\n${child.stderr.join('')}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

/**
 * Runs `ai-relay start --config file` and waits until it listens. The relay runs as
 * production runs it, from the esbuild build (rebuilt first when a source changed), so the
 * integration tests also cover the bundled dependencies; the one-shot CLI commands run from
 * the sources.
 */
export async function spawnRelay (t: TestContext, configFile: string, env: NodeJS.ProcessEnv = {}): Promise<Child> {
  const child = spawnChild(t, process.execPath, [...NODE_FLAGS, CLI_BUILT, 'start', '--config', configFile], { env })
  await waitForOutput(child, 'stderr', /ai-relay listening on/)
  return child
}

/** Runs the CLI to completion. */
export function runCli (args: string[], opts: { env?: NodeJS.ProcessEnv, input?: string } = {}): { status: number | null, stdout: string, stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...opts.env }, input: opts.input ?? '', encoding: 'utf8' })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** Runs the CLI without blocking this process (for tests whose mocks live in this process). */
export async function runCliAsync (args: string[], opts: { env?: NodeJS.ProcessEnv, input?: string } = {}): Promise<{ status: number | null, stdout: string, stderr: string }> {
  const child = spawnChild(undefined, process.execPath, [CLI, ...args], { env: opts.env })
  child.proc.stdin!.end(opts.input ?? '')
  const status = await child.exited
  return { status, stdout: child.stdout.join(''), stderr: child.stderr.join('') }
}

/**
 * Runs `accounts login` as an operator would: waits for the authorize URL, then pastes what
 * `paste` makes of it (e.g. `code#state` from the URL's state), and waits for the end.
 */
export async function loginWithCli (args: string[], paste: (authorizeUrl: URL) => string, env?: NodeJS.ProcessEnv): Promise<{ status: number | null, stdout: string, stderr: string }> {
  const child = spawnChild(undefined, process.execPath, [CLI, 'accounts', 'login', ...args], { env })
  // Any authorize URL: Claude's and Codex's end in /authorize, Google's in /auth.
  const authorizeUrl = /(https?:\/\/\S+\?\S*\bclient_id=\S+)/
  await waitForOutput(child, 'stderr', authorizeUrl)
  const url = new URL(authorizeUrl.exec(child.stderr.join(''))![1]!)
  child.proc.stdin!.end(`${paste(url)}\n`)
  const status = await child.exited
  return { status, stdout: child.stdout.join(''), stderr: child.stderr.join('') }
}
