// Blob URLs for content fetched with the token (attachments, the print form, exports).
// The server's CSP allows blob: images but not blob: frames, so PDFs and the print form
// open in a new window rather than an iframe.

export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  a.rel = 'noopener'
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}

/**
 * Opens a window synchronously (inside the click, so pop-up blockers allow it) and later
 * points it at a blob URL once the content has been fetched.
 */
export function openPendingWindow(loadingText: string): { show(blob: Blob): void; close(): void } | null {
  const w = window.open('', '_blank')
  if (!w) return null
  try {
    w.document.title = loadingText
    w.document.body.textContent = loadingText
    w.document.body.style.font = '14px system-ui, sans-serif'
    w.document.body.style.padding = '24px'
    w.document.body.style.color = '#555'
  } catch {
    // cross-origin or closed already: nothing to show meanwhile
  }
  return {
    show(blob: Blob) {
      const url = URL.createObjectURL(blob)
      w.location.href = url
      // The window keeps its document after the URL is revoked; give it time to load.
      setTimeout(() => URL.revokeObjectURL(url), 120_000)
    },
    close() {
      w.close()
    },
  }
}
