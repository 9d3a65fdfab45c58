// The server's errors in the widget's language. The admin API sends a stable code, the params
// its English message was filled with, and for a body it checked, each problem's rule (ajv's
// keyword and params): enough to say it again in Chinese. A code or rule this does not know is
// shown as the server wrote it.
import { msg, str } from '@lit/localize'
import { ApiError, type ProblemDetail } from './api.ts'

function kind (k: unknown): string {
  switch (k) {
    case 'key': return msg('key', { id: 'err.kindKey' })
    case 'account': return msg('account', { id: 'err.kindAccount' })
    case 'request': return msg('request', { id: 'err.kindRequest' })
    case 'login': return msg('login', { id: 'err.kindLogin' })
    default: return String(k)
  }
}

/** What went wrong, for people: from the code and params when known, else the server's words. */
export function errorText (err: unknown): string {
  if (!(err instanceof ApiError)) return (err as Error)?.message ?? String(err)
  const [a, b] = err.params.map(String)
  switch (err.code) {
    case 'RELAY_ERR_NAME_TAKEN': return msg(str`A ${kind(a)} named "${b}" already exists`, { id: 'err.nameTaken' })
    case 'RELAY_ERR_NOT_FOUND': return msg(str`No ${kind(a)} "${b}"`, { id: 'err.notFound' })
    case 'RELAY_ERR_READ_ONLY': return msg(str`The ${kind(a)} "${b}" is declared in the config file and is read-only`, { id: 'err.readOnly' })
    case 'RELAY_ERR_ACCOUNT_IN_USE': return msg(str`Keys are bound to the account "${a}" (${b}): bind them elsewhere first`, { id: 'err.accountInUse' })
    case 'RELAY_ERR_LOGIN_FAILED': return msg('Wrong user name or password', { id: 'err.loginFailed' })
    case 'RELAY_ERR_LOGIN_THROTTLED': return msg(str`Too many login attempts; retry in ${b} seconds`, { id: 'err.loginThrottled' })
    case 'RELAY_ERR_ADMIN_UNAUTHORIZED': return msg('Admin authentication required: log in again', { id: 'err.adminUnauthorized' })
    case 'RELAY_ERR_ADMIN_FORBIDDEN': return msg('This is not allowed for your admin account', { id: 'err.adminForbidden' })
    case 'RELAY_ERR_STORE_UNAVAILABLE': return msg('The relay cannot reach its store right now, please retry shortly', { id: 'err.storeUnavailable' })
    case 'RELAY_ERR_INTERNAL': return msg('Internal relay error', { id: 'err.internal' })
    case 'HTTP_ERROR': return msg(str`The relay answered HTTP ${err.status}`, { id: 'err.http' })
    case 'RELAY_ERR_BODY_INVALID': return err.details.length > 0 ? err.details.map(d => `${d.path || '/'} ${problemText(d)}`).join('; ') : err.message
    default: return err.message
  }
}

/** One problem of a checked body, by its rule. */
export function problemText (d: ProblemDetail): string {
  const p = d.params ?? {}
  switch (d.keyword) {
    case 'minimum': case 'exclusiveMinimum': return msg(str`must be at least ${String(p.limit)}`, { id: 'err.minimum' })
    case 'maximum': case 'exclusiveMaximum': return msg(str`must be at most ${String(p.limit)}`, { id: 'err.maximum' })
    case 'minLength': return msg(str`must be at least ${String(p.limit)} characters`, { id: 'err.minLength' })
    case 'maxLength': return msg(str`must be at most ${String(p.limit)} characters`, { id: 'err.maxLength' })
    case 'pattern': return msg('is not in the expected form', { id: 'err.pattern' })
    case 'type': return msg(str`must be a ${String(p.type)}`, { id: 'err.type' })
    case 'required': return msg(str`${String(p.missingProperty)} is required`, { id: 'err.required' })
    case 'enum': return msg('is not one of the allowed values', { id: 'err.enum' })
    case 'format': return msg(str`must be a ${String(p.format)}`, { id: 'err.format' })
    case 'additionalProperties': return msg(str`${String(p.additionalProperty)} is not a known field`, { id: 'err.additional' })
    case 'minItems': return msg(str`needs at least ${String(p.limit)} entries`, { id: 'err.minItems' })
    case 'maxItems': return msg(str`takes at most ${String(p.limit)} entries`, { id: 'err.maxItems' })
    default: return d.message
  }
}
