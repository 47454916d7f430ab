import { defineStore } from 'pinia'
import { ref } from 'vue'
import * as endpoints from '@/api/endpoints'
import type { TaskCounts, Tasks } from '@/api/types'

/**
 * The caller's to-do counts, shared by the menu badge and the to-do page. The page keeps its
 * own page of items; the counts cover the whole list whichever page was fetched.
 */
export const useTasksStore = defineStore('tasks', () => {
  const counts = ref<TaskCounts | null>(null)
  const total = ref(0)

  /** Takes the counts from any page of the to-do. */
  function update(t: Pick<Tasks, 'counts' | 'total'>) {
    counts.value = t.counts
    total.value = t.total
  }

  /** Fetches the counts only (a one-item page: the counts and total do not depend on paging). */
  async function refresh(): Promise<void> {
    update(await endpoints.tasks({ page: 1, per_page: 1 }))
  }

  function clear() {
    counts.value = null
    total.value = 0
  }

  return { counts, total, update, refresh, clear }
})
