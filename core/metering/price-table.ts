// The shape of a price table: micro-USD per million tokens for each kind of token. Plugins ship
// one (part of their contract); pricing.ts turns usage into cost with it.
export interface Rates {
  input: number
  output: number
  cacheWrite5m?: number
  cacheWrite1h?: number
  cacheRead?: number
}

export interface ModelPrice extends Rates {
  /**
   * Rates for requests whose prompt (input + cache writes + cache reads) exceeds the threshold:
   * every token of such a request, output included, is priced at these (Anthropic's long-context
   * premium, Haiku 5.5's prompt-length tiers).
   */
  longPrompt?: Rates & { thresholdTokens: number }
}

export interface PriceTable {
  version: string
  models: Record<string, ModelPrice>
  aliases?: Record<string, string>
}
