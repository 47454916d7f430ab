import { createApp } from 'vue'
import { createPinia } from 'pinia'
import ElementPlus from 'element-plus'
import 'element-plus/dist/index.css'
import './styles/main.css'
import App from './App.vue'
import { router } from './router'
import { i18n, currentLocale } from './i18n'
import { configureClient } from './api/client'
import { useAuthStore } from './stores/auth'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia)
app.use(i18n)
app.use(ElementPlus)
app.use(router)

const auth = useAuthStore(pinia)
let redirecting = false
configureClient({
  token: () => auth.token,
  language: () => currentLocale(),
  onUnauthorized: () => {
    // The session ended on the server (expired, revoked, password changed): back to login.
    if (redirecting) return
    redirecting = true
    const here = router.currentRoute.value
    void auth.logout(false).then(async () => {
      if (here.name !== 'login') {
        await router.replace({ name: 'login', query: { redirect: here.fullPath, expired: '1' } })
      }
      redirecting = false
    })
  },
})

document.documentElement.lang = currentLocale()
app.mount('#app')
