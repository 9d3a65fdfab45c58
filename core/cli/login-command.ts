// `ai-relay accounts login <provider>`: adds a subscription account through the provider's
// OAuth flow, or logs an existing one in again in place (same id, key bindings and history; its
// run-time state is reset). The operator opens the printed URL, logs in, and pastes the code
// shown back here; the tokens are validated, sealed and stored, never printed.
import type { Runtime } from '../runtime.ts'
import type { CliIo, CliValues } from './cli-io.ts'
import { placementFrom, plainFields } from './records.ts'
import { readStdinLines } from './read-secret.ts'
import { beginLogin, finishLogin } from '../manage/logins.ts'

export async function loginCommand (rt: Runtime, what: string | undefined, v: CliValues, io: CliIo): Promise<number> {
  if (!what || !v.name) {
    io.err('usage: ai-relay accounts login <provider> --name N [--type T] [--priority 1-100] [--group G ...]')
    return 2
  }
  const placement = placementFrom(v, io)
  const extra = plainFields(v.set, [])
  if (typeof placement === 'string' || typeof extra === 'string') {
    io.err(typeof placement === 'string' ? placement : extra as string)
    return 2
  }
  const login = await beginLogin(rt, { what, typeName: v.type, name: v.name, extra, ...placement })
  io.err(login.userCode
    ? `Open this URL in a browser, log in and confirm the code ${login.userCode}; then paste that code here:\n\n  ${login.url}\n`
    : `Open this URL in a browser, log in, and paste the code it shows (or the whole address the browser ends on):\n\n  ${login.url}\n`)
  const { code } = await readStdinLines(io.stdin, ['code'], io.err)
  if (!code) {
    io.err('no code was pasted')
    return 1
  }
  let saved
  try {
    saved = await finishLogin(rt, login, code)
  } catch (err) {
    io.err((err as Error).message)
    return 1
  }
  const { account, again } = saved
  const who = typeof account.fields.email === 'string' ? ` for ${account.fields.email}` : ''
  if (again) io.out(`Logged in again: ${account.provider} account "${account.name}" (${account.id}, ${account.type}${who}); its keys and history are kept.`)
  else io.out(`Logged in: ${account.provider} account "${account.name}" (${account.id}, ${account.type}${who}).`)
  return 0
}
