// Remembers a list's filters per signed-in user in localStorage, so 申请列表 opens as it was
// left (by this user, on this browser) when reached from the menu.

function key(list: string, userId: number): string {
  return `verifund.filters.${list}.${userId}`
}

/** The query last saved for `list` by `userId`, or null. */
export function recalled(list: string, userId: number | undefined): Record<string, string> | null {
  if (userId === undefined) return null
  try {
    const raw = localStorage.getItem(key(list, userId))
    if (!raw) return null
    const v: unknown = JSON.parse(raw)
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return null
    const out: Record<string, string> = {}
    for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val
    return Object.keys(out).length ? out : null
  } catch {
    return null
  }
}

/** Saves the filters (the page number is not worth remembering); an empty query forgets. */
export function remember(list: string, userId: number | undefined, query: Record<string, string>): void {
  if (userId === undefined) return
  const filters = Object.fromEntries(Object.entries(query).filter(([k]) => k !== 'page'))
  try {
    if (Object.keys(filters).length === 0) localStorage.removeItem(key(list, userId))
    else localStorage.setItem(key(list, userId), JSON.stringify(filters))
  } catch {
    // Private mode or a full storage: the list simply starts empty next time.
  }
}
