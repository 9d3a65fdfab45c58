// What every bridge onto Gemini loses the same way, named once: each Gemini bridge's LOSSY list
// (which the README repeats word for word) holds these beside its own.

/** Images by URL: Google fetches them, so only what it can fetch and type goes. */
export const IMAGE_BY_URL_LOSS = 'an image by URL must be https and end in its type\'s extension (.png, .jpg, …): Google fetches it, the relay fetches no URL for a client'

/** A replayed call's thought signature (gemini-target.ts `SKIP_SIGNATURE`). */
export const STAND_IN_SIGNATURE_LOSS = 'a replayed function call carries Google\'s stand-in thought signature (Gemini 3 refuses one without, and the client has no place to keep Gemini\'s own): the model does not see its earlier reasoning'
