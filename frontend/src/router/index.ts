import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import type { Role } from '@/api/types'
import { useAuthStore } from '@/stores/auth'
import AppLayout from '@/layouts/AppLayout.vue'
import { AUDIT_READERS, FINANCE_READERS } from '@/domain/roles'

declare module 'vue-router' {
  interface RouteMeta {
    /** Open without a session (login). */
    public?: boolean
    /** Any of these roles may open the page; absent = every signed-in user. */
    roles?: Role[]
    /** i18n key of the page title. */
    title?: string
  }
}


const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('@/views/LoginView.vue'), meta: { public: true, title: 'login.title' } },
  {
    path: '/login/sso',
    name: 'login-sso',
    component: () => import('@/views/SsoCallbackView.vue'),
    meta: { public: true, title: 'login.title' },
  },
  {
    path: '/change-password',
    name: 'change-password',
    component: () => import('@/views/ChangePasswordView.vue'),
    meta: { title: 'password.title' },
  },
  {
    path: '/',
    component: AppLayout,
    children: [
      { path: '', redirect: { name: 'tasks' } },
      { path: 'tasks', name: 'tasks', component: () => import('@/views/TasksView.vue'), meta: { title: 'nav.tasks' } },
      { path: 'requests', name: 'requests', component: () => import('@/views/RequestListView.vue'), meta: { title: 'nav.requests' } },
      {
        path: 'requests/new',
        name: 'request-new',
        component: () => import('@/views/RequestFormView.vue'),
        meta: { title: 'nav.newRequest', roles: ['requester'] },
      },
      {
        path: 'requests/:id(\\d+)',
        name: 'request-detail',
        component: () => import('@/views/RequestDetailView.vue'),
        props: (r) => ({ id: Number(r.params.id) }),
        meta: { title: 'detail.title' },
      },
      {
        path: 'requests/:id(\\d+)/edit',
        name: 'request-edit',
        component: () => import('@/views/RequestFormView.vue'),
        props: (r) => ({ id: Number(r.params.id) }),
        meta: { title: 'form.editTitle', roles: ['requester'] },
      },
      {
        path: 'mini-programs',
        name: 'mini-programs',
        component: () => import('@/views/miniPrograms/MiniProgramListView.vue'),
        meta: { title: 'nav.miniPrograms' },
      },
      {
        path: 'mini-programs/new',
        name: 'mini-program-new',
        component: () => import('@/views/miniPrograms/MiniProgramFormView.vue'),
        meta: { title: 'mp.newTitle', roles: ['requester'] },
      },
      {
        path: 'mini-programs/:id(\\d+)',
        name: 'mini-program-detail',
        component: () => import('@/views/miniPrograms/MiniProgramDetailView.vue'),
        props: (r) => ({ id: Number(r.params.id) }),
        meta: { title: 'mp.detailTitle' },
      },
      {
        path: 'mini-programs/:id(\\d+)/edit',
        name: 'mini-program-edit',
        component: () => import('@/views/miniPrograms/MiniProgramFormView.vue'),
        props: (r) => ({ id: Number(r.params.id) }),
        meta: { title: 'mp.editTitle', roles: ['requester', 'finance', 'admin'] },
      },
      {
        path: 'admin/users',
        name: 'users',
        component: () => import('@/views/admin/UsersView.vue'),
        meta: { title: 'nav.users', roles: ['admin'] },
      },
      {
        path: 'admin/users/import',
        name: 'org-import',
        component: () => import('@/views/admin/OrgImportView.vue'),
        meta: { title: 'nav.orgImport', roles: ['admin'] },
      },
      {
        path: 'admin/departments',
        name: 'departments',
        component: () => import('@/views/admin/DepartmentsView.vue'),
        meta: { title: 'nav.departments', roles: ['admin'] },
      },
      {
        path: 'admin/calendar',
        name: 'calendar',
        component: () => import('@/views/admin/CalendarView.vue'),
        meta: { title: 'nav.calendar', roles: ['admin'] },
      },
      {
        path: 'admin/companies',
        name: 'companies',
        component: () => import('@/views/admin/CompaniesView.vue'),
        meta: { title: 'nav.companies', roles: ['admin'] },
      },
      {
        path: 'admin/approval-rules',
        name: 'approval-rules',
        component: () => import('@/views/admin/ApprovalRulesView.vue'),
        meta: { title: 'nav.approvalRules', roles: ['admin'] },
      },
      {
        path: 'delegations',
        name: 'delegations',
        component: () => import('@/views/DelegationsView.vue'),
        meta: { title: 'nav.delegations' },
      },
      {
        path: 'audit',
        name: 'audit',
        component: () => import('@/views/AuditView.vue'),
        meta: { title: 'nav.audit', roles: AUDIT_READERS },
      },
      {
        path: 'finance/dashboard',
        name: 'finance-dashboard',
        component: () => import('@/views/finance/DashboardView.vue'),
        meta: { title: 'nav.dashboard', roles: FINANCE_READERS },
      },
      {
        path: 'finance/exports',
        name: 'finance-exports',
        component: () => import('@/views/finance/ExportsView.vue'),
        meta: { title: 'nav.exports', roles: FINANCE_READERS },
      },
      {
        path: 'finance/bank-statements',
        name: 'bank-statements',
        component: () => import('@/views/finance/BankStatementView.vue'),
        meta: { title: 'nav.bankStatements', roles: ['finance'] },
      },
      {
        path: 'profile',
        name: 'profile',
        component: () => import('@/views/ProfileView.vue'),
        meta: { title: 'nav.profile' },
      },
      {
        path: 'notifications',
        name: 'notifications',
        component: () => import('@/views/NotificationsView.vue'),
        meta: { title: 'nav.notifications' },
      },
      { path: '403', name: 'forbidden', component: () => import('@/views/ForbiddenView.vue'), meta: { title: 'forbidden.title' } },
      {
        path: ':pathMatch(.*)*',
        name: 'not-found',
        component: () => import('@/views/NotFoundView.vue'),
        meta: { title: 'notFound.title' },
      },
    ],
  },
]

export const router = createRouter({
  history: createWebHistory('/'),
  routes,
  scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
})

router.beforeEach(async (to) => {
  const auth = useAuthStore()
  if (to.meta.public) {
    return to.name === 'login' && auth.isLoggedIn ? { name: 'tasks' } : true
  }
  if (!auth.isLoggedIn) {
    return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
  }
  let user
  try {
    user = await auth.ensureUser()
  } catch {
    // The token no longer works (expired, revoked): start over at the login page.
    await auth.logout(false)
    return { name: 'login', query: { redirect: to.fullPath } }
  }
  if (!user) return { name: 'login' }
  if (user.must_change_password && to.name !== 'change-password') return { name: 'change-password' }
  if (to.meta.roles && !auth.hasAnyRole(to.meta.roles)) {
    return { name: 'forbidden', query: { from: to.fullPath } }
  }
  return true
})
