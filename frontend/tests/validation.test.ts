import { describe, expect, it } from 'vitest'
import {
  checkAccountNumber,
  checkAppId,
  checkCreditCode,
  checkEmail,
  checkMobile,
  checkResidentId,
  creditCodeCheckChar,
  normalizeAccountNumber,
} from '@/domain/validation'

describe('统一社会信用代码 (GB 32100-2015)', () => {
  it.each([
    '9144030071526726XG', // 腾讯科技（深圳）有限公司
    '91110000100006485K',
    '914403001922038216', // 华为技术有限公司
    '91110000802100433B', // 北京百度网讯科技有限公司
    '91440300MA5DEM0019', // demo seed payer
    '  9144030071526726xg ', // case and spaces are normalised
  ])('accepts %s', (code) => {
    expect(checkCreditCode(code)).toBeNull()
  })

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['9144030071526726X', 'length'],
    ['9144030071526726XGG', 'length'],
    ['9144030071526726XA', 'checksum'],
    ['9144030071526726YG', 'checksum'],
    ['914403007152672IXG', 'charset'],
    ['914403007152672OXG', 'charset'],
    ['914403007152672SXG', 'charset'],
    ['914403007152672VXG', 'charset'],
    ['914403007152672ZXG', 'charset'],
    ['9144030071526726X中', 'charset'],
    ['91A4030071526726XG', 'format'],
    ['9144030A71526726XG', 'format'],
  ])('refuses %j (%s)', (code, problem) => {
    expect(checkCreditCode(code)).toBe(problem)
  })

  it('computes the check character', () => {
    expect(creditCodeCheckChar('9144030071526726X')).toBe('G')
    expect(creditCodeCheckChar('91110000100006485')).toBe('K')
    expect(creditCodeCheckChar('9111000010000648')).toBeNull()
    expect(creditCodeCheckChar('9111000010000648I')).toBeNull()
  })
})

describe('bank account (8–32 digits, spaces allowed)', () => {
  it.each(['755912345610801', '6222 0202 0000 1234 567', '12345678', '1'.repeat(32), '6222-0202-0000', '6222\u30000202'])(
    'accepts %j',
    (a) => {
      expect(checkAccountNumber(a)).toBeNull()
    },
  )
  it.each([
    ['', 'empty'],
    ['1234567', 'length'],
    ['1'.repeat(33), 'length'],
    ['6222 0202 ABCD', 'charset'],
    ['１２３４５６７８', 'charset'],
  ])('refuses %j (%s)', (a, problem) => {
    expect(checkAccountNumber(a)).toBe(problem)
  })
  it('normalises separators away', () => {
    expect(normalizeAccountNumber(' 6222 0202-0000 ')).toBe('622202020000')
  })
})

describe('e-mail', () => {
  it.each(['mp2@risun.example.com', 'a@b.c', 'first.last+tag@sub.example.cn'])('accepts %s', (e) => {
    expect(checkEmail(e)).toBeNull()
  })
  it.each(['', 'plain', 'a@b', '@b.com', 'a@@b.com', 'a..b@c.com', '.a@b.com', 'a@-b.com', 'a b@c.com', '用户@example.com'])(
    'refuses %j',
    (e) => {
      expect(checkEmail(e)).not.toBeNull()
    },
  )
})

describe('身份证号 (GB 11643-1999)', () => {
  it('accepts the GB 11643 example and lower-case x', () => {
    expect(checkResidentId('11010519491231002X')).toBeNull()
    expect(checkResidentId('11010519491231002x')).toBeNull()
  })
  it.each([
    ['', 'empty'],
    ['1101051949123100', 'length'],
    ['11010519491231002Y', 'charset'],
    ['1101051949123A002X', 'charset'],
    ['110105194913310028', 'format'], // month 13
    ['110105179901010020', 'format'], // before 1800
    ['110105194912310021', 'checksum'],
  ])('refuses %j (%s)', (id, problem) => {
    expect(checkResidentId(id)).toBe(problem)
  })
})

describe('mobile', () => {
  it.each(['13800138000', '138 0013 8000', '+86 138-0013-8000', '8613800138000', '19912345678'])('accepts %j', (m) => {
    expect(checkMobile(m)).toBeNull()
  })
  it.each([
    ['', 'empty'],
    ['1380013800', 'length'],
    ['12800138000', 'format'],
    ['23800138000', 'format'],
    ['+1 13800138000', 'format'],
    ['1380013800a', 'charset'],
  ])('refuses %j (%s)', (m, problem) => {
    expect(checkMobile(m)).toBe(problem)
  })
})

describe('AppID', () => {
  it('accepts wx + 16 hex', () => {
    expect(checkAppId('wx0123456789abcdef')).toBeNull()
    expect(checkAppId('WX0123456789ABCDEF')).toBeNull()
  })
  it.each([
    ['wx0123', 'length'],
    ['ab0123456789abcdef', 'format'],
    ['wx0123456789abcdeg', 'charset'],
  ])('refuses %j (%s)', (id, problem) => {
    expect(checkAppId(id)).toBe(problem)
  })
})
