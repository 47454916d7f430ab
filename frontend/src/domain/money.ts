// Money in integer fen (分), the capital-letter amount (人民币大写) and yuan text.
// A port of the server's src/domain/money.rs: amounts never pass through floats, so
// an odd amount Tencent asked for (e.g. ¥0.37) is reproduced to the fen.

/** Upper bound of one request: 10 亿元 (DESIGN §1.1). */
export const MAX_AMOUNT_FEN = 100_000_000_000

const DIGITS = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'] as const
const SECTION_UNITS = ['仟', '佰', '拾', ''] as const

/** 1..=9999 without leading zeros; inner zero runs read 零 once; 10 reads 壹拾. */
function sectionWords(n: bigint): string {
  const ds = [(n / 1000n) % 10n, (n / 100n) % 10n, (n / 10n) % 10n, n % 10n]
  let out = ''
  let started = false
  let zeroPending = false
  ds.forEach((d, i) => {
    if (d === 0n) {
      // Only zeros between non-zero digits are read; leading/trailing ones are not.
      zeroPending = started
      return
    }
    if (zeroPending) {
      out += '零'
      zeroPending = false
    }
    out += DIGITS[Number(d)] + SECTION_UNITS[i]
    started = true
  })
  return out
}

/** Integer yuan (> 0) in words, split at 亿 then 万 recursively. */
function integerWords(n: bigint): string {
  const YI = 100_000_000n
  const WAN = 10_000n
  let unit: string
  let size: bigint
  if (n >= YI) {
    unit = '亿'
    size = YI
  } else if (n >= WAN) {
    unit = '万'
    size = WAN
  } else {
    return sectionWords(n)
  }
  const hi = n / size
  const lo = n % size
  let out = integerWords(hi) + unit
  if (lo > 0n) {
    // A zero run lies between the parts when the high part ends in 0 (壹拾万零柒仟)
    // or the low part has a leading zero (壹亿零壹万).
    if (hi % 10n === 0n || lo < size / 10n) out += '零'
    out += integerWords(lo)
  }
  return out
}

/**
 * 人民币大写 per PBOC 《正确填写票据和结算凭证的基本规定》 (DESIGN §1.5):
 * 整 after 元 when there is no 角/分 and after 角 when there is no 分, never after 分;
 * a zero run in the middle (also across 元) reads 零 once.
 */
export function amountInWords(fen: number | bigint): string {
  const v = typeof fen === 'bigint' ? fen : BigInt(Math.trunc(fen))
  const abs = v < 0n ? -v : v
  const yuan = abs / 100n
  const jiao = (abs / 10n) % 10n
  const fenDigit = abs % 10n

  let out = '人民币'
  if (v < 0n) out += '负'
  if (abs === 0n) return out + '零元整'
  if (yuan > 0n) out += integerWords(yuan) + '元'
  if (jiao > 0n) {
    if (yuan > 0n && yuan % 10n === 0n) out += '零'
    out += DIGITS[Number(jiao)] + '角'
  }
  if (fenDigit > 0n) {
    if (jiao === 0n && yuan > 0n) out += '零'
    out += DIGITS[Number(fenDigit)] + '分'
  } else {
    out += '整'
  }
  return out
}

/** `¥1,409.50`; negative `-¥3.00`. */
export function formatYuan(fen: number | bigint): string {
  const v = typeof fen === 'bigint' ? fen : BigInt(Math.trunc(fen))
  const abs = v < 0n ? -v : v
  const yuan = (abs / 100n).toString()
  const cents = (abs % 100n).toString().padStart(2, '0')
  const grouped = yuan.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return `${v < 0n ? '-' : ''}¥${grouped}.${cents}`
}

/** Fen as the plain yuan text an input shows: `1409.5` → `1409.50`, no grouping. */
export function fenToYuanInput(fen: number | null | undefined): string {
  if (fen === null || fen === undefined) return ''
  return formatYuan(fen).replace(/[¥,]/g, '')
}

/**
 * Parses a non-negative yuan amount into integer fen: `1409.5`, `1,409.50`, `¥1,409.50`,
 * `￥1409`. At most two decimals; commas must be correct thousands grouping. Returns
 * null for anything else (signs, exponents, full-width digits, more than 2 decimals,
 * values beyond Number.MAX_SAFE_INTEGER fen). Pure string arithmetic, never a float.
 */
export function parseYuanToFen(input: string): number | null {
  let s = input.trim()
  if (s.startsWith('¥') || s.startsWith('￥')) s = s.slice(1).trimStart()
  const dot = s.indexOf('.')
  const intPart = dot >= 0 ? s.slice(0, dot) : s
  const fracPart = dot >= 0 ? s.slice(dot + 1) : null
  if (intPart === '') return null
  if (intPart.includes(',') && !/^\d{1,3}(,\d{3})*$/.test(intPart)) return null
  const digits = intPart.replace(/,/g, '')
  if (!/^[0-9]+$/.test(digits)) return null
  let cents = 0n
  if (fracPart !== null) {
    if (!/^[0-9]{1,2}$/.test(fracPart)) return null
    cents = BigInt(fracPart.padEnd(2, '0'))
  }
  const fen = BigInt(digits) * 100n + cents
  if (fen > BigInt(Number.MAX_SAFE_INTEGER)) return null
  return Number(fen)
}

export type AmountProblem = 'empty' | 'format' | 'decimals' | 'not_positive' | 'too_large'

/** Validates what a user typed as an amount in 元, mirroring the server's rules. */
export function checkAmountYuan(input: string): { fen: number } | { problem: AmountProblem } {
  const s = input.trim()
  if (s === '') return { problem: 'empty' }
  const fen = parseYuanToFen(s)
  if (fen === null) {
    return /^[¥￥]?\s*[\d,]*\.\d{3,}$/.test(s) ? { problem: 'decimals' } : { problem: 'format' }
  }
  if (fen <= 0) return { problem: 'not_positive' }
  if (fen > MAX_AMOUNT_FEN) return { problem: 'too_large' }
  return { fen }
}
