import { ElMessage } from 'element-plus'
import { ApiError } from '@/api/problem'
import { i18n } from '@/i18n'

/** A user-facing sentence for any failure: the server's localised detail when it gave one. */
export function errorText(err: unknown): string {
  const t = i18n.global.t
  if (err instanceof ApiError) {
    const p = err.problem
    switch (err.kind) {
      case 'network':
        return t('errors.network')
      case 'server':
        return p.detail || t('errors.server')
      case 'unavailable':
        return p.detail || t('errors.unavailable')
      case 'forbidden':
        return p.detail || t('errors.forbidden')
      case 'not_found':
        return p.detail || p.title || t('errors.notFound')
      default:
        if (p.detail && p.title && !p.detail.includes(p.title) && err.kind !== 'validation') return `${p.title}：${p.detail}`
        return p.detail || p.title || `HTTP ${err.status}`
    }
  }
  if (err instanceof Error) return err.message
  return String(err)
}

/** Shows a failure as a toast; a 401 is left to the client, which sends the user to login. */
export function showError(err: unknown): void {
  if (err instanceof ApiError && err.kind === 'unauthorized') return
  ElMessage.error({ message: errorText(err), grouping: true, duration: 5000, showClose: true })
}

export function isConflict(err: unknown): err is ApiError {
  return err instanceof ApiError && err.kind === 'conflict'
}
