// The answer when no account can take a request. Only a passing state (accounts cooling down or
// at capacity) is an overload worth retrying; a pool that is empty, logged out or disabled, or
// that does not serve this client or model, gets an error saying so at once, marked so that the
// SDKs (and Claude Code) do not retry for minutes and then blame the provider's capacity.
import type { RelayError } from '../errors.ts'
import type { ParsedRequest, RelayPlugin } from '../plugin-api.ts'
import type { NoAccount } from '../scheduler/scheduler.ts'
import { relayError } from './render-error.ts'

/** Seconds a client is told to wait when accounts are busy but none says when it frees up. */
const POOL_RETRY_AFTER = 30

function lasting (err: RelayError): RelayError {
  err.noRetry = true
  return err
}

export function noAccountError (why: NoAccount, plugin: RelayPlugin, parsed: ParsedRequest): RelayError {
  const provider = plugin.name
  switch (why.kind) {
    case 'busy': {
      const err = relayError('RELAY_ERR_POOL_EXHAUSTED')
      err.retryAfter = why.retryAfter ?? POOL_RETRY_AFTER
      return err
    }
    case 'no-accounts':
      return lasting(relayError('RELAY_ERR_POOL_UNUSABLE', `This relay has no ${provider} account for this key. The relay's operator must add one (ai-relay accounts add or accounts login).`))
    case 'client-not-served': {
      const reason = why.accounts.map(a => plugin.cannotServe?.(a, parsed)).find(r => r !== undefined) ?? `no ${provider} account of this relay serves this client`
      return lasting(relayError('RELAY_ERR_CLIENT_NOT_SERVED', `This request cannot be served: ${reason} (this client: ${parsed.clientKind}).`))
    }
    case 'model-not-served':
      return lasting(relayError('RELAY_ERR_MODEL_NOT_SERVED', `No ${provider} account of this relay serves the model ${parsed.model ?? '(none)'}.`))
    case 'dead': {
      const parts = [why.unauthorized > 0 ? `${why.unauthorized} need${why.unauthorized === 1 ? 's' : ''} a new login` : '', why.disabled > 0 ? `${why.disabled} ${why.disabled === 1 ? 'is' : 'are'} disabled` : ''].filter(Boolean)
      return lasting(relayError('RELAY_ERR_POOL_UNUSABLE', `No ${provider} account of this relay is usable (${parts.join(', ')}). The relay's operator must log in again (ai-relay accounts login ${provider} --name <account>) or enable an account (ai-relay accounts enable).`))
    }
  }
}
