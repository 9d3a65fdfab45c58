// How many tokens a request used, by kind: what meters read from providers' answers and what
// pricing turns into money. `undefined` means "not reported", never 0.
/** Token counts; `undefined` means "not reported", never 0. */
export interface Usage {
  input?: number
  output?: number
  cacheWrite5m?: number
  cacheWrite1h?: number
  cacheRead?: number
  /** Reasoning tokens, already included in `output` (informational). */
  reasoning?: number
}
