// An account's state in words, in the widget's language: `cooling` says when it ends.
import { msg, str } from '@lit/localize'
import { formatRelative } from './format.ts'

export function accountStateLabel (state: string, cooldownUntil?: string | null): string {
  if (state === 'cooling') return cooldownUntil ? msg(str`cooling down, ends ${formatRelative(cooldownUntil)}`, { id: 'accounts.cooling' }) : msg('cooling down', { id: 'accounts.coolingNow' })
  if (state === 'unauthorized') return msg('needs a new login', { id: 'accounts.unauthorized' })
  if (state === 'disabled') return msg('disabled', { id: 'state.disabled' })
  return msg('active', { id: 'state.active' })
}
