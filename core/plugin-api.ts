// The contract between the relay core and a provider plugin (Anthropic, OpenAI, Gemini...).
//
// A plugin is a plain object, default-exported by its module, listed in the config file
// (`plugins: [{ use: claude, mount: /claude }]`). Core never imports a plugin module by name:
// it loads what the config lists and talks to it only through this interface.
//
// Versioned with `specificationVersion` so the contract can evolve: core refuses a plugin whose
// version it does not implement instead of failing on the first request.
//
// What plugins may use of core comes through this module only (dependency-cruiser enforces it):
// the contract itself (plugin-contract.ts) and the helpers below.
export * from './plugin-contract.ts'
export type { Usage } from './usage.ts'
export type { RelayErrorCode } from './errors.ts'
export type { PriceTable, ModelPrice } from './metering/price-table.ts'
export { isTokenCount } from './metering/usage-check.ts'
export { parseJsonObject } from './json-object.ts'
export { mapModel } from './accounts/model-map.ts'
export { jwtClaims, readPastedCode, tokenEndpointError } from './oauth-helpers.ts'
// undici's request(url, options) for token endpoints and the like, without loading all of undici.
export { readText, request } from './http-client.ts'
export { createEventReader, createEventStreamMeter, createWholeJsonMeter, EVENT_LIMIT, isDroid, loginOptionsSchema, oauthOptionsSchema, pkceAuthorize, retryAfterTime, servedModel, subscriptionServes, withModelName, withServedModel, tooLarge, WHOLE_BODY_LIMIT } from './plugin-kit.ts'
export type { EventReader, MeterState, OAuthEndpoints } from './plugin-kit.ts'
export { createEventRewriter, createJsonRewriter } from './response-rewriters.ts'
export { addPolicyHeaders, HEADER_POLICY_FIELDS, headerPolicyProblem, strippedRequestHeaders, stripResponseHeaders } from './header-policy.ts'
export type { HeaderPolicy } from './header-policy.ts'
