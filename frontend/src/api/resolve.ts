// POST /api/v1/requests/{id}/resolve (DESIGN §1.2): bring a paid request whose refund came
// back short or never came to an end. The shapes come from the generated schema.
import { apiJson } from './client'
import type { components } from './schema'
import type { Action, RequestDetail } from './types'

type S = components['schemas']

export type Resolution = S['Resolution']
export type ResolveBody = S['ResolveBody']

/** The request view; it carries the resolution once there is one. */
export type ResolvableDetail = RequestDetail

/** Actions the caller may take, `resolve` included. */
export type RequestAction = Action

export function resolveRequest(id: number, body: ResolveBody): Promise<RequestDetail> {
  return apiJson<RequestDetail>(`/api/v1/requests/${id}/resolve`, { method: 'POST', body: JSON.stringify(body) })
}
