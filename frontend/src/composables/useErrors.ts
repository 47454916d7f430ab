import { ElMessage } from 'element-plus'
import { ApiError, conflictCode, conflictCodeOf, type ConflictCode, type Problem } from '@/api/problem'
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
      case 'conflict':
        return conflictText(p)
      default:
        if (p.detail && p.title && !p.detail.includes(p.title) && err.kind !== 'validation') return `${p.title}：${p.detail}`
        return p.detail || p.title || `HTTP ${err.status}`
    }
  }
  if (err instanceof Error) return err.message
  return String(err)
}

/** A 409 in words: the server's detail, else the label of its code, else its title. */
function conflictText(p: Problem): string {
  const code = conflictCodeOf(p)
  return p.detail || (code ? i18n.global.t(`conflictCode.${code}`) : p.title) || `HTTP ${p.status}`
}

/**
 * A conflict that belongs to one field of the form ("username taken"), with its message, so
 * the form can show it next to the field: `fields` maps the codes this form knows to its props.
 */
export function conflictOnField(err: unknown, fields: Partial<Record<ConflictCode, string>>): { field: string; message: string } | null {
  const code = conflictCode(err)
  const field = code ? fields[code] : undefined
  if (!field || !(err instanceof ApiError)) return null
  return { field, message: conflictText(err.problem) }
}

/** Shows a failure as a toast; a 401 is left to the client, which sends the user to login. */
export function showError(err: unknown): void {
  if (err instanceof ApiError && err.kind === 'unauthorized') return
  ElMessage.error({ message: errorText(err), grouping: true, duration: 5000, showClose: true })
}

export function isConflict(err: unknown): err is ApiError {
  return err instanceof ApiError && err.kind === 'conflict'
}
