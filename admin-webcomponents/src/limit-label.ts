// A limit's name as the server sends it (`rate 1h requests`, `budget week claude-opus-*`,
// `concurrency`: core/limits/key-usage.ts) in the widget's language. A name this does not know
// is shown as sent rather than guessed at.
import { msg, str } from '@lit/localize'

function period (p: string): string {
  switch (p) {
    case 'day': return msg('per day', { id: 'limit.day' })
    case 'week': return msg('per week', { id: 'limit.week' })
    case 'month': return msg('per month', { id: 'limit.month' })
    case 'total': return msg('in total', { id: 'limit.total' })
    default: return p
  }
}

function metric (m: string): string {
  switch (m) {
    case 'requests': return msg('requests', { id: 'limit.requests' })
    case 'tokens': return msg('tokens', { id: 'limit.tokens' })
    case 'cost': return msg('cost', { id: 'limit.cost' })
    default: return m
  }
}

export function limitLabel (limit: string): string {
  if (limit === 'concurrency') return msg('requests in flight', { id: 'limit.concurrency' })
  const rate = /^rate (\S+) (requests|tokens|cost)$/.exec(limit)
  if (rate) return msg(str`${metric(rate[2]!)} per ${rate[1]!}`, { id: 'limit.rate' })
  const budget = /^budget (day|week|month|total)(?: (.+))?$/.exec(limit)
  if (budget) return budget[2] ? msg(str`${budget[2]} budget ${period(budget[1]!)}`, { id: 'limit.modelBudget' }) : msg(str`budget ${period(budget[1]!)}`, { id: 'limit.budget' })
  return limit
}
