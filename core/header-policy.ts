// An account's header policy, for an upstream that is another relay in a chain (or a gateway in
// front of a provider): which of the client's headers it must not get, which headers are added to
// every request (values kept as credentials: a chained relay's own token often goes there), and
// which of its answer's headers the client must not see. A plugin offers the fields on an account
// type (`HEADER_POLICY_FIELDS`), checks them (`headerPolicyProblem`) and applies them while it
// builds the upstream call and in its `responseHeaders` hook.
//
// Some names are never the policy's: what HTTP itself owns (hop-by-hop, length, host) would break
// or smuggle the request, and the credentials the plugin sets from the account must come from the
// account. Header names are matched in any case, as HTTP does.
import type { JsonSchemaObject } from './plugin-contract.ts'

/** An HTTP field name (RFC 9110 token). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/
/** A field value: visible characters, spaces and tabs; no CR, LF or NUL (they would split the request). */
const VALUE = /^[\t\x20-\x7e\x80-\xff]*$/
export const HEADER_VALUE_LIMIT = 8192
export const HEADER_POLICY_LIMIT = 32

/** HTTP's own: added or removed by the policy they would break the request or let it be smuggled. */
const HTTP_OWNED = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect', 'http2-settings', 'host', 'content-length', 'content-encoding']
/** Set by the plugin from the account's credential. */
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'x-api-key', 'api-key', 'x-goog-api-key']
const NOT_ADDED = new Set([...HTTP_OWNED, ...CREDENTIAL_HEADERS, 'content-type'])
/** The answer's type and framing are what the client reads it by. */
const NOT_STRIPPED_FROM_ANSWER = new Set([...HTTP_OWNED, 'content-type'])

const nameList = (title: string, description: string) => ({
  title, description, type: 'array', maxItems: HEADER_POLICY_LIMIT, uniqueItems: true,
  items: { type: 'string', pattern: TOKEN.source },
})

/** The fields an account type offers for its header policy. */
export const HEADER_POLICY_FIELDS: JsonSchemaObject['properties'] = {
  stripHeaders: nameList('Headers not passed on', "the client's headers this upstream must not get, e.g. x-claude-code-session-id"),
  addHeaders: {
    title: 'Headers added',
    description: 'sent upstream with every request, one "Name: value" per line; kept as a credential',
    type: 'object',
    writeOnly: true,
    maxProperties: HEADER_POLICY_LIMIT,
    propertyNames: { pattern: TOKEN.source },
    additionalProperties: { type: 'string', maxLength: HEADER_VALUE_LIMIT },
  },
  stripResponseHeaders: nameList('Answer headers not passed on', "the upstream's answer headers the client must not see"),
}

export interface HeaderPolicy {
  stripHeaders?: readonly string[]
  addHeaders?: Readonly<Record<string, string>>
  stripResponseHeaders?: readonly string[]
}

/** Why an account's policy cannot be used (a name the policy may not touch, a value that would split the request), or undefined. */
export function headerPolicyProblem (fields: HeaderPolicy): string | undefined {
  for (const name of fields.stripHeaders ?? []) {
    if (!TOKEN.test(name)) return `stripHeaders: ${JSON.stringify(name.slice(0, 40))} is not a header name`
  }
  for (const [name, value] of Object.entries(fields.addHeaders ?? {})) {
    if (!TOKEN.test(name)) return `addHeaders: ${JSON.stringify(name.slice(0, 40))} is not a header name`
    const lower = name.toLowerCase()
    if (NOT_ADDED.has(lower)) {
      return CREDENTIAL_HEADERS.includes(lower)
        ? `addHeaders: ${name} is set from the account's credential, not added`
        : `addHeaders: ${name} belongs to HTTP and the relay, it cannot be added`
    }
    if (typeof value !== 'string' || value.length > HEADER_VALUE_LIMIT || !VALUE.test(value)) return `addHeaders: the value of ${name} must be one line of at most ${HEADER_VALUE_LIMIT} characters`
  }
  for (const name of fields.stripResponseHeaders ?? []) {
    if (!TOKEN.test(name)) return `stripResponseHeaders: ${JSON.stringify(name.slice(0, 40))} is not a header name`
    if (NOT_STRIPPED_FROM_ANSWER.has(name.toLowerCase())) return `stripResponseHeaders: ${name} is how the client reads the answer, it cannot be removed`
  }
  return undefined
}

function lowerSet (names: readonly string[] | undefined): Set<string> {
  return new Set((names ?? []).map(n => n.toLowerCase()))
}

/**
 * The client's headers (lower-case names, as node gives them) without those the policy strips.
 * Call before the plugin sets the account's own headers, so a strip cannot remove a credential.
 */
export function strippedRequestHeaders (headers: Record<string, string | string[] | undefined>, fields: HeaderPolicy): Record<string, string | string[]> {
  const strip = lowerSet(fields.stripHeaders)
  const out: Record<string, string | string[]> = {}
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !strip.has(k.toLowerCase())) out[k] = v
  return out
}

/** Adds the policy's headers, replacing a client's header of the same name in any spelling. */
export function addPolicyHeaders (headers: Record<string, string | string[]>, fields: HeaderPolicy): void {
  for (const [name, value] of Object.entries(fields.addHeaders ?? {})) {
    const lower = name.toLowerCase()
    for (const k of Object.keys(headers)) if (k.toLowerCase() === lower) delete headers[k]
    headers[lower] = value
  }
}

/** Removes from the client's answer the headers the policy keeps from it. */
export function stripResponseHeaders (headers: Record<string, string | string[]>, fields: HeaderPolicy): void {
  const strip = lowerSet(fields.stripResponseHeaders)
  if (strip.size === 0) return
  for (const k of Object.keys(headers)) if (strip.has(k.toLowerCase())) delete headers[k]
}
