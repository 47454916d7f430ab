import { describe, expect, it } from 'vitest'
import { MAX_AMOUNT_FEN, amountInWords, checkAmountYuan, fenToYuanInput, formatYuan, parseYuanToFen } from '@/domain/money'

describe('amountInWords (人民币大写, DESIGN §1.5)', () => {
  // The server's table (src/domain/money.rs), so both sides read every amount the same way.
  const cases: [number, string][] = [
    [140_950, '人民币壹仟肆佰零玖元伍角整'],
    [1_640_902, '人民币壹万陆仟肆佰零玖元零贰分'],
    [32_504, '人民币叁佰贰拾伍元零肆分'],
    [35, '人民币叁角伍分'],
    [5, '人民币伍分'],
    [10_000_000, '人民币壹拾万元整'],
    [168_032, '人民币壹仟陆佰捌拾元零叁角贰分'],
    [10_050, '人民币壹佰元零伍角整'],
    [1_000, '人民币壹拾元整'],
    [10_700_053, '人民币壹拾万零柒仟元零伍角叁分'],
    [10_000_000_000, '人民币壹亿元整'],
    [10_001_000_000, '人民币壹亿零壹万元整'],
    [100_000_000_100, '人民币壹拾亿零壹元整'],
    [MAX_AMOUNT_FEN, '人民币壹拾亿元整'],
    [0, '人民币零元整'],
    [1, '人民币壹分'],
    [30, '人民币叁角整'],
    [120, '人民币壹元贰角整'],
    [102, '人民币壹元零贰分'],
    [1_002, '人民币壹拾元零贰分'],
    [1_100, '人民币壹拾壹元整'],
    [11_000, '人民币壹佰壹拾元整'],
    [100_000, '人民币壹仟元整'],
    [100_100, '人民币壹仟零壹元整'],
    [101_000, '人民币壹仟零壹拾元整'],
    [110_000, '人民币壹仟壹佰元整'],
    [100_001, '人民币壹仟元零壹分'],
    [100_010, '人民币壹仟元零壹角整'],
    [100_011, '人民币壹仟元零壹角壹分'],
    [1_010_101, '人民币壹万零壹佰零壹元零壹分'],
    [1_001_000, '人民币壹万零壹拾元整'],
    [10_010_000, '人民币壹拾万零壹佰元整'],
    [10_000_001, '人民币壹拾万元零壹分'],
    [10_000_010, '人民币壹拾万元零壹角整'],
    [100_000_100, '人民币壹佰万零壹元整'],
    [1_000_000_000, '人民币壹仟万元整'],
    [1_050_000_000, '人民币壹仟零伍拾万元整'],
    [1_000_700_000, '人民币壹仟万零柒仟元整'],
    [999_999, '人民币玖仟玖佰玖拾玖元玖角玖分'],
    [1_000_000, '人民币壹万元整'],
    [1_000_100, '人民币壹万零壹元整'],
    [9_999_999_999, '人民币玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分'],
    [10_000_000_001, '人民币壹亿元零壹分'],
    [10_000_010_000, '人民币壹亿零壹佰元整'],
    [10_100_000_000, '人民币壹亿零壹佰万元整'],
    [11_000_000_000, '人民币壹亿壹仟万元整'],
    [99_999_999_999, '人民币玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分'],
    [105_000_000_000, '人民币壹拾亿零伍仟万元整'],
    [-300, '人民币负叁元整'],
  ]
  it.each(cases)('%i fen reads %s', (fen, words) => {
    expect(amountInWords(fen)).toBe(words)
  })

  it('puts 整 after 元 only without 角/分 and after 角 only without 分, never after 分', () => {
    for (let fen = 1; fen <= 20_000; fen += 7) {
      const w = amountInWords(fen)
      const endsWithFen = fen % 10 !== 0
      expect(w.endsWith('整')).toBe(!endsWithFen)
      if (endsWithFen) expect(w.endsWith('分')).toBe(true)
      expect(w).not.toMatch(/零零/)
    }
  })

  it('takes bigint and reads 10^16 yuan as 壹亿亿', () => {
    expect(amountInWords(1_000_000_000_000_000_000n)).toBe('人民币壹亿亿元整')
    expect(amountInWords(100_010_000_000_000n)).toBe('人民币壹万零壹亿元整')
  })
})

describe('formatYuan', () => {
  it.each([
    [0, '¥0.00'],
    [1, '¥0.01'],
    [10, '¥0.10'],
    [140_950, '¥1,409.50'],
    [99_999, '¥999.99'],
    [100_000, '¥1,000.00'],
    [MAX_AMOUNT_FEN, '¥1,000,000,000.00'],
    [-300, '-¥3.00'],
  ] as [number, string][])('%i fen is %s', (fen, text) => {
    expect(formatYuan(fen)).toBe(text)
  })

  it('gives the plain input text for a form', () => {
    expect(fenToYuanInput(140_950)).toBe('1409.50')
    expect(fenToYuanInput(30000)).toBe('300.00')
    expect(fenToYuanInput(null)).toBe('')
  })
})

describe('parseYuanToFen (no floats)', () => {
  it.each([
    ['1409.5', 140_950],
    ['1,409.50', 140_950],
    ['¥1,409.50', 140_950],
    ['￥1409.50', 140_950],
    [' ¥ 1409 ', 140_900],
    ['0.01', 1],
    ['0.1', 10],
    ['0.29', 29],
    ['1.13', 113],
    ['4.35', 435],
    ['1680.32', 168_032],
    ['0', 0],
    ['1,000,000,000.00', MAX_AMOUNT_FEN],
  ] as [string, number][])('%s → %i fen', (input, fen) => {
    expect(parseYuanToFen(input)).toBe(fen)
  })

  it.each(['', '¥', '.5', '1.', '1.234', '-3.00', '+3', '1e3', '1,5', '14,09.50', '1,409,', ',409', '1.5.0', '1 409', '１２３', '壹佰元', 'NaN', 'Infinity', '0x10'])(
    'refuses %j',
    (input) => {
      expect(parseYuanToFen(input)).toBeNull()
    },
  )

  it('is exact where floats are not (0.29 * 100 = 28.999…)', () => {
    expect(0.29 * 100).not.toBe(29)
    expect(parseYuanToFen('0.29')).toBe(29)
    expect(parseYuanToFen('9007199254740.99')).toBe(900_719_925_474_099)
  })

  it('round-trips with formatYuan', () => {
    for (const fen of [1, 99, 100, 140_950, 1_640_902, MAX_AMOUNT_FEN]) {
      expect(parseYuanToFen(formatYuan(fen))).toBe(fen)
    }
  })
})

describe('checkAmountYuan (the form rule: > 0, ≤ 10 亿元, at most 2 decimals)', () => {
  it('accepts and converts', () => {
    expect(checkAmountYuan('0.37')).toEqual({ fen: 37 })
    expect(checkAmountYuan('1,000,000,000')).toEqual({ fen: MAX_AMOUNT_FEN })
  })
  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['0', 'not_positive'],
    ['0.00', 'not_positive'],
    ['1000000000.01', 'too_large'],
    ['1.234', 'decimals'],
    ['¥1,409.505', 'decimals'],
    ['abc', 'format'],
    ['-1', 'format'],
  ])('%j is %s', (input, problem) => {
    expect(checkAmountYuan(input)).toEqual({ problem })
  })
})
