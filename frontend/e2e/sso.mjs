#!/usr/bin/env node
// Single sign-on in Debian's Chromium through playwright-core: verifund configured for an
// OpenID provider (oidc-provider-mock, started by tests/api/browser.rs), password login on.
//
//   BASE_URL=http://127.0.0.1:8080 SSO_SUB=e2e-sso SSO_NAME=张企业 node e2e/sso.mjs
//
// Flow: the login page offers "使用企业账号登录"; a click goes to the provider, whose page
// picks the user; back at verifund the one-use code becomes a session and the app opens with
// the user's name. An sso_error on the login page reads as a sentence, not a code.
// Exits 0 on success, 1 on failure; screenshots in ARTIFACTS_DIR.
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { ARTIFACTS_DIR, BASE_URL, expect, harness, tid } from './harness.mjs'

const SUB = process.env.SSO_SUB ?? 'e2e-sso'
const NAME = process.env.SSO_NAME ?? '张企业'

const h = harness('sso')
const { log, step, problems } = h
await h.preconditions()
const { context, page, work } = await h.launch()

async function shot(name) {
  await page.waitForTimeout(300)
  await page.screenshot({ path: path.join(ARTIFACTS_DIR, `${name}.png`), fullPage: true })
}

try {
  await step('the login page offers the company account', async () => {
    await page.goto(`${BASE_URL}/login`)
    await page.locator(tid('sso-login')).waitFor()
    expect((await page.locator(tid('sso-login')).innerText()).includes('使用企业账号登录'), 'the SSO button label')
    await shot('01-login-with-sso')
  })

  await step('one click through the provider lands signed in', async () => {
    await page.locator(tid('sso-login')).click()
    // The provider's own page: pick the user.
    await page.locator('input[name="sub"]').waitFor()
    await page.locator('input[name="sub"]').fill(SUB)
    await page.locator('button[type="submit"]', { hasText: 'Authorize' }).click()
    await page.waitForURL((u) => u.origin === BASE_URL && !u.pathname.startsWith('/login'))
    await page.locator(tid('user-menu')).waitFor()
    expect((await page.locator(tid('user-menu')).innerText()).includes(NAME), `the user menu names ${NAME}`)
    expect(!page.url().includes('code='), `no code left in the address bar: ${page.url()}`)
    const token = await page.evaluate(() => localStorage.getItem('verifund.token'))
    expect(token && token.length > 20, 'the session is stored like a password login')
    await shot('02-signed-in-by-sso')
  })

  await step('a failed sign-in reads as a sentence on the login page', async () => {
    await page.evaluate(() => localStorage.removeItem('verifund.token'))
    await page.goto(`${BASE_URL}/login?sso_error=state`)
    const alert = page.locator(tid('sso-error'))
    await alert.waitFor()
    expect((await alert.innerText()).includes('登录请求已失效'), 'the state error is explained')
    await shot('03-sso-error')
  })

  // The provider's own page links its stylesheet from a CDN this machine may not reach; that
  // is the provider's page, not verifund's.
  const ours = problems.filter((p) => !/ERR_NAME_NOT_RESOLVED|ERR_INTERNET_DISCONNECTED/.test(p))
  if (ours.length) throw new Error(`browser reported problems:\n  ${ours.join('\n  ')}`)
} catch (e) {
  console.error(`[sso] FAIL in step "${h.currentStep}": ${e.message}`)
  await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'failure.png'), fullPage: true }).catch(() => {})
  await context.close().catch(() => {})
  await rm(work, { recursive: true, force: true }).catch(() => {})
  process.exit(1)
}

await context.close()
await rm(work, { recursive: true, force: true })
log(`PASS: ${ARTIFACTS_DIR}`)
