// The config file's JSON Schema: the single source of truth. The TS type is derived from it and
// ajv validates files against it (with `useDefaults`, so every defaulted field is present
// afterwards). Account entries are only checked here for the fields every provider shares;
// the plugin owning the account's type validates the rest against its own schema.
import type { FromSchema } from 'json-schema-to-ts'
import { DURATION_PATTERN, policyProperties } from '../limits/policy-schema.ts'
import { NAME_PATTERN } from '../ids.ts'
import { bindingsSchema } from '../keys/bindings.ts'

export { NAME_PATTERN }

const name = { type: 'string', pattern: NAME_PATTERN } as const
const mountPath = { type: 'string', pattern: '^(/[A-Za-z0-9._~-]+)+$' } as const
const usdMicrosPerMTok = { type: 'integer', minimum: 0, maximum: 1_000_000_000_000 } as const
export const PROXY_PATTERN = '^(https?|socks5?)://[^\\s/]+/?$'
const proxyUrl = { type: 'string', pattern: PROXY_PATTERN, writeOnly: true, description: 'http://[user:pass@]host:port or socks5://[user:pass@]host:port' } as const

const rates = {
  input: usdMicrosPerMTok,
  output: usdMicrosPerMTok,
  cacheWrite5m: usdMicrosPerMTok,
  cacheWrite1h: usdMicrosPerMTok,
  cacheRead: usdMicrosPerMTok,
} as const

const longPrompt = {
  type: 'object',
  additionalProperties: false,
  required: ['thresholdTokens', 'input', 'output'],
  description: 'rates for every token of a request whose prompt exceeds thresholdTokens',
  properties: { thresholdTokens: { type: 'integer', minimum: 1 }, ...rates },
} as const

const modelPrice = {
  type: 'object',
  additionalProperties: false,
  required: ['input', 'output'],
  description: 'Prices in micro-USD per million tokens (3 USD/MTok = 3000000).',
  properties: {
    ...rates,
    longPrompt,
    changes: {
      type: 'array',
      maxItems: 20,
      description: 'announced price changes: from each instant on (ISO 8601 with a zone), these rates apply instead',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['from', 'input', 'output'],
        properties: { from: { type: 'string', format: 'date-time' }, ...rates, longPrompt },
      },
    },
  },
} as const

export const configSchema = {
  $id: 'relay-config',
  type: 'object',
  additionalProperties: false,
  required: ['plugins'],
  properties: {
    listen: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'integer', minimum: 0, maximum: 65535, default: 8787 },
      },
    },
    store: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        kind: { type: 'string', enum: ['sqlite', 'redis'], default: 'sqlite' },
        path: { type: 'string', minLength: 1, default: './data/relay.db', description: 'SQLite: the database; with Redis its directory still holds the pid file' },
        url: { type: 'string', pattern: '^rediss?://', writeOnly: true, description: 'Redis: redis://[user:password@]host:port[/db] (standalone)' },
        prefix: { type: 'string', pattern: '^[A-Za-z0-9:_.-]{1,64}$', description: 'Redis: every key starts with it (default relay:), so one Redis can hold several deployments' },
        sentinels: { type: 'array', minItems: 1, items: { type: 'object', additionalProperties: false, required: ['host', 'port'], properties: { host: { type: 'string' }, port: { type: 'integer' } } } },
        sentinelName: { type: 'string', description: 'Redis Sentinel: the master group (default mymaster)' },
        failMode: { type: 'string', enum: ['closed', 'open'], description: 'Redis unreachable: refuse with 503 (closed, default), or serve with this instance\'s own limits (open); usage is kept on disk and replayed either way' },
        cluster: { type: 'array', minItems: 1, items: { type: 'object', additionalProperties: false, required: ['host', 'port'], properties: { host: { type: 'string' }, port: { type: 'integer' } } } },
      },
      allOf: [{ if: { properties: { kind: { const: 'redis' } }, required: ['kind'] }, then: { anyOf: [{ required: ['url'] }, { required: ['sentinels'] }, { required: ['cluster'] }] } }],
    },
    secrets: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Where the AES-256-GCM key for stored account credentials comes from when RELAY_SECRET_KEY is unset.',
      properties: {
        keyFile: { type: 'string', minLength: 1, default: './data/secret.key' },
        crsEncryptionKey: { type: 'string', minLength: 1, writeOnly: true, description: "claude-relay-service's ENCRYPTION_KEY: keys imported from it keep working (they are stored as it hashed them)" },
      },
    },
    plugins: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['use', 'mount'],
        properties: {
          use: { type: 'string', minLength: 1, description: 'built-in name, ./relative/path.js or npm package' },
          mount: mountPath,
          aliases: { type: 'array', items: mountPath, default: [] },
          models: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1, maxLength: 200 }, description: "glob patterns of the models this entry serves where it shares a mount path with other entries (default: its provider's own model names)" },
          options: { type: 'object', default: {}, description: "validated by the plugin's own optionsSchema" },
        },
      },
    },
    keys: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        oneOf: [{ required: ['key'] }, { required: ['keyHash'] }],
        properties: {
          name,
          key: { type: 'string', minLength: 20, writeOnly: true },
          account: { ...name, description: 'bind the key to this one account (by name), for every provider (shorthand for bindings: { "*": { account } })' },
          group: { ...name, description: 'bind the key to the accounts of this group, for every provider (shorthand for bindings: { "*": { group } })' },
          bindings: { ...bindingsSchema, description: 'per provider (or * for every other provider): { account: NAME } or { group: NAME }; a provider without one uses its shared pool' },
          keyHash: { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' },
          disabled: { type: 'boolean', default: false },
          ...policyProperties,
        },
      },
    },
    accounts: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        required: ['name', 'provider', 'type'],
        properties: {
          name,
          provider: { type: 'string', minLength: 1 },
          type: { type: 'string', minLength: 1 },
          priority: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
          disabled: { type: 'boolean', default: false },
          groups: { type: 'array', items: name, default: [] },
          maxConcurrency: { type: 'integer', minimum: 1, description: 'in-flight requests this account may carry at once' },
          models: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'glob patterns of the models this account serves (default: all)' },
          modelMap: {
            type: 'object', maxProperties: 200, propertyNames: { minLength: 1, maxLength: 200 },
            additionalProperties: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$' },
            description: 'what a requested model is sent upstream as: { "claude-sonnet-4-5": "<the upstream\'s name>" } (exact names, then globs such as "claude-haiku-*")',
          },
          proxy: { ...proxyUrl, description: 'egress proxy for this account (upstream and OAuth calls); overrides upstream.proxy' },
          shared: { type: 'boolean', description: 'in the shared pool even when a key is bound to it or it is in a group (true), or never (false); unset: only when neither' },
        },
      },
    },
    scheduler: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        maxAttempts: { type: 'integer', minimum: 1, maximum: 10, default: 3, description: 'accounts tried for one request before the error goes to the client' },
        stickyTtlMs: { type: 'integer', minimum: 1000, default: 3_600_000, description: 'a conversation stays on its account this long after its last request' },
        maxSessionSwitches: { type: 'integer', minimum: 0, default: 3, description: 'voluntary moves (slow account) per conversation; an unusable account is always left' },
        rateLimitCooldownMs: { type: 'integer', minimum: 0, default: 60_000, description: 'rest after a 429 that names no reset time' },
        failureThreshold: { type: 'integer', minimum: 1, default: 3, description: 'consecutive 5xx/529/network failures before a cooldown' },
        failureCooldownMs: { type: 'integer', minimum: 0, default: 30_000 },
        slowFirstByteRatio: { type: 'number', minimum: 1, default: 3, description: 'a sticky account this many times slower to first byte than its peers is left' },
        slowFirstByteMinMs: { type: 'integer', minimum: 0, default: 5_000, description: 'never called slow below this time to first byte' },
      },
    },
    upstream: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        connectTimeoutMs: { type: 'integer', minimum: 1, default: 10_000 },
        headersTimeoutMs: { type: 'integer', minimum: 1, default: 600_000, description: 'until response headers of a non-streaming call, which can think for minutes' },
        streamHeadersTimeoutMs: { type: 'integer', minimum: 1, default: 60_000, description: 'until response headers of a streaming call; past it the attempt fails over to another account' },
        bodyTimeoutMs: { type: 'integer', minimum: 1, default: 300_000, description: 'longest silence between two body chunks' },
        // No cap by default: each open stream holds a socket (HTTP/1.1), and a cap below the
        // team's concurrent streams queued requests silently in undici (1,000 streams at a cap of
        // 128 took eight times as long). Set one only to protect a small upstream.
        connections: { type: 'integer', minimum: 1, description: 'most sockets per upstream origin (default: no cap; each open stream holds one)' },
        proxy: { ...proxyUrl, description: 'egress proxy for every account without its own; when unset, HTTPS_PROXY/HTTP_PROXY/NO_PROXY apply' },
      },
    },
    relay: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        bodyLimitBytes: { type: 'integer', minimum: 1024, default: 33_554_432 },
        shutdownGraceMs: { type: 'integer', minimum: 0, default: 30_000 },
        trustedProxies: {
          type: 'array', default: ['127.0.0.1/32', '::1/128'],
          items: { type: 'string', pattern: '^[0-9a-fA-F.:]+(/[0-9]{1,3})?$' },
          description: "gateways whose X-Forwarded-For names the client's address in the request log",
        },
      },
    },
    limits: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        timeZone: { type: 'string', minLength: 1, default: 'UTC', description: 'IANA zone in which daily/weekly/monthly budgets reset' },
        leaseTtlMs: { type: 'integer', minimum: 1000, default: 30_000, description: 'a concurrency slot whose holder stopped renewing frees itself after this' },
      },
    },
    usage: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        flush: { type: 'string', enum: ['batch', 'sync'], default: 'batch', description: 'sync: every request-log row is committed before the response ends (none lost to a crash)' },
        flushIntervalMs: { type: 'integer', minimum: 1, maximum: 60_000, default: 100, description: 'batch mode: rows are written at most this long after they were queued; a crash (kill -9) loses at most this window' },
        spillFile: { type: 'string', minLength: 1, description: 'when the store cannot write (its disk full), usage goes to this file (relative to this file; put it on another volume) and is replayed from it' },
        backlog: {
          type: 'object',
          additionalProperties: false,
          default: {},
          description: 'usage the store could not write, kept in memory (without spillFile) until it can',
          properties: {
            maxRecords: { type: 'integer', minimum: 100, maximum: 10_000_000, default: 50_000, description: 'about 1 KB of memory each' },
            whenFull: { type: 'string', enum: ['refuse', 'serve'], default: 'refuse', description: 'refuse: new metered requests get 503 until the store writes again; serve: they are served and the backlog grows past the bound' },
          },
        },
      },
    },
    pricing: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        file: { type: 'string', minLength: 1, description: "a LiteLLM-format model_prices_and_context_window.json (relative to this file); over the plugins' tables, under `sources` and `models`" },
        sources: {
          type: 'array',
          default: [],
          maxItems: 10,
          description: "LiteLLM-format price files fetched through the egress and kept current; the last good copy of each is kept in the data dir and used while its source is unreachable. Over the plugins' tables and `file`, under `models`",
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['url'],
            properties: {
              url: { type: 'string', pattern: '^https?://[^\\s]+$', maxLength: 2000 },
              sha256Url: { type: 'string', pattern: '^https?://[^\\s]+$', maxLength: 2000, description: 'a file holding the sha256 of the price file: polled every hashEvery, the file fetched when it changes, and the file refused unless it matches' },
              every: { type: 'string', pattern: DURATION_PATTERN, default: '24h', description: 'how old the copy may grow before the file is fetched again (1h at least)' },
              hashEvery: { type: 'string', pattern: DURATION_PATTERN, default: '10m', description: 'how often sha256Url is polled, and how soon a failed fetch is tried again (1m at least)' },
            },
          },
        },
        models: { type: 'object', additionalProperties: modelPrice, default: {} },
        aliases: { type: 'object', additionalProperties: { type: 'string' }, default: {} },
        fallback: {
          type: 'object',
          default: {},
          description: "per provider (claude, openai, gemini), the priced model whose rates bill that provider's models without a price; without one, a key with a cost limit is refused an unpriced model",
          additionalProperties: { type: 'object', additionalProperties: false, required: ['like'], properties: { like: { type: 'string', minLength: 1 } } },
        },
      },
    },
    admin: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'the admin API and pages under /_relay/admin/ (deny by default: nothing is allowed until one of these is set up)',
      properties: {
        tokens: {
          type: 'array',
          default: [],
          description: 'API tokens, sent as Authorization: Bearer',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name'],
            oneOf: [{ required: ['token'] }, { required: ['tokenHash'] }],
            properties: {
              name,
              token: { type: 'string', minLength: 24, writeOnly: true },
              tokenHash: { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' },
            },
          },
        },
        sso: {
          type: 'object',
          additionalProperties: false,
          required: ['header', 'trustedProxies'],
          description: 'a user name set by an authenticating proxy (oauth2-proxy, Authelia), believed only from these addresses',
          properties: {
            header: { type: 'string', pattern: '^[A-Za-z0-9-]+$', default: 'X-Forwarded-User' },
            trustedProxies: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[0-9a-fA-F.:]+(/[0-9]{1,3})?$' } },
            users: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'only these users (absent: any user the proxy names)' },
          },
        },
        sessionTtlMs: { type: 'integer', minimum: 60_000, default: 43_200_000 },
        loginAttempts: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            max: { type: 'integer', minimum: 1, default: 10 },
            windowMs: { type: 'integer', minimum: 1000, default: 300_000 },
          },
        },
        corsOrigins: { type: 'array', default: [], items: { type: 'string', pattern: '^https?://[^/\\s]+$' }, description: 'other origins whose pages may call the admin and self-service APIs (with credentials)' },
        frameAncestors: { type: 'array', default: ["'self'"], items: { type: 'string', minLength: 1 }, description: "CSP frame-ancestors of the sidecar's pages (who may embed them in a frame)" },
      },
    },
    retention: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        requestLogDays: { type: 'integer', minimum: 0, default: 90, description: 'request-log rows older than this are deleted (0: kept forever); usage aggregates are always kept' },
        requestLogMaxRows: { type: 'integer', minimum: 0, default: 1_000_000, description: 'past this many rows (~400 bytes each in SQLite) the oldest go, whatever their age (0: no bound); usage aggregates are always kept' },
        batchSize: { type: 'integer', minimum: 10, maximum: 100_000, default: 500 },
      },
    },
    notifications: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'messages to the operator about accounts, keys and the relay',
      properties: {
        relayName: { type: 'string', minLength: 1, description: 'how messages name this relay (default: its host name)' },
        debounceMs: { type: 'integer', minimum: 0, default: 60_000, description: 'one message per account or key per window; later changes are folded into it' },
        windowUtilisation: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.9, description: "a subscription's rate-limit window at or above this share is reported" },
        budgetFraction: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.8, description: "a key's budget at or above this share is reported" },
        targets: {
          type: 'array',
          default: [],
          items: {
            type: 'object',
            required: ['type'],
            properties: {
              type: { type: 'string', enum: ['webhook', 'slack', 'discord', 'telegram', 'feishu', 'dingtalk', 'wecom', 'email'] },
              events: { type: 'array', items: { type: 'string', enum: ['account.rate_limited', 'account.unauthorized', 'account.disabled', 'account.recovered', 'account.window_high', 'key.budget_high', 'key.expired', 'relay.store_error', 'pricing.unpriced'] } },
              url: { type: 'string', pattern: '^https?://', writeOnly: true, description: 'the webhook or robot URL (it often holds a token)' },
              secret: { type: 'string', minLength: 1, writeOnly: true, description: 'signs webhook, Feishu and DingTalk messages' },
              botToken: { type: 'string', minLength: 1, writeOnly: true },
              chatId: { type: 'string', minLength: 1 },
              apiBase: { type: 'string', pattern: '^https?://' },
              from: { type: 'string', minLength: 3 },
              to: { type: 'array', minItems: 1, items: { type: 'string', minLength: 3 } },
              smtp: {
                type: 'object', additionalProperties: false, required: ['host', 'port'],
                properties: { host: { type: 'string', minLength: 1 }, port: { type: 'integer', minimum: 1, maximum: 65535 }, secure: { type: 'boolean' }, user: { type: 'string' }, password: { type: 'string', writeOnly: true } },
              },
            },
            additionalProperties: false,
            allOf: [
              { if: { properties: { type: { enum: ['webhook', 'slack', 'discord', 'feishu', 'dingtalk', 'wecom'] } } }, then: { required: ['url'] } },
              { if: { properties: { type: { const: 'telegram' } } }, then: { required: ['botToken', 'chatId'] } },
              { if: { properties: { type: { const: 'email' } } }, then: { required: ['smtp', 'from', 'to'] } },
            ],
          },
        },
      },
    },
    metrics: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Prometheus metrics at /_relay/metrics',
      properties: {
        enabled: { type: 'boolean', default: true },
        token: { type: 'string', minLength: 16, writeOnly: true, description: 'if set, scrapes must send Authorization: Bearer <token>' },
        keyLabels: { type: 'boolean', default: false, description: 'label requests with key names (one series per key)' },
      },
    },
    log: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        level: { type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
        // The store's request log has every request in full; this is the line on stdout (~10% of
        // the sidecar's CPU a request before lines were batched, a few per cent since; bench/).
        requests: { type: 'boolean', default: true, description: 'log one line per finished request (info level)' },
      },
    },
  },
} as const

export type RelayConfig = FromSchema<typeof configSchema>
export type PluginEntry = RelayConfig['plugins'][number]
export type KeyEntry = RelayConfig['keys'][number]
export type AdminConfig = RelayConfig['admin']
export type AccountEntry = RelayConfig['accounts'][number] & Record<string, unknown>
export type ModelPrice = FromSchema<typeof modelPrice>
