import { defineStore } from 'pinia'
import { ref } from 'vue'
import * as endpoints from '@/api/endpoints'
import type { TaskCounts, Tasks } from '@/api/types'

/** The caller's to-do, shared by the menu badge and the to-do page. */
export const useTasksStore = defineStore('tasks', () => {
  const data = ref<Tasks | null>(null)
  const counts = ref<TaskCounts | null>(null)

  async function refresh(): Promise<Tasks> {
    const t = await endpoints.tasks()
    data.value = t
    counts.value = t.counts
    return t
  }

  function clear() {
    data.value = null
    counts.value = null
  }

  return { data, counts, refresh, clear }
})
