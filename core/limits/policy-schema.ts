// A key's policy: what it may use and how much. One JSON Schema for config key entries (where
// these fields sit beside name/key) and for `ai-relay keys create|update --policy`.
import type { FromSchema } from 'json-schema-to-ts'

/** "30s", "1m", "5h", "1d", "2w" (parsed with the `ms` package). */
export const DURATION_PATTERN = '^[1-9][0-9]*(s|m|h|d|w)$'
const duration = { type: 'string', pattern: DURATION_PATTERN } as const
const usd = { type: 'number', exclusiveMinimum: 0, description: 'US dollars' } as const
const globs = { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 } as const

export const policyProperties = {
  expiresAt: { type: 'string', format: 'date-time' },
  validFor: { ...duration, description: 'lifetime that starts at the first use (activation on first use)' },
  providers: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
  models: {
    type: 'object',
    additionalProperties: false,
    properties: { allow: globs, deny: globs },
  },
  clients: { type: 'array', minItems: 1, items: { type: 'string', enum: ['claude-code', 'codex-cli', 'gemini-cli', 'droid-cli', 'sdk', 'other'] } },
  concurrency: { type: 'integer', minimum: 1, description: 'requests in flight at once' },
  rateLimits: {
    type: 'array',
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['window'],
      anyOf: [{ required: ['requests'] }, { required: ['tokens'] }, { required: ['costUsd'] }],
      properties: {
        window: duration,
        requests: { type: 'integer', minimum: 1 },
        tokens: { type: 'integer', minimum: 1 },
        costUsd: usd,
      },
    },
  },
  budgets: {
    type: 'object',
    additionalProperties: false,
    properties: {
      dailyUsd: usd,
      weeklyUsd: usd,
      monthlyUsd: usd,
      totalUsd: usd,
      models: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['models', 'period', 'usd'],
          properties: {
            models: { type: 'string', minLength: 1, description: 'glob, e.g. claude-opus-*' },
            period: { type: 'string', enum: ['day', 'week', 'month', 'total'] },
            usd,
          },
        },
      },
    },
  },
  tags: { type: 'array', items: { type: 'string', minLength: 1 } },
} as const

export const policySchema = {
  type: 'object',
  additionalProperties: false,
  properties: policyProperties,
} as const

export type KeyPolicy = FromSchema<typeof policySchema>
export type RateWindow = NonNullable<KeyPolicy['rateLimits']>[number]
export type Budgets = NonNullable<KeyPolicy['budgets']>
