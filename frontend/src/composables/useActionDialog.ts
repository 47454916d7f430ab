import { ref, type Ref } from 'vue'
import { ElMessage } from 'element-plus'
import { ApiError, isStale, mapFieldErrors } from '@/api/problem'
import { i18n } from '@/i18n'
import { errorText } from './useErrors'

/**
 * The failure handling the dialogs of a request action share (payout, refund, resolve):
 * field errors next to the fields the form shows, the rest in one line at the top; a stale
 * version or state closes the dialog and asks the page to reload (`onConflict`).
 */
export function useActionDialog(opts: {
  open: Ref<boolean>
  fields: readonly string[]
  aliases?: Record<string, string>
  onConflict: () => void
}) {
  const serverErrors = ref<Record<string, string>>({})
  const failure = ref('')
  const busy = ref(false)

  function reset() {
    serverErrors.value = {}
    failure.value = ''
  }

  /** Runs the call; its answer, or null when it failed (and the failure is shown). */
  async function run<T>(call: () => Promise<T>): Promise<T | null> {
    reset()
    busy.value = true
    try {
      return await call()
    } catch (e) {
      if (e instanceof ApiError && e.kind === 'validation') {
        const { byField, rest } = mapFieldErrors(e.fieldErrors, opts.fields, opts.aliases)
        serverErrors.value = byField
        failure.value = rest.map((x) => `${x.field}：${x.message}`).join('；') || (e.fieldErrors.length ? '' : errorText(e))
      } else if (isStale(e)) {
        opts.open.value = false
        ElMessage.warning({ message: i18n.global.t('detail.conflict'), duration: 5000 })
        opts.onConflict()
      } else {
        failure.value = errorText(e)
      }
      return null
    } finally {
      busy.value = false
    }
  }

  return { serverErrors, failure, busy, reset, run }
}
