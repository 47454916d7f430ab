// Names for the API's shapes, all taken from the generated schema so that a change on
// the server shows up as a type error here after `npm run gen:api`.
import type { components } from './schema'

type S = components['schemas']

export type Action = S['Action']
export type AttachmentView = S['AttachmentView']
export type AuditEventView = S['AuditEventView']
export type DepartmentView = S['DepartmentView']
export type DepartmentInput = S['DepartmentInput']
export type EntityType = S['EntityType']
export type FieldErrorBody = S['FieldErrorBody']
export type Kind = S['Kind']
export type LoginResponse = S['LoginResponse']
export type MiniProgram = S['MiniProgram']
export type ProblemBody = S['ProblemBody']
export type RequestDetail = S['RequestDetail']
export type RequestInput = S['RequestInput']
export type RequestView = S['RequestView']
export type Role = S['Role']
export type Status = S['Status']
export type TaskCounts = S['TaskCounts']
export type Tasks = S['Tasks']
export type TimelineEntry = S['TimelineEntry']
export type UserView = S['UserView']
export type CreateUser = S['CreateUser']
export type UpdateUser = S['UpdateUser']

export interface Page<T> {
  items: T[]
  total: number
  page: number
  per_page: number
}

export type AttachmentPurpose = 'general' | 'payout_receipt' | 'refund_receipt'

export const STATUSES: Status[] = [
  'draft',
  'pending_manager',
  'pending_finance',
  'approved',
  'paid',
  'refunded',
  'returned',
  'withdrawn',
  'expired',
  'closed',
]
export const KINDS: Kind[] = ['verification_transfer', 'certification_fee', 'advance_payment']
export const ROLES: Role[] = ['requester', 'manager', 'finance', 'admin', 'auditor']
export type Flag = S['Flag']
export const FLAGS = ['payout_overdue', 'refund_overdue', 'refund_mismatch', 'duplicate_suspect'] as const satisfies readonly Flag[]

export type PayoutBody = S['PayoutBody']
export type RefundBody = S['RefundBody']
export type MeView = S['MeView']
