//! Black-box test harness: each test spawns the real router on port 0 with its own database
//! (a fresh SQLite file, or a fresh schema in PostgreSQL when TEST_DATABASE_URL is set).
#![allow(dead_code)]

use reqwest::{Client, Method, Response, StatusCode};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use verifund::app::{AppState, build_router};
use verifund::clock::{Clock, SystemClock};
use verifund::config::Config;
use verifund::domain::roles::Role;
use verifund::store::users::{NewUser, Operator};

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub client: Client,
    pub db: DatabaseConnection,
    pub database_url: String,
    pub data_dir: tempfile::TempDir,
    pub state: AppState,
    pg_schema: Option<(String, String)>,
}

/// The PostgreSQL server to test against, if any. Under CI=true, a set but unreachable
/// server fails the test instead of silently falling back to SQLite.
pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL").ok().filter(|u| u.starts_with("postgres"))
}

pub fn backend_name() -> &'static str {
    if postgres_url().is_some() { "postgres" } else { "sqlite" }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_full(tweak, Arc::new(SystemClock)).await
}

pub async fn spawn_app_full(tweak: impl FnOnce(&mut Config), clock: Arc<dyn Clock>) -> TestApp {
    spawn_app_at(|c, _| tweak(c), clock).await
}

/// Like `spawn_app_full`, with the app's own address (`http://127.0.0.1:port`) known to the
/// configuration, e.g. as the public URL a browser is sent back to.
pub async fn spawn_app_at(tweak: impl FnOnce(&mut Config, &str), clock: Arc<dyn Clock>) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let data_dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::new(data_dir.path().to_path_buf());
    let mut pg_schema = None;
    if let Some(base) = postgres_url() {
        let schema = format!("vt_{}", uuid_simple());
        let admin =
            Database::connect(&base).await.unwrap_or_else(|e| panic!("TEST_DATABASE_URL is set but PostgreSQL is unreachable: {e}"));
        admin.execute_unprepared(&format!("CREATE SCHEMA {schema}")).await.expect("create schema");
        let sep = if base.contains('?') { '&' } else { '?' };
        config.database_url = Some(format!("{base}{sep}options=-c%20search_path%3D{schema}"));
        pg_schema = Some((base, schema));
    }
    tweak(&mut config, &format!("http://{addr}"));
    let database_url = config.effective_database_url();
    let db = verifund::db::connect_and_migrate(&config).await.expect("migrate");
    let state = AppState::with_clock(db.clone(), config, clock).await.expect("state");
    let router = build_router(state.clone());
    let header_read_timeout = state.config.header_read_timeout;
    tokio::spawn(async move {
        verifund::server::serve(listener, router, header_read_timeout, std::future::pending()).await.ok();
    });
    TestApp {
        addr,
        base: format!("http://{addr}"),
        client: Client::builder().build().expect("client"),
        db,
        database_url,
        data_dir,
        state,
        pg_schema,
    }
}

fn uuid_simple() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((base, schema)) = self.pg_schema.take() {
            // Best effort: a fresh runtime on a plain thread, since Drop cannot await.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                rt.block_on(async {
                    let db = Database::connect(&base).await.ok()?;
                    db.execute_unprepared(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await.ok()
                })
            })
            .join();
        }
    }
}

pub struct User {
    pub id: i32,
    pub username: String,
    pub token: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn department(&self, name: &str, head: Option<i32>) -> i32 {
        use sea_orm::{ActiveModelTrait, ActiveValue::Set};
        entity::department::ActiveModel {
            name: Set(name.into()),
            head_id: Set(head),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .expect("department")
        .id
    }

    pub async fn set_department_head(&self, dept: i32, head: i32) {
        use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};
        let d = entity::department::Entity::find_by_id(dept).one(&self.db).await.unwrap().unwrap();
        let mut am = d.into_active_model();
        am.head_id = Set(Some(head));
        am.update(&self.db).await.unwrap();
    }

    /// Creates a user directly in the database (no API involved) and logs them in.
    pub async fn user(&self, username: &str, roles: &[Role], department_id: Option<i32>, manager_id: Option<i32>) -> User {
        let u = verifund::store::users::create(
            &self.db,
            NewUser {
                username: username.into(),
                display_name: format!("{username} 名"),
                email: None,
                password: PASSWORD.into(),
                roles: roles.iter().copied().collect(),
                department_id,
                manager_id,
                must_change_password: false,
            },
            &Operator::cli(),
            chrono::Utc::now(),
        )
        .await
        .expect("create user");
        let token = self.login(username, PASSWORD).await;
        User { id: u.id, username: username.into(), token }
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let res = self.post(None, "/api/v1/auth/login", json!({"username": username, "password": password})).await;
        assert_eq!(res.status(), StatusCode::OK, "login of {username}");
        res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn send(&self, method: Method, token: Option<&str>, path: &str, body: Option<Value>) -> Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("request")
    }

    pub async fn get(&self, token: Option<&str>, path: &str) -> Response {
        self.send(Method::GET, token, path, None).await
    }

    pub async fn post(&self, token: Option<&str>, path: &str, body: Value) -> Response {
        self.send(Method::POST, token, path, Some(body)).await
    }

    pub async fn patch(&self, token: Option<&str>, path: &str, body: Value) -> Response {
        self.send(Method::PATCH, token, path, Some(body)).await
    }

    pub async fn json(&self, res: Response) -> (StatusCode, Value) {
        let status = res.status();
        let body = res.json::<Value>().await.unwrap_or(Value::Null);
        (status, body)
    }

    /// POST returning (status, body).
    pub async fn call(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        let res = self.post(Some(token), path, body).await;
        self.json(res).await
    }

    pub async fn create_request(&self, token: &str, body: Value) -> Value {
        let (status, body) = self.call(token, "/api/v1/requests", body).await;
        assert_eq!(status, StatusCode::CREATED, "create request: {body}");
        body
    }

    pub async fn act(&self, token: &str, id: i64, action: &str, body: Value) -> (StatusCode, Value) {
        self.call(token, &format!("/api/v1/requests/{id}/{action}"), body).await
    }

    pub async fn detail(&self, token: &str, id: i64) -> Value {
        let res = self.get(Some(token), &format!("/api/v1/requests/{id}")).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }
}

/// The China calendar day today; request dates must not be in the future.
pub fn today() -> chrono::NaiveDate {
    verifund::clock::china_date(chrono::Utc::now())
}

/// A valid 统一社会信用代码 (Tencent's).
pub const CREDIT_CODE: &str = "9144030071526726XG";

pub fn request_body(kind: &str, amount_fen: i64) -> Value {
    let mut body = json!({
        "kind": kind,
        "title": "小程序「日升商城」对公打款验证",
        "amount_fen": amount_fen,
        "payer_entity": "日升科技（深圳）有限公司",
        "payer_credit_code": CREDIT_CODE,
        "payer_bank": "招商银行深圳分行",
        "payer_account": "7559 1234 5610 801",
        "payee_name": "财付通支付科技有限公司",
        "payee_bank": "招商银行深圳分行营业部",
        "payee_account": "755915707910607",
        "transfer_remark": "123456",
        "order_date": today().to_string(),
        "purpose": "注册小程序，腾讯要求对公账户打款验证，10 个工作日内原路退回",
        "mini_program": {
            "name": "日升商城",
            "appid": "wx0123456789abcdef",
            "registration_email": "mp@risun.example.com",
            "entity_type": "enterprise",
            "entity_subtype": "企业法人",
            "admin_name": "张三",
            "admin_id_number": "11010519491231002X",
            "admin_phone": "13812345678"
        }
    });
    if kind == "advance_payment" {
        body.as_object_mut().unwrap().remove("mini_program");
    }
    body
}

/// A small organisation: requester → manager (head of the department), two finance users,
/// an auditor and an admin.
pub struct Org {
    pub requester: User,
    pub manager: User,
    pub finance1: User,
    pub finance2: User,
    pub auditor: User,
    pub admin: User,
    pub outsider: User,
    pub dept: i32,
}

pub async fn org(app: &TestApp) -> Org {
    let dept = app.department("市场部", None).await;
    let manager = app.user("manager", &[Role::Manager, Role::Requester], Some(dept), None).await;
    app.set_department_head(dept, manager.id).await;
    let requester = app.user("requester", &[Role::Requester], Some(dept), Some(manager.id)).await;
    let finance1 = app.user("finance1", &[Role::Finance, Role::Requester], None, None).await;
    let finance2 = app.user("finance2", &[Role::Finance, Role::Requester], None, None).await;
    let auditor = app.user("auditor", &[Role::Auditor], None, None).await;
    let admin = app.user("admin", &[Role::Admin, Role::Requester], None, None).await;
    let other_dept = app.department("技术部", None).await;
    let outsider = app.user("outsider", &[Role::Requester, Role::Manager], Some(other_dept), None).await;
    Org { requester, manager, finance1, finance2, auditor, admin, outsider, dept }
}

/// 10:00 in China on `date`.
pub fn china_morning(date: &str) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    chrono::Utc.from_utc_datetime(&d.and_hms_opt(2, 0, 0).unwrap())
}

/// An app whose clock stands at 10:00 China time on `date` (moved by the test), with the
/// background jobs off and tokens that outlive weeks of moving the clock.
pub async fn app_at(date: &str) -> (TestApp, Arc<verifund::clock::FixedClock>) {
    let clock = Arc::new(verifund::clock::FixedClock::new(china_morning(date)));
    let app = spawn_app_full(
        |c| {
            c.background_jobs = false;
            c.token_ttl = std::time::Duration::from_secs(400 * 86_400);
        },
        clock.clone(),
    )
    .await;
    (app, clock)
}

/// A request of `body` submitted and approved by the manager and `finance1`.
pub async fn approved(app: &TestApp, o: &Org, body: Value) -> Value {
    let r = app.create_request(&o.requester.token, body).await;
    let (s, r) = app.act(&o.requester.token, r["id"].as_i64().unwrap(), "submit", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, r) = app.act(&o.manager.token, r["id"].as_i64().unwrap(), "approve", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, r) = app.act(&o.finance1.token, r["id"].as_i64().unwrap(), "approve", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    r
}

/// A request of `kind` ordered on `order_date`, approved as `approved` does.
pub async fn approved_on(app: &TestApp, o: &Org, kind: &str, amount: i64, order_date: &str) -> Value {
    let mut body = request_body(kind, amount);
    body["order_date"] = json!(order_date);
    approved(app, o, body).await
}

/// A statement import's matches as `{line, request_id, action}` (without the display fields).
pub fn matched(result: &Value) -> Value {
    Value::Array(
        result["matched"]
            .as_array()
            .map(|m| m.iter().map(|x| json!({"line": x["line"], "request_id": x["request_id"], "action": x["action"]})).collect())
            .unwrap_or_default(),
    )
}
