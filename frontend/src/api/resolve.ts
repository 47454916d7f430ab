// POST /api/v1/requests/{id}/resolve (DESIGN §1.2): bring a paid request whose refund came
// back short or never came to an end. Written out here until the generated schema has it;
// then `Resolution`, `ResolveBody` and the view's fields come from there.
import { apiJson } from './client'
import type { Action, RequestDetail } from './types'

export type Resolution = 'accept_difference' | 'write_off'

export interface ResolveBody {
  resolution: Resolution
  reason: string
  version: number
}

/** What the request view says about a resolution, once there is one. */
export interface ResolutionFields {
  resolution?: Resolution | null
  resolution_reason?: string | null
  resolved_by_name?: string | null
  resolved_at?: string | null
}

/** The request view with the resolution and the `resolve` action. */
export type ResolvableDetail = RequestDetail & ResolutionFields

/** Actions the caller may take, `resolve` included. */
export type RequestAction = Action | 'resolve'

export function resolveRequest(id: number, body: ResolveBody): Promise<RequestDetail> {
  return apiJson<RequestDetail>(`/api/v1/requests/${id}/resolve`, { method: 'POST', body: JSON.stringify(body) })
}
