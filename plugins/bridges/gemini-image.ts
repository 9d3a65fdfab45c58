// An image for a Gemini request: inline bytes (`inlineData`, from base64), or a public or signed
// https URL that Google fetches itself (`fileData.fileUri`): the relay never fetches a URL a
// client names. Gemini needs the file's type beside a URL: it is read from the name's extension.
import { refuse } from './checks.ts'

export type GeminiImagePart = { inlineData: { mimeType: string, data: string } } | { fileData: { mimeType: string, fileUri: string } }

const BY_EXTENSION: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', heic: 'image/heic', heif: 'image/heif' }
export const GEMINI_IMAGE_TYPES = [...new Set(Object.values(BY_EXTENSION))]

/** An https URL (without userinfo) of an image, with its type from the path's extension. */
export function imageByUrl (url: string, where: string): GeminiImagePart {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return refuse(`${where}: an https URL or base64 data`)
  }
  if (parsed.protocol !== 'https:' || parsed.username !== '' || parsed.password !== '' || url.length > 4096) return refuse(`${where}: an https URL (without user or password, at most 4096 characters) or base64 data`)
  const ext = /\.([A-Za-z0-9]+)$/.exec(parsed.pathname)?.[1]?.toLowerCase()
  const mimeType = ext === undefined ? undefined : BY_EXTENSION[ext]
  if (!mimeType) return refuse(`${where}: Gemini needs the image's type: the URL's path must end in .png, .jpg, .jpeg, .gif, .webp, .heic or .heif (or send base64 data)`)
  return { fileData: { mimeType, fileUri: url } }
}
