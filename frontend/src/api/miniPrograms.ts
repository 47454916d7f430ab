// The mini-program registry (DESIGN §2.3), typed by the generated schema.
import { api, apiBlob, apiJson, unwrap } from './client'
import type { components, paths } from './schema'
import type { Page } from './types'

type S = components['schemas']
export type MiniProgramView = S['MiniProgramView']
export type MaterialView = S['MaterialView']
export type MiniProgramInput = S['MiniProgramInput']
export type MpStatus = S['MpStatus']
export type VerificationMethod = S['VerificationMethod']
export type MiniProgramQuery = NonNullable<paths['/api/v1/mini-programs']['get']['parameters']['query']>

/** A manual outcome on PATCH: `failed`, or `verified` after a review / face / e-licence check. */
export type MiniProgramPatch = MiniProgramInput & { version: number }

export function listMiniPrograms(query: MiniProgramQuery = {}): Promise<Page<MiniProgramView>> {
  return unwrap(api.GET('/api/v1/mini-programs', { params: { query } }))
}

export function getMiniProgram(id: number): Promise<MiniProgramView> {
  return unwrap(api.GET('/api/v1/mini-programs/{id}', { params: { path: { id } } }))
}

export function createMiniProgram(body: MiniProgramInput): Promise<MiniProgramView> {
  return unwrap(api.POST('/api/v1/mini-programs', { body }))
}

export function updateMiniProgram(id: number, body: MiniProgramPatch): Promise<MiniProgramView> {
  return unwrap(api.PATCH('/api/v1/mini-programs/{id}', { params: { path: { id } }, body }))
}

/** Ticks a checklist item with its document (multipart `file`: pdf, png, jpg or xlsx). */
export function uploadMaterial(id: number, item: string, file: File): Promise<MiniProgramView> {
  const form = new FormData()
  form.append('file', file, file.name)
  return apiJson<MiniProgramView>(`/api/v1/mini-programs/${id}/materials/${encodeURIComponent(item)}`, { method: 'POST', body: form })
}

export function downloadMaterial(id: number, item: string) {
  return apiBlob(`/api/v1/mini-programs/${id}/materials/${encodeURIComponent(item)}/file`)
}
