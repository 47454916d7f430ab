#!/usr/bin/env node
// The approver's and finance's workbench in Debian's Chromium through playwright-core, against
// a verifund seeded with the living demo history (`verifund demo seed` without --requests).
//
//   BASE_URL=http://127.0.0.1:8080 ARTIFACTS_DIR=/tmp/shots node e2e/workbench.mjs
//
// Flow: 李四 on a 390 px phone ticks his to-do cards, approves them in one go with one opinion
// and reads the per-item result; the tab title counts his to-do. 王五 opens the finance
// dashboard (desktop and phone): both charts draw on a canvas with the seeded figures, the
// counters and lists stay below, and a click on an aging bar opens the filtered list.
// Exits 0 on success, 1 on failure; screenshots in ARTIFACTS_DIR.
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { ARTIFACTS_DIR, BASE_URL, DESKTOP, PASSWORD, PHONE, expect, harness, tid } from './harness.mjs'

const h = harness('workbench')
const { log, step, problems } = h
await h.preconditions()
const { context, page, work } = await h.launch({ viewport: PHONE })

async function shot(name, { full = true } = {}) {
  await page.waitForTimeout(400)
  await page.screenshot({ path: path.join(ARTIFACTS_DIR, `${name}.png`), fullPage: full })
}

async function login(username) {
  await page.goto(`${BASE_URL}/login`)
  await page.locator(tid('username')).fill(username)
  await page.locator(tid('password')).fill(PASSWORD)
  await page.locator(tid('login-submit')).click()
  await page.waitForURL((u) => !u.pathname.startsWith('/login'))
  await page.locator(tid('user-menu')).waitFor()
}

async function logout() {
  await page.locator(tid('user-menu')).click()
  await page.locator(tid('logout')).click()
  await page.waitForURL(/\/login/)
}

/** The chart's canvas has been drawn on (not blank). */
async function drawn(id) {
  const canvas = page.locator(`${tid(id)} canvas`).first()
  await canvas.waitFor()
  return canvas.evaluate((c) => {
    const ctx = c.getContext('2d')
    if (!ctx || c.width === 0 || c.height === 0) return false
    const data = ctx.getImageData(0, 0, c.width, c.height).data
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true
    return false
  })
}

try {
  await step('李四 on a phone ticks his to-do cards and approves them in one go', async () => {
    await login('lisi')
    await page.goto(`${BASE_URL}/tasks?bucket=manager_approval`)
    await page.locator(tid('task-check')).first().waitFor()
    const boxes = page.locator(tid('task-check'))
    const ticked = await boxes.count()
    expect(ticked >= 2, `expected several decidable cards, found ${ticked}`)
    await page.waitForFunction(() => /^\(\d+\) /.test(document.title))
    const title = await page.title()
    expect(/^\(\d+\) /.test(title), `the tab title counts the to-do: "${title}"`)
    for (let i = 0; i < ticked; i++) await boxes.nth(i).click()
    await expectText(tid('batch-bar'), `已选 ${ticked} 项`)
    await shot('01-tasks-phone-ticked', { full: false })
    await page.locator(tid('batch-approve')).click()
    const dialog = page.locator(tid('dialog-batch-approve'))
    await dialog.waitFor({ state: 'visible' })
    await dialog.locator(`${tid('batch-opinion')} textarea, textarea${tid('batch-opinion')}`).first().fill('一并同意')
    await shot('02-batch-opinion-phone', { full: false })
    await dialog.locator(tid('batch-confirm')).click()
    await dialog.locator(tid('batch-results')).waitFor()
    const results = dialog.locator(tid('batch-result'))
    expect((await results.count()) === ticked, `one result per ticked card`)
    const ok = await dialog.locator(`${tid('batch-result')}[data-status="200"]`).count()
    expect(ok === ticked, `all ${ticked} went through, ${ok} did`)
    await shot('03-batch-result-phone', { full: false })
    await dialog.locator(tid('batch-close')).click()
    await page.locator('.el-empty').first().waitFor()
    await shot('04-tasks-phone-cleared', { full: false })
    await logout()
  })

  await step('王五 sees the month at a glance: both charts drawn with the seeded figures', async () => {
    await page.setViewportSize(DESKTOP)
    await login('wangwu')
    await page.goto(`${BASE_URL}/finance/dashboard`)
    expect(await drawn('chart-monthly'), 'the monthly chart drew nothing')
    expect(await drawn('chart-aging'), 'the aging chart drew nothing')
    await page.locator(`${tid('dashboard-lists')}`).waitFor()
    expect((await page.locator('.tile').count()) >= 8, 'the counters stay below the charts')
    await shot('05-dashboard-desktop')
  })

  await step('the dashboard works at 390 px and an aging bar opens the filtered list', async () => {
    await page.setViewportSize(PHONE)
    await page.reload()
    expect(await drawn('chart-monthly'), 'the monthly chart drew nothing on a phone')
    expect(await drawn('chart-aging'), 'the aging chart drew nothing on a phone')
    const width = await page.evaluate(() => document.documentElement.scrollWidth)
    expect(width <= PHONE.width + 1, `the page scrolls sideways on a phone (${width} px wide)`)
    await shot('06-dashboard-phone')
    // The rightmost drawn bar: the oldest open refunds.
    const canvas = page.locator(`${tid('chart-aging')} canvas`).first()
    await canvas.scrollIntoViewIfNeeded()
    const box = await canvas.boundingBox()
    expect(box, 'the aging chart has a box')
    await clickLastBar(box)
    await page.waitForURL(/\/requests\?/)
    const url = new URL(page.url())
    expect(url.searchParams.get('status') === 'paid', `the list opens filtered to paid: ${url.search}`)
    await page.locator('.rcard').first().waitFor()
    await shot('07-aging-bar-opens-list-phone', { full: false })
  })

  if (problems.length) throw new Error(`browser reported problems:\n  ${problems.join('\n  ')}`)
} catch (e) {
  console.error(`[workbench] FAIL in step "${h.currentStep}": ${e.message}`)
  await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'failure.png'), fullPage: true }).catch(() => {})
  await context.close().catch(() => {})
  await rm(work, { recursive: true, force: true }).catch(() => {})
  process.exit(1)
}

async function expectText(selector, text) {
  await page.locator(selector, { hasText: text }).first().waitFor()
}

/** Clicks inside the rightmost drawn bar of a chart: scans columns of the canvas from the right. */
async function clickLastBar(box) {
  const point = await page.locator(`${tid('chart-aging')} canvas`).first().evaluate((c) => {
    const ctx = c.getContext('2d')
    const { width, height } = c
    const data = ctx.getImageData(0, 0, width, height).data
    const ratio = width / c.getBoundingClientRect().width
    // Bars are solid, saturated columns; axis lines and labels are grey.
    const coloured = (x, y) => {
      const i = (y * width + x) * 4
      const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]]
      return a > 200 && Math.max(r, g, b) - Math.min(r, g, b) > 60
    }
    const y = Math.floor(height * 0.85)
    for (let x = width - 1; x >= 0; x--) {
      if (coloured(x, y)) return { x: (x - 3 * ratio) / ratio, y: y / ratio }
    }
    return null
  })
  if (!point) throw new Error('no bar drawn near the bottom of the aging chart')
  await page.mouse.click(box.x + point.x, box.y + point.y)
}

await context.close()
await rm(work, { recursive: true, force: true })
log(`PASS: ${ARTIFACTS_DIR}`)
