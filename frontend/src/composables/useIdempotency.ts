import { newIdempotencyKey } from '@/api/client'

/**
 * One Idempotency-Key per distinct body: a retry of the same body (double click, lost
 * response) reuses the key so the server records it once; an edited body gets a fresh
 * key, since the same key with another body is refused (DESIGN §2.1).
 */
export function useIdempotencyKey() {
  let key = newIdempotencyKey()
  let lastBody: string | null = null
  return {
    reset() {
      key = newIdempotencyKey()
      lastBody = null
    },
    keyFor(body: unknown): string {
      const json = JSON.stringify(body)
      if (lastBody !== null && lastBody !== json) key = newIdempotencyKey()
      lastBody = json
      return key
    },
  }
}
