import type { Role } from '@/api/types'

/** Who may read finance screens (exports, dashboard): DESIGN §2. */
export const FINANCE_READERS: Role[] = ['finance', 'auditor', 'admin']
/** Who may read the audit log: DESIGN §2 (`GET /audit`). */
export const AUDIT_READERS: Role[] = ['auditor', 'admin', 'finance']
