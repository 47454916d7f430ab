import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import * as endpoints from '@/api/endpoints'
import type { Role, UserView } from '@/api/types'

const TOKEN_KEY = 'verifund.token'

function readToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY)
  } catch {
    return null
  }
}

function writeToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token)
    else localStorage.removeItem(TOKEN_KEY)
  } catch {
    // the session then lives in memory only
  }
}

export const useAuthStore = defineStore('auth', () => {
  const token = ref<string | null>(readToken())
  const user = ref<UserView | null>(null)

  const isLoggedIn = computed(() => token.value !== null)
  const roles = computed<Role[]>(() => user.value?.roles ?? [])

  function hasRole(role: Role): boolean {
    return roles.value.includes(role)
  }

  function hasAnyRole(wanted: readonly Role[]): boolean {
    return wanted.some((r) => roles.value.includes(r))
  }

  function start(res: { access_token: string; user: UserView }): UserView {
    token.value = res.access_token
    user.value = res.user
    writeToken(res.access_token)
    return res.user
  }

  async function login(username: string, password: string): Promise<UserView> {
    return start(await endpoints.login(username, password))
  }

  /** Finishes a single sign-on: the code from `/login/sso?code=…` becomes the session. */
  async function loginWithSsoCode(code: string): Promise<UserView> {
    return start(await endpoints.ssoExchange(code))
  }

  /** Loads the caller once per page load (the token may have outlived the tab). */
  async function ensureUser(): Promise<UserView | null> {
    if (!token.value) return null
    if (!user.value) user.value = await endpoints.me()
    return user.value
  }

  /** Forgets the session locally; `revoke` also ends it on the server. */
  async function logout(revoke = true): Promise<void> {
    if (revoke && token.value) {
      try {
        await endpoints.logout()
      } catch {
        // already invalid or unreachable: the local session ends regardless
      }
    }
    token.value = null
    user.value = null
    writeToken(null)
  }

  return { token, user, isLoggedIn, roles, hasRole, hasAnyRole, login, loginWithSsoCode, ensureUser, logout }
})
