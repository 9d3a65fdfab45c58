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
  /**
   * Announced price changes (a promotional rate that ends, a price cut that starts): from each
   * instant on, that entry's rates replace these. Ordered by `from`. A table shipped today thus
   * stays right on the day the provider's price moves, without waiting for a release.
   */
  changes?: PriceChange[]
}

export type PriceChange = Omit<ModelPrice, 'changes'> & { from: string }

/** The rates of `price` in force at `at` (epoch ms). */
export function priceAt (price: ModelPrice, at: number): Omit<ModelPrice, 'changes'> {
  let current: Omit<ModelPrice, 'changes'> = price
  for (const change of price.changes ?? []) {
    if (Date.parse(change.from) <= at) current = change
  }
  return current
}

export interface PriceTable {
  version: string
  /** Where the table came from, shown with each price it gives (`plugin claude`, `file …`, `source …`). */
  origin?: string
  models: Record<string, ModelPrice>
  aliases?: Record<string, string>
}
