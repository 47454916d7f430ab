// Client-side checks that mirror the server's parsers (src/domain/ids.rs), so the user
// sees the same verdict before sending. The server stays the authority.

export type IdProblem = 'empty' | 'length' | 'charset' | 'checksum' | 'format'
export type Check = IdProblem | null

/** Removes the separators people type inside numbers: space, full-width space, '-'. */
function stripSeparators(s: string): string {
  return s.replace(/[ \u3000-]/g, '')
}

// 统一社会信用代码 (GB 32100-2015). The index of a char is its value; I, O, S, V, Z are
// excluded by the standard.
const CREDIT_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY'
const CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

/** The 18th character for the first 17 (case-insensitive), or null. */
export function creditCodeCheckChar(first17: string): string | null {
  const upper = first17.toUpperCase()
  if ([...upper].length !== 17) return null
  let sum = 0
  for (let i = 0; i < 17; i++) {
    const v = CREDIT_CHARSET.indexOf(upper[i])
    if (v < 0) return null
    sum += v * CREDIT_WEIGHTS[i]
  }
  return CREDIT_CHARSET[(31 - (sum % 31)) % 31]
}

export function checkCreditCode(input: string): Check {
  const code = input.trim().toUpperCase()
  if (code === '') return 'empty'
  const chars = [...code]
  if (chars.length !== 18) return 'length'
  if (chars.some((c) => !CREDIT_CHARSET.includes(c))) return 'charset'
  // Characters 3–8 are the administrative division code: digits only.
  if (!/^[0-9]{6}$/.test(code.slice(2, 8))) return 'format'
  if (creditCodeCheckChar(code.slice(0, 17)) !== code[17]) return 'checksum'
  return null
}

/** Bank account: 8–32 digits; spaces, full-width spaces and '-' allowed in input. */
export function checkAccountNumber(input: string): Check {
  const digits = stripSeparators(input.trim())
  if (digits === '') return 'empty'
  if (!/^[0-9]+$/.test(digits)) return 'charset'
  if (digits.length < 8 || digits.length > 32) return 'length'
  return null
}

export function normalizeAccountNumber(input: string): string {
  return stripSeparators(input.trim())
}

const LOCAL_CHARS = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$/

export function checkEmail(input: string): Check {
  const email = input.trim()
  if (email === '') return 'empty'
  const len = [...email].length
  if (len < 5 || len > 254) return 'length'
  const parts = email.split('@')
  if (parts.length !== 2) return 'format'
  const [local, domain] = parts as [string, string]
  if (local === '' || [...local].length > 64) return 'format'
  if (!LOCAL_CHARS.test(local)) return 'charset'
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) return 'format'
  if (!domain.includes('.')) return 'format'
  for (const label of domain.split('.')) {
    if (label === '' || label.length > 63) return 'format'
    if (!/^[A-Za-z0-9-]+$/.test(label)) return 'charset'
    if (label.startsWith('-') || label.endsWith('-')) return 'format'
  }
  return null
}

// 居民身份证号 (GB 11643-1999).
const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
const ID_CHECK_CHARS = '10X98765432'

function validBirthDate(ymd: string): boolean {
  const y = Number(ymd.slice(0, 4))
  const m = Number(ymd.slice(4, 6))
  const d = Number(ymd.slice(6, 8))
  if (y < 1800 || m < 1 || m > 12 || d < 1) return false
  const daysInMonth = new Date(Date.UTC(y, m, 0)).getUTCDate()
  return d <= daysInMonth
}

export function checkResidentId(input: string): Check {
  const id = input.trim().toUpperCase()
  if (id === '') return 'empty'
  if ([...id].length !== 18) return 'length'
  if (!/^[0-9]{17}/.test(id)) return 'charset'
  if (!/[0-9X]$/.test(id)) return 'charset'
  if (!validBirthDate(id.slice(6, 14))) return 'format'
  let sum = 0
  for (let i = 0; i < 17; i++) sum += Number(id[i]) * ID_WEIGHTS[i]
  if (ID_CHECK_CHARS[sum % 11] !== id[17]) return 'checksum'
  return null
}

/** Mainland mobile: 11 digits starting 13–19, optional +86 / 86 prefix. */
export function checkMobile(input: string): Check {
  const compact = stripSeparators(input.trim())
  if (compact === '') return 'empty'
  const hasPlus = compact.startsWith('+')
  const digits = hasPlus ? compact.slice(1) : compact
  if (!/^[0-9]+$/.test(digits)) return 'charset'
  let number = digits
  if (digits.startsWith('86') && digits.length === 13) number = digits.slice(2)
  else if (hasPlus) return 'format'
  if (number.length !== 11) return 'length'
  if (!/^1[3-9]/.test(number)) return 'format'
  return null
}

/** WeChat AppID: `wx` + 16 hex digits. */
export function checkAppId(input: string): Check {
  const id = input.trim().toLowerCase()
  if (id === '') return 'empty'
  if ([...id].length !== 18) return 'length'
  if (!id.startsWith('wx')) return 'format'
  if (!/^[0-9a-f]{16}$/.test(id.slice(2))) return 'charset'
  return null
}

/** Length in characters (code points), as the server counts them. */
export function charCount(s: string): number {
  return [...s].length
}
