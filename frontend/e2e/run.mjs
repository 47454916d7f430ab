#!/usr/bin/env node
// End-to-end run of the verifund UI in Debian's Chromium through playwright-core.
//
//   BASE_URL=http://127.0.0.1:8080 ARTIFACTS_DIR=/tmp/shots node e2e/run.mjs
//
// BASE_URL     a running verifund serving this UI, demo users seeded (verifund demo seed)
// ARTIFACTS_DIR where screenshots go (default ./e2e-artifacts)
// CHROMIUM     browser binary (default /usr/bin/chromium)
// ADMIN_PASSWORD optional: also visit the admin screens as `admin`
//
// Flow: zhangsan registers a mini-program in the registry (enterprise, transfer), drafts a
// verification transfer by picking it, attaches a receipt, submits; lisi approves from the
// to-do list on a phone-width screen; wangwu signs off, finds it on the dashboard's lists and
// prints; zhaoliu records the payout with a receipt and wangwu the refund; zhangsan is
// refused the users admin. The approval chain (DESIGN §2.4): admin looks at the companies and
// approval rules; zhangsan pays 60,000.00 元 from 日升科技（深圳） copying in 孙七; lisi approves,
// wujiu delegates to zhouba, who approves the 分管领导 step for him; wangwu transfers the
// finance step to zhaoliu, who signs off; sunqi (copied in) reads it and comments. The UI
// switches to English; admin (with ADMIN_PASSWORD) sees the registry record's ID number
// unmasked. Exits 0 on success, 1 on failure.
import { writeFile, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { ARTIFACTS_DIR, BASE_URL, DESKTOP, PASSWORD, PHONE, expect, harness, tid } from './harness.mjs'

const h = harness('e2e')
const { log, step, watch, problems } = h
await h.preconditions()
const { context, page, work } = await h.launch({ viewport: DESKTOP, acceptDownloads: true })

// A real (tiny) PNG and PDF for the uploads: the server sniffs content, not names.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAADAAAAAYCAIAAAAzn+mLAAAAPElEQVR42mOQt4pHQ18POaEheqphGHXQqIOGnYMG1npMNaMOGnXQ8HPQaDk06qBRB43WZaMOGnXQEHcQAFTsDpu5keEzAAAAAElFTkSuQmCC',
  'base64',
)
const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
    '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
)
const receiptPng = path.join(work, '打款回单.png')
const refundPdf = path.join(work, 'refund-receipt.pdf')
const contractPng = path.join(work, 'verification-order.png')
await writeFile(receiptPng, PNG)
await writeFile(contractPng, PNG)
await writeFile(refundPdf, PDF)

/** Full-page screenshot by default; `full: false` keeps the viewport (dialogs, phone views). */
async function shot(name, p = page, { full = true } = {}) {
  await p.waitForTimeout(400) // let transitions and toasts settle
  if (full) await p.evaluate(() => window.scrollTo(0, 0))
  await p.screenshot({ path: path.join(ARTIFACTS_DIR, `${name}.png`), fullPage: full })
}

/** Fills an Element Plus input by data-test (the attribute lands on the native input). */
async function fill(id, value) {
  const el = page.locator(tid(id)).first()
  const tag = await el.evaluate((e) => e.tagName)
  const target = tag === 'INPUT' || tag === 'TEXTAREA' ? el : el.locator('input, textarea').first()
  await target.fill(value)
  await target.blur()
}

async function visibleMessage(text) {
  await page.locator('.el-message', { hasText: text }).first().waitFor({ state: 'visible' })
}

async function login(username, password = PASSWORD) {
  await page.goto(`${BASE_URL}/login`)
  await page.locator(tid('username')).fill(username)
  await page.locator(tid('password')).fill(password)
  await page.locator(tid('login-submit')).click()
  await page.waitForURL((u) => !u.pathname.startsWith('/login'))
  if (new URL(page.url()).pathname === '/change-password') {
    throw new Error(`${username} must change the password first; seed fresh demo users`)
  }
  await page.locator(tid('user-menu')).waitFor()
}

// A click on 退出登录 while the menu is still opening can be lost (seen once under load: the
// item hovered, the menu open, no navigation); the helper clicks again as a user would.
async function logout() {
  for (let attempt = 1; ; attempt++) {
    const item = page.locator(`${tid('logout')}:visible`)
    if ((await item.count()) === 0) await page.locator(tid('user-menu')).click()
    await item.click()
    try {
      await page.waitForURL(/\/login/, { timeout: 10_000 })
      return
    } catch (e) {
      if (attempt === 3) throw e
    }
  }
}

async function openRequest(id) {
  await page.goto(`${BASE_URL}/requests/${id}`)
  await page.locator(tid('request-status')).first().waitFor()
}

async function statusText() {
  return (await page.locator(tid('request-status')).first().innerText()).trim()
}

async function confirmMessageBox() {
  const box = page.locator('.el-message-box')
  await box.waitFor({ state: 'visible' })
  await box.locator('.el-message-box__btns .el-button--primary').click()
}

/** Submits from the detail page: the dialog picks who is copied in (抄送), by display name. */
async function submitWithCc(names = []) {
  await page.locator(`${tid('actions')} ${tid('action-submit')}`).click()
  const dialog = page.locator(tid('dialog-submit'))
  await dialog.waitFor()
  for (const name of names) await pickUser(dialog.locator(tid('cc-picker')), name)
  await dialog.locator(tid('submit-confirm')).click()
  await dialog.waitFor({ state: 'hidden' })
}

/** Picks a colleague in a UserPicker (a remote el-select over /users/directory). */
async function pickUser(picker, name) {
  await picker.locator('input').first().fill(name)
  await page.locator('.el-select-dropdown__item:visible', { hasText: name }).first().click()
  await page.keyboard.press('Escape')
}

/** The request's timeline entries of one action, as the sentences shown. */
async function timelineSentences(action) {
  return page.locator(`${tid('timeline')} [data-action="${action}"] ${tid('timeline-sentence')}`).allInnerTexts()
}

/** Calls the API with the page's session (setup and clean-up only). */
async function apiCall(method, url, body) {
  return page.evaluate(
    async ([m, u, b]) => {
      const headers = { Authorization: `Bearer ${localStorage.getItem('verifund.token')}`, 'Content-Type': 'application/json' }
      const r = await fetch(u, { method: m, headers, body: b === undefined ? undefined : JSON.stringify(b) })
      const text = await r.text()
      return { status: r.status, body: text ? JSON.parse(text) : null }
    },
    [method, url, body],
  )
}

async function approveInDialog(opinion) {
  const dialog = page.locator('.el-dialog:visible', { has: page.locator(tid('opinion')) })
  await dialog.waitFor()
  await dialog.locator(`${tid('opinion')}`).fill(opinion)
  await dialog.locator(tid('opinion-confirm')).click()
  await dialog.waitFor({ state: 'hidden' })
}

/** A valid 居民身份证号 (GB 11643) that differs per run, so reruns stay under the 5-per-ID limit. */
function residentId() {
  const W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  const birth = new Date(Date.UTC(1970, 0, 1) + Math.floor(Math.random() * 30 * 365) * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '')
  const first17 = `110105${birth}${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}`
  const sum = [...first17].reduce((acc, d, i) => acc + Number(d) * W[i], 0)
  return first17 + '10X98765432'[sum % 11]
}

const tag = `E2E-${Date.now().toString(36).toUpperCase()}`
const title = `小程序「日升优选${tag}」对公打款验证`
const amountYuan = `0.${String(10 + Math.floor(Math.random() * 89))}`
let requestId = null
let paidOut = false
let mpId = null
const mpName = `日升优选${tag}`
const mpAdminId = residentId()
const mpAdminPhone = `139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`

try {
  await step('login page shows and refuses a wrong password', async () => {
    await page.goto(`${BASE_URL}/`)
    await page.waitForURL(/\/login/)
    await page.locator(tid('login-submit')).waitFor()
    await shot('01-login')
    await page.locator(tid('username')).fill('no-such-user-e2e')
    await page.locator(tid('password')).fill('wrong-password')
    await page.locator(tid('login-submit')).click()
    const err = page.locator(tid('login-error'))
    await err.waitFor()
    expect((await err.innerText()).trim().length > 0, 'login error is empty')
  })

  await step('zhangsan logs in and sees the to-do with counts', async () => {
    await login('zhangsan')
    await page.waitForURL(/\/tasks/)
    await page.locator(tid('task-counts')).waitFor()
    expect((await page.locator('[data-bucket]').count()) === 5, 'expected five to-do counters')
    await shot('02-tasks-zhangsan')
  })

  await step('zhangsan registers a mini-program (enterprise, transfer) in the registry', async () => {
    const probe = await page.evaluate(async () => {
      const r = await fetch('/api/v1/mini-programs?per_page=1', { headers: { Authorization: `Bearer ${localStorage.getItem('verifund.token')}` } })
      return r.status
    })
    expect(probe === 200, `GET /api/v1/mini-programs answered ${probe}`)
    await page.locator(tid('menu-mini-programs')).click()
    await page.waitForURL(/\/mini-programs$/)
    await page.locator(tid('mp-new')).click()
    await page.waitForURL(/\/mini-programs\/new$/)
    await page.locator(tid('mp-form')).waitFor()
    await page.locator(tid('mp-rules'), { hasText: '一个身份证号/手机号最多 5 个小程序' }).waitFor()

    // Client checks mirror the server: a bad AppID, and no corporate transfer for an individual.
    await fill('mpf-appid', 'wx12345')
    await page.locator('.el-form-item.is-error', { hasText: 'AppID' }).waitFor()
    await page.locator(tid('mpf-entity-type')).click()
    await page.getByRole('option', { name: '个人', exact: true }).click()
    const transfer = page.locator(`${tid('mpf-method')} [data-method="transfer"]`)
    await transfer.locator('text=个人主体不能使用对公打款验证').waitFor()
    expect(await transfer.locator('input').isDisabled(), 'transfer is selectable for an individual')
    await shot('02b-mp-individual-no-transfer')
    await page.locator(tid('mpf-entity-type')).click()
    await page.getByRole('option', { name: '企业', exact: true }).click()

    await fill('mpf-name', mpName)
    await fill('mpf-appid', `wx${Date.now().toString(16).padStart(16, '0').slice(-16)}`)
    await fill('mpf-email', `mp-${tag.toLowerCase()}@risun.example.com`)
    await fill('mpf-entity-name', '日升科技（深圳）有限公司')
    await fill('mpf-credit-code', '91440300MA5DEM0019')
    await transfer.locator('input').check()
    await fill('mpf-admin-name', '张三')
    await fill('mpf-admin-id', mpAdminId)
    await fill('mpf-admin-phone', mpAdminPhone)
    expect((await page.locator('.el-form-item.is-error').count()) === 0, 'registry form still shows errors')
    await shot('02c-mp-form')
    await page.locator(tid('mpf-save')).click()
    await page.waitForURL(/\/mini-programs\/\d+$/)
    mpId = Number(new URL(page.url()).pathname.split('/').pop())
    await page.locator(tid('mp-status'), { hasText: '注册中' }).waitFor()
    // A requester sees the admin's ID number masked; the server says what is still to do.
    const idShown = (await page.locator(tid('mp-admin-id')).innerText()).trim()
    expect(idShown.includes('*') && idShown !== mpAdminId, `ID number not masked for zhangsan: ${idShown}`)
    await page.locator(tid('mp-warnings'), { hasText: '对公打款验证' }).waitFor()

    // The checklist: uploading a document ticks its item; the preview is a blob URL.
    const missingBefore = await page.locator(`${tid('mp-materials')} li:not(.done)`).count()
    expect(missingBefore > 0, 'no materials to tick for an enterprise')
    const first = page.locator(`${tid('mp-materials')} li:not(.done)`).first()
    const item = await first.getAttribute('data-item')
    const chooser = page.waitForEvent('filechooser')
    await first.locator(`${tid('material-upload')} .el-upload`).click()
    await (await chooser).setFiles(contractPng)
    const ticked = page.locator(`${tid('mp-materials')} li.done[data-item="${item}"]`)
    await ticked.waitFor()
    await ticked.locator(tid('material-preview')).click()
    const img = page.locator(tid('material-image-preview'))
    await img.waitFor()
    expect((await img.getAttribute('src')).startsWith('blob:'), 'material preview is not a blob URL')
    expect(await img.evaluate((i) => i.complete && i.naturalWidth > 0), 'material preview did not load')
    await page.keyboard.press('Escape')
    await img.waitFor({ state: 'hidden' })
    await shot('02d-mp-detail')

    await page.goto(`${BASE_URL}/mini-programs?q=${encodeURIComponent(tag)}`)
    const row = page.locator(`${tid('mp-table')} .el-table__row`, { hasText: mpName })
    await row.waitFor()
    expect((await row.locator('[data-mp-status="registering"]').count()) === 1, 'status tag missing in the registry list')
    await shot('02e-mp-list')
  })

  await step('zhangsan fills a new verification transfer, with client validation and 大写', async () => {
    await page.locator(tid('menu-new')).click()
    await page.waitForURL(/\/requests\/new/)
    await page.locator(tid('request-form')).waitFor()

    // Live 大写 per DESIGN §1.5 as the amount is typed.
    for (const [typed, words] of [
      ['1680.32', '人民币壹仟陆佰捌拾元零叁角贰分'],
      ['100.50', '人民币壹佰元零伍角整'],
      ['0.35', '人民币叁角伍分'],
      ['10', '人民币壹拾元整'],
    ]) {
      await fill('amount', typed)
      const got = (await page.locator(tid('amount-words')).first().innerText()).trim()
      expect(got.includes(words), `amount ${typed}: expected ${words}, got ${got}`)
    }

    // A wrong check character in the credit code and a short account are caught before sending.
    await fill('payer-credit-code', '91440300MA5DEM0018')
    await page.locator('.el-form-item.is-error', { hasText: '校验位' }).waitFor()
    await fill('payer-account', '1234 567')
    await page.locator('.el-form-item.is-error', { hasText: '8–32' }).waitFor()

    await fill('title', title)
    await fill('amount', amountYuan)
    await fill('purpose', '微信小程序注册主体验证打款，腾讯核实后原路退回（自动化测试）')
    await fill('payer-entity', '日升科技（深圳）有限公司')
    await fill('payer-credit-code', '91440300MA5DEM0019')
    await fill('payer-bank', '招商银行深圳分行')
    await fill('payer-account', '7559 1234 5610 801')
    await fill('payee-name', '财付通支付科技有限公司')
    await fill('payee-bank', '招商银行深圳分行营业部')
    await fill('payee-account', '755915707910607')
    await fill('transfer-remark', '100002')
    // 选择已登记的小程序: the record fills the mini-program fields (read-only while linked).
    // Pick only once the typed search has answered: the options are replaced when it does.
    const searched = page.waitForResponse(
      (r) => r.url().includes('/api/v1/mini-programs?') && r.url().includes(`q=${encodeURIComponent(tag)}`),
    )
    await page.locator(`${tid('mp-picker')} input`).fill(tag)
    await searched
    await page.locator('.el-select-dropdown__item:visible', { hasText: mpName }).click()
    await page.locator(tid('mp-linked')).waitFor()
    expect((await page.locator(tid('mp-name')).inputValue()) === mpName, 'picker did not fill the name')
    expect(await page.locator(tid('mp-name')).isDisabled(), 'linked fields are editable')
    const payBy = (await page.locator(tid('pay-by')).innerText()).trim()
    expect(/^\d{4}-\d{2}-\d{2}$/.test(payBy), `pay-by not computed: ${payBy}`)
    expect((await page.locator('.el-form-item.is-error').count()) === 0, 'form still shows errors')
    await shot('03-new-request')

    // Server field errors land next to the fields they name (a canned 422 for this one save).
    await page.route('**/api/v1/requests', async (route) => {
      if (route.request().method() !== 'POST') return route.fallback()
      await route.fulfill({
        status: 422,
        contentType: 'application/problem+json',
        body: JSON.stringify({
          type: 'about:blank',
          title: '输入有误',
          status: 422,
          detail: '2 个字段有误',
          code: 'validation_failed',
          errors: [
            { field: 'amount_fen', message: '服务器：金额超出本部门限额' },
            { field: 'mini_program.registration_email', message: '服务器：该注册邮箱已被使用' },
          ],
        }),
      })
    })
    await page.locator(tid('save-draft')).click()
    await page.locator('.el-form-item.is-error', { hasText: '服务器：金额超出本部门限额' }).locator(tid('amount')).waitFor()
    await page.locator('.el-form-item.is-error', { hasText: '服务器：该注册邮箱已被使用' }).locator(tid('mp-email')).waitFor()
    await shot('03b-server-field-errors')
    await page.unroute('**/api/v1/requests')
  })

  await step('zhangsan saves the draft, attaches a file, previews it and submits', async () => {
    const createPromise = page.waitForRequest((r) => r.method() === 'POST' && /\/api\/v1\/requests$/.test(r.url()))
    await page.locator(tid('save-draft')).click()
    const created = JSON.parse((await createPromise).postData() ?? '{}')
    expect(created.mini_program_id === mpId && created.mini_program === undefined, `create sent ${JSON.stringify({ id: created.mini_program_id, mp: created.mini_program })}`)
    await page.waitForURL(/\/requests\/\d+$/)
    requestId = Number(new URL(page.url()).pathname.split('/').pop())
    await page.locator(tid('request-mp-link')).waitFor()
    expect((await page.locator('.el-descriptions__cell', { hasText: mpName }).count()) > 0, 'snapshot of the record not shown')
    expect(Number.isInteger(requestId), 'no request id in the URL')
    expect((await statusText()) === '草稿', `status after save: ${await statusText()}`)
    // Only what allowed_actions offers: a draft of one's own can be submitted, not approved.
    expect((await page.locator(`${tid('actions')} ${tid('action-approve')}`).count()) === 0, 'approve offered to the requester')

    const chooser = page.waitForEvent('filechooser')
    await page.locator(`${tid('attachment-upload')} .el-upload`).click()
    await (await chooser).setFiles(contractPng)
    await page.locator(`[data-attachment="verification-order.png"]`).waitFor()
    await page.locator(`[data-attachment="verification-order.png"] ${tid('attachment-preview')}`).click()
    const img = page.locator(tid('image-preview'))
    await img.waitFor()
    expect((await img.getAttribute('src')).startsWith('blob:'), 'image preview is not a blob URL')
    expect(await img.evaluate((i) => i.complete && i.naturalWidth > 0), 'image preview did not load')
    await page.keyboard.press('Escape')

    // Edit the draft: only the changed fields and the version are sent (PATCH).
    await page.locator(`${tid('actions')} ${tid('action-edit')}`).click()
    await page.waitForURL(/\/edit$/)
    await page.locator(tid('request-form')).waitFor()
    await page.waitForFunction(() => document.querySelector('[data-test="title"]')?.value?.length > 0)
    const patchPromise = page.waitForRequest((r) => r.method() === 'PATCH' && /\/api\/v1\/requests\/\d+$/.test(r.url()))
    await fill('purpose', '微信小程序注册主体验证打款，腾讯核实后原路退回（自动化测试，已补充说明）')
    await page.locator(tid('save-draft')).click()
    const patch = JSON.parse((await patchPromise).postData() ?? '{}')
    expect(
      Object.keys(patch).sort().join() === 'purpose,version',
      `PATCH sent ${JSON.stringify(Object.keys(patch))}, expected only purpose and version`,
    )
    await page.waitForURL(/\/requests\/\d+$/)
    await page.locator('.pre', { hasText: '已补充说明' }).waitFor()

    await submitWithCc()
    await page.locator(tid('request-status'), { hasText: '待经理审批' }).waitFor()
    const number = (await page.locator(tid('request-number')).innerText()).trim()
    expect(/^YF\d{6}-\d{4}$/.test(number), `request number ${number}`)
    await shot('04-detail-submitted')
  })

  await step('the request list filters by status and finds the request', async () => {
    await page.goto(`${BASE_URL}/requests?status=pending_manager&q=${encodeURIComponent(tag)}`)
    const row = page.locator(`${tid('request-table')} .el-table__row`, { hasText: tag })
    await row.first().waitFor()
    expect((await row.count()) === 1, 'request not found exactly once in the filtered list')
    await page.goto(`${BASE_URL}/requests`)
    await page.locator(`${tid('request-table')} .el-table__row`).first().waitFor()
    await shot('05-request-list')
  })

  await step('zhangsan is refused the users admin', async () => {
    await page.goto(`${BASE_URL}/admin/users`)
    await page.locator(tid('forbidden')).waitFor()
    expect((await page.locator(tid('forbidden')).innerText()).includes('无权访问'), 'no 无权访问 message')
    expect((await page.locator(tid('menu-users')).count()) === 0, 'users menu shown to a requester')
    // The API refuses too, whatever the UI shows.
    const status = await page.evaluate(async () => {
      const token = localStorage.getItem('verifund.token')
      const r = await fetch('/api/v1/users', { headers: { Authorization: `Bearer ${token}` } })
      return r.status
    })
    expect(status === 403, `GET /api/v1/users as zhangsan answered ${status}`)
    await shot('06-forbidden')
  })

  await step('a 409 says someone else changed the request and reloads it', async () => {
    // Another tab (here: a direct API call) withdraws a request this page still shows as pending.
    const other = await page.evaluate(async (t) => {
      const headers = { Authorization: `Bearer ${localStorage.getItem('verifund.token')}`, 'Content-Type': 'application/json' }
      const body = {
        kind: 'certification_fee',
        title: `微信认证费 ${t}`,
        payer_entity: '日升科技（深圳）有限公司',
        payer_credit_code: '91440300MA5DEM0019',
        payer_bank: '招商银行深圳分行',
        payer_account: '755912345610801',
        payee_name: '深圳市腾讯计算机系统有限公司',
        payee_bank: '招商银行深圳分行',
        payee_account: '755900000010808',
        order_date: new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10),
        purpose: '小程序微信认证服务费',
        mini_program: { name: `认证${t}`, registration_email: `cert-${t.toLowerCase()}@risun.example.com`, entity_type: 'enterprise' },
      }
      const created = await (await fetch('/api/v1/requests', { method: 'POST', headers, body: JSON.stringify(body) })).json()
      await fetch(`/api/v1/requests/${created.id}/submit`, { method: 'POST', headers, body: JSON.stringify({ version: created.version }) })
      return created
    }, tag)
    expect(other.amount_fen === 30000, `certification fee default amount: ${other.amount_fen}`)
    await openRequest(other.id)
    expect((await statusText()) === '待经理审批', `second request: ${await statusText()}`)
    await page.evaluate(async (id) => {
      const headers = { Authorization: `Bearer ${localStorage.getItem('verifund.token')}`, 'Content-Type': 'application/json' }
      await fetch(`/api/v1/requests/${id}/withdraw`, { method: 'POST', headers, body: '{}' })
    }, other.id)
    await page.locator(`${tid('actions')} ${tid('action-withdraw')}`).click()
    await confirmMessageBox()
    await visibleMessage('已被他人修改')
    await page.locator(tid('request-status'), { hasText: '已撤回' }).waitFor()
    await shot('06b-conflict-reloaded', page, { full: false })
  })

  await step('a revoked session sends the user back to login', async () => {
    await page.evaluate(async () => {
      await fetch('/api/v1/auth/logout', { method: 'POST', headers: { Authorization: `Bearer ${localStorage.getItem('verifund.token')}` } })
    })
    await page.locator(tid('menu-requests')).click()
    await page.waitForURL(/\/login/)
    await page.locator('.el-alert', { hasText: '登录已失效' }).waitFor()
  })

  await step('lisi (manager) approves from the to-do list on a phone', async () => {
    await page.setViewportSize(PHONE)
    await login('lisi')
    await page.waitForURL(/\/tasks/)
    const card = page.locator(`${tid('task-item')}`, { hasText: tag })
    await card.waitFor()
    await shot('07-phone-tasks-lisi')

    await openRequest(requestId)
    const bigApprove = page.locator(`${tid('actions')} ${tid('action-approve')}`)
    await bigApprove.waitFor()
    const box = await bigApprove.boundingBox()
    expect(box && box.height >= 44 && box.width >= 150, `approve button too small on a phone: ${JSON.stringify(box)}`)
    await shot('08-phone-detail-lisi', page, { full: false })
    await shot('08b-phone-detail-lisi-full')

    await page.goto(`${BASE_URL}/tasks`)
    await card.locator('button', { hasText: '同意' }).click()
    await approveInDialog('情况属实，同意。')
    await visibleMessage('已同意')
    await openRequest(requestId)
    expect((await statusText()) === '待财务审批', `after manager approval: ${await statusText()}`)
    await logout()
    await page.setViewportSize(DESKTOP)
  })

  await step('wangwu (finance) signs off from the detail page', async () => {
    await login('wangwu')
    await page.locator(`${tid('task-table')} .el-table__row`, { hasText: tag }).waitFor()
    await shot('09-tasks-wangwu')
    await openRequest(requestId)
    // A reject needs an opinion: the dialog says so and sends nothing.
    await page.locator(`${tid('actions')} ${tid('action-reject')}`).click()
    const reject = page.locator(tid('dialog-reject'))
    await reject.locator(tid('opinion-confirm')).click()
    await reject.locator('.el-form-item__error', { hasText: '退回时必须填写审批意见' }).waitFor()
    await reject.locator('button', { hasText: '取消' }).click()
    await reject.waitFor({ state: 'hidden' })
    expect((await statusText()) === '待财务审批', 'the request changed after an empty reject')

    await page.locator(`${tid('actions')} ${tid('action-approve')}`).click()
    await approveInDialog('财务复核无误。')
    await page.locator(tid('request-status'), { hasText: '待打款' }).waitFor()
    await page.locator(`${tid('timeline')} [data-action="approve"]`).nth(1).waitFor()
    await shot('10-detail-approved')
  })

  await step('wangwu finds the approved request on the dashboard lists with exact totals', async () => {
    await page.goto(`${BASE_URL}/finance/dashboard`)
    const due = page.locator(tid('dash-due'))
    const row = due.locator(`[data-request="${requestId}"]`)
    await row.waitFor()
    const total = (await page.locator(tid('dash-due-total')).innerText()).trim()
    expect(/^¥[\d,]+\.\d{2}$/.test(total), `due-to-pay total: ${total}`)
    for (const id of ['refunds', 'overdue', 'mismatch']) {
      const t = (await page.locator(tid(`dash-${id}-total`)).innerText()).trim()
      expect(/^¥[\d,]+\.\d{2}$/.test(t), `${id} total: ${t}`)
    }
    await shot('10b-dashboard-lists')
    await row.locator('a').click()
    await page.waitForURL(new RegExp(`/requests/${requestId}$`))
    await page.locator(tid('request-status'), { hasText: '待打款' }).waitFor()
  })

  await step('wangwu prints the approval form (blob URL in a new window)', async () => {
    const popupPromise = page.waitForEvent('popup')
    await page.locator(tid('print')).click()
    const popup = await popupPromise
    watch(popup)
    await popup.waitForURL(/^blob:/)
    await popup.waitForLoadState()
    const text = await popup.locator('body').innerText()
    expect(text.includes('审批单'), 'print view has no 审批单 heading')
    expect(text.includes('李四') && text.includes('王五'), 'print view lacks the signatures')
    await popup.setViewportSize({ width: 900, height: 1200 })
    await shot('11-print', popup)
    await popup.close()
    await logout()
  })

  await step('zhaoliu records the payout with a receipt', async () => {
    await login('zhaoliu')
    await openRequest(requestId)
    const payout = page.locator(`${tid('actions')} ${tid('action-payout')}`)
    expect((await payout.count()) > 0, 'payout is not offered to a second finance user after the sign-off')
    await payout.click()
    const dialog = page.locator(tid('dialog-payout'))
    await dialog.locator(tid('payout-reference')).first().waitFor()
    await fill('payout-reference', `CMB${tag}`)
    await dialog.locator(tid('payout-receipt')).setInputFiles(receiptPng)
    await shot('12-payout-dialog', page, { full: false })
    await dialog.locator(tid('payout-confirm')).click()
    const outcome = await Promise.race([
      page.locator(tid('request-status'), { hasText: '已打款' }).waitFor().then(() => 'paid'),
      dialog.locator(tid('payout-error')).waitFor().then(() => 'error'),
    ])
    if (outcome === 'error') {
      const msg = (await dialog.locator(tid('payout-error')).innerText()).trim()
      throw new Error(`payout refused: ${msg}`)
    }
    paidOut = true
    await page.locator('[data-attachment="打款回单.png"]').waitFor()
    await shot('13-detail-paid')
    await logout()
  })

  if (paidOut) {
    await step('wangwu records the refund', async () => {
      await login('wangwu')
      await openRequest(requestId)
      await page.locator(`${tid('actions')} ${tid('action-refund')}`).click()
      const dialog = page.locator(tid('dialog-refund'))
      await dialog.locator(tid('refund-reference')).first().waitFor()
      await fill('refund-reference', `TENPAY${tag}`)
      await dialog.locator(tid('refund-receipt')).setInputFiles(refundPdf)
      await dialog.locator(tid('refund-confirm')).click()
      await page.locator(tid('request-status'), { hasText: '已退款' }).waitFor()
      await shot('14-detail-refunded')
    })

    await step('wangwu sees notifications, the finance dashboard, exports and a statement preview', async () => {
      await page.locator(tid('bell')).click()
      await page.locator('.el-popover:visible').waitFor()
      await shot('14b-notifications', page, { full: false })
      await page.keyboard.press('Escape')

      await page.goto(`${BASE_URL}/finance/dashboard`)
      await page.locator('.tile .n', { hasText: /^\d+$/ }).first().waitFor()
      await shot('14c-finance-dashboard')

      await page.goto(`${BASE_URL}/finance/exports`)
      const downloadPromise = page.waitForEvent('download')
      await page.locator('button', { hasText: 'ledger.xlsx' }).click()
      const download = await downloadPromise
      const saved = path.join(work, download.suggestedFilename())
      await download.saveAs(saved)
      const { size } = await stat(saved)
      expect(/\.xlsx$/.test(download.suggestedFilename()) && size > 1000, `ledger export: ${download.suggestedFilename()} ${size} bytes`)

      await page.goto(`${BASE_URL}/finance/bank-statements`)
      const csv = path.join(work, 'statement.csv')
      await writeFile(csv, `交易日期,金额,对方户名,对方账号,流水号\n2026-01-05,-0.01,某某公司,6222000000000000,X${tag}\n`)
      // Dropping (or choosing) the file previews it at once; the header reads as the generic layout.
      await page.locator(`${tid('statement-file')} input[type=file]`).setInputFiles(csv)
      await page.locator(tid('statement-result')).waitFor()
      await page.locator(tid('statement-format'), { hasText: '通用格式' }).waitFor()
      await shot('14d-bank-statement-preview')
      await logout()
    })
  } else if (new URL(page.url()).pathname !== '/login') {
    await logout()
  }

  await step('sunqi (auditor) reads the audit timeline', async () => {
    await login('sunqi')
    await page.goto(`${BASE_URL}/audit?request_id=${requestId}`)
    await page.locator(tid('audit-timeline')).waitFor()
    await shot('15-audit')
    await logout()
  })

  // ---- people: the organisation import and one's profile (DESIGN §2.5) ---------------------
  await step('admin previews an org chart with a manager loop, then imports a clean one', async () => {
    await login('admin', process.env.ADMIN_PASSWORD ?? PASSWORD)
    await page.goto(`${BASE_URL}/admin/users/import`)
    const bad = path.join(work, 'org-bad.csv')
    await writeFile(bad, '\ufeff用户名,姓名,部门,上级,角色\nloopa,甲,,loopb,经理\nloopb,乙,,loopa,经理\n')
    await page.locator('input[type=file]').setInputFiles(bad)
    const errorRow = page.locator(`${tid('org-errors')} .el-table__row`).first()
    await errorRow.waitFor()
    expect((await errorRow.innerText()).includes('循环'), 'the loop is not named in the preview')
    expect(await page.locator(tid('org-commit')).isDisabled(), 'commit is enabled although the preview has errors')
    await shot('15c-org-import-errors')
    await page.locator(tid('org-again')).click()
    const good = path.join(work, 'org-good.csv')
    const username = `e2e${Date.now().toString(36)}`
    await writeFile(good, `\ufeff用户名,姓名,部门,上级,角色,邮箱\n${username},导入测试,集团/测试部,lisi,申请人,${username}@example.com\n`)
    await page.locator('input[type=file]').setInputFiles(good)
    await page.locator(tid('org-preview')).waitFor()
    await page.waitForFunction(() => !document.querySelector('[data-test="org-commit"]')?.hasAttribute('disabled'))
    expect((await page.locator(tid('org-created')).innerText()).includes('1'), 'the preview does not count one new user')
    await page.locator(tid('org-commit')).click()
    await visibleMessage('组织架构已导入')
    await logout()
  })

  await step('zhangsan turns e-mail notifications off on the profile, and on again', async () => {
    await login('zhangsan')
    await page.locator(tid('user-menu')).click()
    await page.locator(tid('menu-profile')).click()
    await page.waitForURL(/\/profile/)
    const toggle = page.locator(`${tid('profile-email-notifications')}`).first()
    await toggle.waitFor()
    const on = async () => (await toggle.getAttribute('class'))?.includes('is-checked') ?? false
    expect(await on(), 'e-mail notifications are not on by default')
    await toggle.click()
    await page.locator(tid('profile-save')).click()
    await visibleMessage('已保存')
    const me = await apiCall('GET', '/api/v1/me')
    expect(me.body.email_notifications === false, 'the switch did not reach the server')
    await shot('15d-profile')
    await toggle.click()
    const saved = page.waitForResponse((r) => r.url().endsWith('/api/v1/me') && r.request().method() === 'PATCH')
    await page.locator(tid('profile-save')).click()
    expect((await saved).status() === 200, 'turning e-mail back on failed')
    await logout()
  })

  // ---- the approval chain (DESIGN §2.4) ----------------------------------------------------
  const chainTitle = `分管领导审批 ${tag}`
  let chainId = null

  await step('admin checks the companies and the approval rules', async () => {
    const adminPassword = process.env.ADMIN_PASSWORD ?? PASSWORD
    await page.goto(`${BASE_URL}/login`)
    await page.locator(tid('username')).fill('admin')
    await page.locator(tid('password')).fill(adminPassword)
    await page.locator(tid('login-submit')).click()
    const outcome = await Promise.race([
      page.locator(tid('user-menu')).waitFor().then(() => 'in'),
      page.locator(tid('login-error')).waitFor().then(() => 'refused'),
    ])
    if (outcome === 'refused') throw new Error('admin could not log in; set ADMIN_PASSWORD to admin\'s password (default: the demo one)')
    if (new URL(page.url()).pathname === '/change-password') throw new Error('admin must change the password first; set ADMIN_PASSWORD to a changed one')
    expect((await page.locator(tid('menu-companies')).count()) === 1, 'no companies entry in the admin menu')
    await page.goto(`${BASE_URL}/admin/companies`)
    const shenzhen = page.locator(`${tid('company-table')} .el-table__row`, { hasText: '日升科技（深圳）有限公司' })
    await shenzhen.waitFor()
    await page.locator(`${tid('company-table')} .el-table__row`, { hasText: '日升集团有限公司' }).waitFor()
    expect((await shenzhen.innerText()).includes('王五'), 'finance users of 日升科技（深圳） not listed')
    await shot('22-admin-companies')
    await shenzhen.locator(tid('company-edit')).click()
    const dialog = page.locator(tid('dialog-company'))
    await dialog.waitFor()
    expect((await dialog.locator(`${tid('company-name')}`).inputValue()) === '日升科技（深圳）有限公司', 'edit dialog not filled')
    await dialog.locator(`${tid('company-finance')} .el-tag`, { hasText: '赵六' }).waitFor()
    // A client check before anything is sent: an account number that is too short.
    await dialog.locator(tid('account-add')).click()
    await dialog.locator(tid('account-bank-1')).fill('测试银行')
    await dialog.locator(tid('account-number-1')).fill('1234')
    await dialog.locator(tid('company-save')).click()
    await dialog.locator('.el-form-item.is-error', { hasText: '8–32' }).waitFor()
    await shot('22b-admin-company-edit', page, { full: false })
    await dialog.locator('button', { hasText: '取消' }).click()
    await dialog.waitFor({ state: 'hidden' })

    expect((await page.locator(tid('menu-approval-rules')).count()) === 1, 'no approval rules entry in the admin menu')
    await page.goto(`${BASE_URL}/admin/approval-rules`)
    const rule = page.locator(`${tid('rules')} [data-rule]`, { hasText: '分管领导' }).first()
    await rule.waitFor()
    expect((await rule.locator(`input${tid('rule-min-amount')}, ${tid('rule-min-amount')} input`).first().inputValue()).replace(/,/g, '') === '50000.00', 'default rule minimum is not 50,000.00 元')
    await rule.locator(tid('rule-summary'), { hasText: '上一级领导' }).waitFor()
    // Server field errors (rules[0].approver_ids) land on the rule they name (a canned 422, nothing saved).
    await page.route('**/api/v1/approval-rules', async (route) => {
      if (route.request().method() !== 'PUT') return route.fallback()
      await route.fulfill({
        status: 422,
        contentType: 'application/problem+json',
        body: JSON.stringify({
          type: 'about:blank', title: '输入有误', status: 422, detail: '1 个字段有误', code: 'validation_failed',
          errors: [{ field: 'rules[0].approver_ids', message: '服务器：审批人 999 不存在或已停用' }],
        }),
      })
    })
    await page.locator(`${tid('rules')} [data-rule="0"] ${tid('rule-mode')} label`, { hasText: '会签' }).click()
    await page.locator(tid('rules-dirty')).waitFor()
    await page.locator(tid('rules-save')).click()
    await page.locator(`${tid('rules')} [data-rule="0"] .el-form-item.is-error`, { hasText: '服务器：审批人 999' }).waitFor()
    await shot('23-admin-approval-rules')
    await page.unroute('**/api/v1/approval-rules')
    await page.locator('button', { hasText: '放弃修改' }).click()
    await page.locator(tid('rules-dirty')).waitFor({ state: 'hidden' })
    await logout()
  })

  await step('zhangsan pays 60,000.00 元 from 日升科技（深圳） and submits, copying in 孙七', async () => {
    await login('zhangsan')
    await page.goto(`${BASE_URL}/requests/new`)
    await page.locator(tid('request-form')).waitFor()
    await page.locator(`${tid('kind')} [data-kind="advance_payment"]`).click()
    await fill('title', chainTitle)
    await fill('amount', '60000.00')
    await fill('purpose', '分管领导审批流程（自动化测试）')
    await page.locator(tid('company-picker')).click()
    await page.locator('.el-select-dropdown__item:visible', { hasText: '日升科技（深圳）有限公司' }).click()
    // The payer comes from the company, read-only, with its default account.
    await page.waitForFunction(() => document.querySelector('[data-test="payer-entity"]')?.value === '日升科技（深圳）有限公司')
    expect(await page.locator(tid('payer-entity')).isDisabled(), 'payer fields editable with a company picked')
    expect((await page.locator(tid('payer-account')).inputValue()).length >= 8, 'default account not filled in')
    await page.locator(tid('include-mp')).click()
    await fill('payee-name', '深圳市前海供应链管理有限公司')
    await fill('payee-bank', '招商银行深圳分行')
    await fill('payee-account', '755918800010501')
    expect((await page.locator('.el-form-item.is-error').count()) === 0, 'form still shows errors')
    await shot('24-new-request-company')
    const createPromise = page.waitForRequest((r) => r.method() === 'POST' && /\/api\/v1\/requests$/.test(r.url()))
    const submitPromise = page.waitForRequest((r) => r.method() === 'POST' && /\/api\/v1\/requests\/\d+\/submit$/.test(r.url()))
    await page.locator(tid('save-submit')).click()
    const dialog = page.locator(tid('dialog-submit'))
    await dialog.waitFor()
    await pickUser(dialog.locator(tid('cc-picker')), '孙七')
    await shot('24b-submit-cc', page, { full: false })
    await dialog.locator(tid('submit-confirm')).click()
    const created = JSON.parse((await createPromise).postData() ?? '{}')
    expect(Number.isInteger(created.company_id) && created.payer_entity === undefined, `create sent ${JSON.stringify({ company_id: created.company_id, payer_entity: created.payer_entity })}`)
    const submitted = JSON.parse((await submitPromise).postData() ?? '{}')
    expect(Array.isArray(submitted.cc_user_ids) && submitted.cc_user_ids.length === 1, `submit sent ${JSON.stringify(submitted)}`)
    await page.waitForURL(/\/requests\/\d+$/)
    chainId = Number(new URL(page.url()).pathname.split('/').pop())
    await page.locator(tid('request-status'), { hasText: '待经理审批' }).waitFor()
    const names = await page.locator(`${tid('chain')} [data-step-name]`).evaluateAll((els) => els.map((e) => e.getAttribute('data-step-name')))
    expect(names.join('>') === '经理审批>分管领导>财务审批', `chain: ${names.join('>')}`)
    await page.locator(tid('chain-cc'), { hasText: '孙七' }).waitFor()
    await page.locator(tid('current-step'), { hasText: '经理审批（李四）' }).waitFor()
    await page.locator(tid('request-company')).waitFor()
    await shot('25-chain-submitted')
    await logout()
  })

  await step('lisi approves; the request then waits on 分管领导（吴九）', async () => {
    await login('lisi')
    const row = page.locator(`${tid('task-table')} .el-table__row`, { hasText: chainTitle })
    await row.locator(tid('current-step-caption'), { hasText: '经理审批（李四）' }).waitFor()
    await openRequest(chainId)
    await page.locator(`${tid('actions')} ${tid('action-transfer')}`).waitFor()
    await page.locator(`${tid('actions')} ${tid('action-add-approver')}`).waitFor()
    await page.locator(`${tid('actions')} ${tid('action-approve')}`).click()
    await approveInDialog('同意，金额较大请分管领导审批。')
    await page.locator(tid('current-step'), { hasText: '分管领导（吴九）' }).waitFor()
    expect((await statusText()) === '待经理审批', `after the manager step: ${await statusText()}`)
    // Until 吴九 acts, lisi may take the approval back.
    await page.locator(`${tid('actions')} ${tid('action-recall')}`).waitFor()
    await logout()
  })

  await step('wujiu names zhouba his delegate for today', async () => {
    await login('wujiu')
    await page.locator(`${tid('task-table')} .el-table__row`, { hasText: chainTitle }).locator(tid('current-step-caption'), { hasText: '分管领导（吴九）' }).waitFor()
    // A rerun on the same day: revoke the delegation an earlier run left.
    const me = (await apiCall('GET', '/api/v1/me')).body
    for (const d of (await apiCall('GET', '/api/v1/delegations')).body ?? []) {
      if (d.approver_id === me.id && (d.state === 'active' || d.state === 'upcoming')) await apiCall('DELETE', `/api/v1/delegations/${d.id}`)
    }
    await page.locator(tid('menu-delegations')).click()
    await page.waitForURL(/\/delegations$/)
    await page.locator(tid('delegation-create')).click()
    const dialog = page.locator(tid('dialog-delegation'))
    await dialog.waitFor()
    await pickUser(dialog.locator(tid('delegation-delegate')), '周八')
    await shot('26-delegation-create', page, { full: false })
    await dialog.locator(tid('delegation-save')).click()
    await dialog.waitFor({ state: 'hidden' })
    const row = page.locator(`${tid('delegation-table')} .el-table__row`, { hasText: '周八' }).first()
    await row.locator('[data-state="active"]').waitFor()
    await shot('27-delegations')
    await logout()
  })

  await step('zhouba approves the 分管领导 step on behalf of 吴九', async () => {
    await login('zhouba')
    await page.locator(`${tid('task-table')} .el-table__row`, { hasText: chainTitle }).waitFor()
    await openRequest(chainId)
    await page.locator(`${tid('actions')} ${tid('action-approve')}`).click()
    await approveInDialog('代吴九审批：同意。')
    await page.locator(tid('request-status'), { hasText: '待财务审批' }).waitFor()
    await page.locator(`${tid('chain')} [data-step-name="分管领导"] [data-delegated="true"]`, { hasText: '周八（代 吴九）' }).waitFor()
    const said = await page.locator(`${tid('timeline')} [data-on-behalf="true"][data-action="approve"] ${tid('timeline-sentence')}`).first().innerText()
    expect(said.includes('周八 代 吴九 同意'), `timeline says: ${said}`)
    await shot('28-delegate-approved')
    await logout()
  })

  await step('wangwu transfers the finance sign-off to zhaoliu', async () => {
    await login('wangwu')
    await openRequest(chainId)
    await page.locator(`${tid('actions')} ${tid('action-transfer')}`).click()
    const dialog = page.locator(tid('dialog-transfer'))
    await dialog.waitFor()
    await pickUser(dialog.locator(tid('handoff-user')), '赵六')
    await dialog.locator(`textarea${tid('handoff-comment')}, ${tid('handoff-comment')} textarea`).first().fill('请赵六复核。')
    await shot('29-transfer-dialog', page, { full: false })
    await dialog.locator(tid('handoff-confirm')).click()
    const outcome = await Promise.race([
      dialog.waitFor({ state: 'hidden' }).then(() => 'done'),
      dialog.locator(tid('handoff-error')).waitFor().then(() => 'error'),
      dialog.locator('.el-form-item__error').first().waitFor().then(() => 'error'),
    ])
    if (outcome === 'error') throw new Error(`transfer refused: ${(await dialog.innerText()).replace(/\s+/g, ' ').slice(0, 300)}`)
    await page.locator(tid('current-step'), { hasText: '财务审批（赵六）' }).waitFor()
    const said = await timelineSentences('transfer')
    expect(said.some((x) => x.includes('王五 转交给 赵六')), `transfer in the timeline: ${JSON.stringify(said)}`)
    await logout()
  })

  await step('zhaoliu signs off', async () => {
    await login('zhaoliu')
    await page.locator(`${tid('task-table')} .el-table__row`, { hasText: chainTitle }).waitFor()
    await openRequest(chainId)
    await page.locator(`${tid('actions')} ${tid('action-approve')}`).click()
    await approveInDialog('财务复核无误。')
    await page.locator(tid('request-status'), { hasText: '待打款' }).waitFor()
    await logout()
  })

  await step('sunqi (copied in) reads the chain and comments', async () => {
    await login('sunqi')
    await openRequest(chainId)
    await page.locator(tid('chain-cc'), { hasText: '孙七' }).waitFor()
    expect((await page.locator(`${tid('chain')} [data-step-state="done"]`).count()) === 3, 'not every step is done')
    expect((await timelineSentences('transfer')).some((x) => x.includes('王五 转交给 赵六')), 'no transfer in the timeline')
    expect((await page.locator(`${tid('timeline')} [data-on-behalf="true"]`).count()) >= 1, 'no delegated entry in the timeline')
    await page.locator(`${tid('comment-box')} textarea`).fill('@zhangsan 已阅，请按时打款。')
    await page.locator(tid('comment-send')).click()
    await page.locator(`${tid('timeline')} [data-action="comment"]`, { hasText: '已阅，请按时打款' }).waitFor()
    await shot('30-chain-done-cc')
    await page.setViewportSize(PHONE)
    await page.locator(tid('chain')).scrollIntoViewIfNeeded()
    await shot('31-phone-chain', page, { full: false })
    await page.setViewportSize(DESKTOP)
    await logout()
  })

  await step('the UI switches to English', async () => {
    await login('zhangsan')
    await page.locator(tid('lang-switch')).click()
    await page.locator(tid('lang-en')).click()
    await page.locator(tid('menu-tasks'), { hasText: 'My to-do' }).waitFor()
    await page.locator(tid('menu-requests'), { hasText: 'Requests' }).waitFor()
    expect((await page.locator('html').getAttribute('lang')) === 'en', 'html lang is not en')
    await page.goto(`${BASE_URL}/requests`)
    await page.locator('.el-table__header', { hasText: 'Amount' }).waitFor()
    await page.locator('.el-pagination', { hasText: 'Total' }).waitFor() // Element Plus locale follows
    await shot('16-english-list')
    await openRequest(requestId)
    await page.locator('.el-step__title', { hasText: 'Manager' }).waitFor()
    await shot('17-english-detail')
    // Server messages follow the language too (the client sends Accept-Language: en).
    await page.goto(`${BASE_URL}/requests/999999999`)
    const result = page.locator('.el-result__title')
    await result.waitFor()
    const msg = (await result.innerText()).trim()
    expect(/^[\x20-\x7E]+$/.test(msg) && msg.length > 0, `server message not in English: ${msg}`)
    await page.locator(tid('lang-switch')).click()
    await page.locator(tid('lang-zh-CN')).click()
    await page.locator(tid('menu-tasks'), { hasText: '我的待办' }).waitFor()
  })

  if (process.env.ADMIN_PASSWORD) {
    const newUser = `e2e_${tag.toLowerCase().replace(/[^a-z0-9]/g, '')}`
    const firstPassword = `first-${tag}`
    const ownPassword = `own-${tag}`
    await step('admin creates a user in the users admin', async () => {
      await logout()
      await login('admin', process.env.ADMIN_PASSWORD)
      await page.goto(`${BASE_URL}/mini-programs/${mpId}`)
      const idShown = page.locator(tid('mp-admin-id'))
      await idShown.waitFor()
      expect((await idShown.innerText()).trim() === mpAdminId, `admin sees ${await idShown.innerText()}, not ${mpAdminId}`)
      expect((await page.locator(tid('mp-admin-phone')).innerText()).trim() === mpAdminPhone, 'admin phone masked for admin')
      if (paidOut) await page.locator(tid('mp-status'), { hasText: '已验证' }).waitFor() // refunded → verified
      await page.locator(`${tid('mp-requests')} a`, { hasText: /YF\d{6}-\d{4}/ }).first().waitFor()
      await shot('18a-admin-mp-detail')
      await page.goto(`${BASE_URL}/admin/users`)
      await page.locator(`${tid('user-table')} .el-table__row`).first().waitFor()
      await shot('18-admin-users')
      await page.locator(tid('user-create')).click()
      await fill('user-username', newUser)
      await fill('user-display-name', '测试员')
      await fill('user-password', firstPassword)
      await shot('19-admin-user-create', page, { full: false })
      await page.locator(tid('user-save')).click()
      await page.locator(`${tid('user-table')} .el-table__row`, { hasText: newUser }).waitFor()
      await page.goto(`${BASE_URL}/admin/departments`)
      await page.locator(`${tid('department-table')} .el-table__row`).first().waitFor()
      await shot('20-admin-departments')
      await page.goto(`${BASE_URL}/admin/calendar`)
      await page.locator('.el-tag', { hasText: '-10-01' }).first().waitFor() // 国庆节 in the shipped schedule
      await shot('20b-admin-calendar')
      await logout()
    })

    await step('a new user must change the password, then logs in again', async () => {
      await page.goto(`${BASE_URL}/login`)
      await page.locator(tid('username')).fill(newUser)
      await page.locator(tid('password')).fill(firstPassword)
      await page.locator(tid('login-submit')).click()
      await page.waitForURL(/\/change-password/)
      await page.locator(tid('must-change')).waitFor()
      // The forced page cannot be left for the app.
      await page.goto(`${BASE_URL}/tasks`)
      await page.waitForURL(/\/change-password/)
      await page.locator(tid('current-password')).fill(firstPassword)
      await page.locator(tid('new-password')).fill(ownPassword)
      await page.locator(tid('confirm-password')).fill(ownPassword)
      await shot('21-must-change-password')
      await page.locator(tid('change-password-submit')).click()
      await page.waitForURL(/\/login/)
      await login(newUser, ownPassword)
      await page.waitForURL(/\/tasks/)
    })
  }

  if (problems.length) throw new Error(`browser reported problems:\n  ${problems.join('\n  ')}`)
} catch (e) {
  console.error(`[e2e] FAIL in step "${h.currentStep}": ${e.message}`)
  try {
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'failure.png'), fullPage: true })
    console.error(`[e2e] screenshot: ${path.join(ARTIFACTS_DIR, 'failure.png')} (page ${page.url()})`)
  } catch {
    // the page may be gone
  }
  await context.close().catch(() => {})
  await rm(work, { recursive: true, force: true }).catch(() => {})
  process.exit(1)
}

await context.close()
await rm(work, { recursive: true, force: true })
log(`PASS: request #${requestId} went through the flow${paidOut ? ' incl. payout and refund' : ''}; screenshots in ${ARTIFACTS_DIR}`)
