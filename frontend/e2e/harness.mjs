// What every browser run shares: its settings from the environment, step logging, the
// preconditions (a running verifund that serves the built UI, a Chromium to drive), one way
// to launch Chromium, and the browser's own complaints (page errors, CSP, console errors)
// collected so that a run fails on them.
import { chromium } from 'playwright-core'
import { access, mkdir, mkdtemp } from 'node:fs/promises'
import { constants } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

export const BASE_URL = (process.env.BASE_URL ?? '').replace(/\/+$/, '')
export const ARTIFACTS_DIR = path.resolve(process.env.ARTIFACTS_DIR ?? 'e2e-artifacts')
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
export const PASSWORD = process.env.DEMO_PASSWORD ?? 'verifund-demo'
// Generous: CI runs this beside the rest of the suite on two cores.
export const STEP_TIMEOUT = Number(process.env.E2E_STEP_TIMEOUT ?? 30_000)

export const DESKTOP = { width: 1440, height: 900 }
export const PHONE = { width: 390, height: 844 }

export const tid = (id) => `[data-test="${id}"]`

export function expect(cond, msg) {
  if (!cond) throw new Error(msg)
}

/** A run's log, steps and collected problems; `tag` prefixes its lines. */
export function harness(tag) {
  const problems = []
  let currentStep = 'start'
  const log = (msg) => console.log(`[${tag}] ${msg}`)
  const fail = (msg) => {
    console.error(`[${tag}] FAIL: ${msg}`)
    process.exit(1)
  }
  return {
    tag,
    problems,
    log,
    fail,
    get currentStep() {
      return currentStep
    },
    async step(name, fn) {
      currentStep = name
      const t0 = Date.now()
      await fn()
      log(`ok  ${name} (${Date.now() - t0} ms)`)
    },
    /** CSP violations and console errors (Vue reports a failed handler there) are bugs;
     * expected API refusals (401/403/404/409/422 resource loads) are not. */
    watch(page) {
      page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.message}`))
      page.on('console', (m) => {
        const text = m.text()
        if (/Content Security Policy|Refused to/i.test(text)) problems.push(`CSP: ${text}`)
        else if (m.type() === 'error' && !/status of (40[0-9]|42[0-9])/.test(text)) problems.push(`console: ${text}`)
      })
    },
    /** BASE_URL answers /healthz and serves the built UI; Chromium is there. */
    async preconditions() {
      if (!BASE_URL) fail('BASE_URL is not set (a running verifund with demo users seeded, e.g. http://127.0.0.1:8080)')
      try {
        await access(CHROMIUM, constants.X_OK)
      } catch {
        fail(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM)`)
      }
      try {
        const res = await fetch(`${BASE_URL}/healthz`)
        if (!res.ok) fail(`${BASE_URL}/healthz answered ${res.status}`)
      } catch (e) {
        fail(`cannot reach ${BASE_URL}/healthz: ${e.cause?.code ?? e.message}`)
      }
      // The UI must be served, not the API only (and not a placeholder page).
      const html = await (await fetch(`${BASE_URL}/`)).text()
      if (!/<div id="app">/.test(html)) fail(`${BASE_URL}/ does not serve the web UI (no #app element); is frontend/dist embedded?`)
      if (/\/src\/main\.ts/.test(html)) {
        fail(`${BASE_URL}/ serves the Vite source index.html (it loads /src/main.ts); embed the built frontend/dist instead`)
      }
    },
    /** Chromium with a fresh profile in a scratch directory (`work`, also for the run's files). */
    async launch({ viewport = DESKTOP, acceptDownloads = false } = {}) {
      await mkdir(ARTIFACTS_DIR, { recursive: true })
      const work = await mkdtemp(path.join(tmpdir(), `verifund-${tag}-`))
      const context = await chromium.launchPersistentContext(path.join(work, 'profile'), {
        executablePath: CHROMIUM,
        headless: true,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
        viewport,
        locale: 'zh-CN',
        timezoneId: 'Asia/Shanghai',
        acceptDownloads,
      })
      context.setDefaultTimeout(STEP_TIMEOUT)
      const page = context.pages()[0] ?? (await context.newPage())
      this.watch(page)
      return { context, page, work }
    },
  }
}
