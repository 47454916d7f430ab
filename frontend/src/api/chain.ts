// The approval chain, hand-offs and the group's companies (DESIGN §2.4): the user directory
// for pickers, companies and their accounts, approval rules, delegations, and the actions
// that hand a step on (转交, 加签, 撤回审批) or only talk about it (评论).
import { api, unwrap } from './client'
import type { components } from './schema'
import type { RequestDetail, Role } from './types'

type S = components['schemas']
export type DirectoryEntry = S['DirectoryEntry']
export type CompanyView = S['CompanyView']
export type CompanyInput = S['CompanyInput']
export type AccountView = S['AccountView']
export type AccountInput = S['AccountInput']
export type ApprovalRule = S['ApprovalRule']
export type ApprovalRules = S['ApprovalRules']
export type Mode = S['Mode']
export type DelegationView = S['DelegationView']
export type DelegationInput = S['DelegationInput']
export type StepView = S['StepView']
export type StepKind = S['StepKind']
export type ApprovalView = S['ApprovalView']
export type CurrentStep = S['CurrentStep']
export type UserRef = S['UserRef']
export type AddPosition = S['AddPosition']

// ---- directory ---------------------------------------------------------------------

export function searchDirectory(query: { q?: string; role?: Role; limit?: number } = {}): Promise<DirectoryEntry[]> {
  return unwrap(api.GET('/api/v1/users/directory', { params: { query } }))
}

// ---- companies ---------------------------------------------------------------------

export function listCompanies(): Promise<CompanyView[]> {
  return unwrap(api.GET('/api/v1/companies'))
}

export function getCompany(id: number): Promise<CompanyView> {
  return unwrap(api.GET('/api/v1/companies/{id}', { params: { path: { id } } }))
}

export function createCompany(body: CompanyInput): Promise<CompanyView> {
  return unwrap(api.POST('/api/v1/companies', { body }))
}

export function updateCompany(id: number, body: CompanyInput): Promise<CompanyView> {
  return unwrap(api.PATCH('/api/v1/companies/{id}', { params: { path: { id } }, body }))
}

// ---- approval rules ----------------------------------------------------------------

export function getApprovalRules(): Promise<ApprovalRules> {
  return unwrap(api.GET('/api/v1/approval-rules'))
}

export function putApprovalRules(body: ApprovalRules): Promise<ApprovalRules> {
  return unwrap(api.PUT('/api/v1/approval-rules', { body }))
}

// ---- delegations -------------------------------------------------------------------

export function listDelegations(all = false): Promise<DelegationView[]> {
  return unwrap(api.GET('/api/v1/delegations', { params: { query: all ? { all: true } : {} } }))
}

export function createDelegation(body: DelegationInput): Promise<DelegationView> {
  return unwrap(api.POST('/api/v1/delegations', { body }))
}

export async function revokeDelegation(id: number): Promise<void> {
  await unwrap(api.DELETE('/api/v1/delegations/{id}', { params: { path: { id } } }))
}

// ---- hand-offs and comments --------------------------------------------------------

export function transferStep(id: number, body: S['TransferBody']): Promise<RequestDetail> {
  return unwrap(api.POST('/api/v1/requests/{id}/transfer', { params: { path: { id } }, body }))
}

export function addApprover(id: number, body: S['AddApproverBody']): Promise<RequestDetail> {
  return unwrap(api.POST('/api/v1/requests/{id}/add-approver', { params: { path: { id } }, body }))
}

export function recallApproval(id: number, body: S['RecallBody']): Promise<RequestDetail> {
  return unwrap(api.POST('/api/v1/requests/{id}/recall', { params: { path: { id } }, body }))
}

/** 201 with the detail; `warnings` names mentions that could not be notified. */
export function addComment(id: number, body: string): Promise<RequestDetail> {
  return unwrap(api.POST('/api/v1/requests/{id}/comments', { params: { path: { id } }, body: { body } }))
}
