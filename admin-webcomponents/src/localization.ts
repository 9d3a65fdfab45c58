// English and Simplified Chinese through @lit/localize (runtime mode, string ids). The locale is
// one for the page: a widget's `lang` attribute, else the page's `<html lang>`.
import { configureLocalization } from '@lit/localize'
import { templates as zhHans } from './locales/zh-Hans.ts'

export const { getLocale, setLocale } = configureLocalization({
  sourceLocale: 'en',
  targetLocales: ['zh-Hans'],
  loadLocale: async () => ({ templates: zhHans }),
})

/** `zh`, `zh-CN`, `zh-Hans`… → zh-Hans; anything else → en. */
export function localeFor (lang: string | null | undefined): 'en' | 'zh-Hans' {
  return /^zh(-(cn|sg|hans)\b|$)/i.test(lang ?? '') ? 'zh-Hans' : 'en'
}

export function applyLocale (lang: string | null | undefined): void {
  const wanted = localeFor(lang || document.documentElement.lang)
  if (getLocale() !== wanted) void setLocale(wanted)
}
