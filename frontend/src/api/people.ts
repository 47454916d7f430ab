// One's own profile and the organisation import (admin).
import { api, apiBlob, apiUpload, unwrap } from './client'
import type { components } from './schema'

type S = components['schemas']
export type UpdateMe = S['UpdateMe']
export type UserImportResult = S['UserImportResult']
export type ImportRowError = S['ImportRowError']

export function updateMe(body: UpdateMe) {
  return unwrap(api.PATCH('/api/v1/me', { body }))
}

/** Preview (`commit: false`) or apply an org-chart file; with any error nothing is written. */
export function importUsers(file: File, commit: boolean): Promise<UserImportResult> {
  const form = new FormData()
  form.append('file', file, file.name)
  form.append('commit', commit ? 'true' : 'false')
  return apiUpload<UserImportResult>('/api/v1/users/import', form)
}

export function downloadImportTemplate() {
  return apiBlob('/api/v1/users/import/template')
}
