import type { Ref } from 'vue'
import { createI18n } from 'vue-i18n'
import zhCN, { type Messages } from './zh-CN'
import en from './en'

export type Locale = 'zh-CN' | 'en'
export const LOCALES: { value: Locale; label: string }[] = [
  { value: 'zh-CN', label: '简体中文' },
  { value: 'en', label: 'English' },
]

const STORAGE_KEY = 'verifund.locale'

function initialLocale(): Locale {
  try {
    const saved = localStorage.getItem(STORAGE_KEY)
    if (saved === 'zh-CN' || saved === 'en') return saved
  } catch {
    // storage unavailable (privacy mode): fall through to the default
  }
  return 'zh-CN'
}

export const i18n = createI18n<[Messages], Locale>({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
})

// Composition mode (legacy: false): the global locale is a ref.
const localeRef = i18n.global.locale as unknown as Ref<Locale>

export function currentLocale(): Locale {
  return localeRef.value
}

export function setLocale(locale: Locale): void {
  localeRef.value = locale
  document.documentElement.lang = locale
  try {
    localStorage.setItem(STORAGE_KEY, locale)
  } catch {
    // not persisted; the choice still holds for this tab
  }
}
