//! People: one's own profile (PATCH /me), the organisation import (preview, commit, refusals,
//! 离职 rerouting, re-import, CLI, template) and robot @-mentions by phone.
use crate::common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use verifund::domain::roles::Role;

const HEADER: &str = "用户名,姓名,部门,上级,角色,邮箱,手机,状态\n";

async fn import(app: &TestApp, token: &str, name: &str, bytes: Vec<u8>, commit: bool) -> (StatusCode, Value) {
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()))
        .text("commit", commit.to_string());
    let res = app.client.post(app.url("/api/v1/users/import")).bearer_auth(token).multipart(form).send().await.unwrap();
    app.json(res).await
}

async fn csv(app: &TestApp, token: &str, body: &str, commit: bool) -> (StatusCode, Value) {
    import(app, token, "org.csv", format!("\u{feff}{HEADER}{body}").into_bytes(), commit).await
}

fn counts(v: &Value) -> [u64; 4] {
    ["created", "updated", "unchanged", "disabled"].map(|k| v[k].as_u64().unwrap())
}

async fn user_named(app: &TestApp, username: &str) -> Option<entity::user::Model> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    entity::user::Entity::find().filter(entity::user::Column::Username.eq(username)).one(&app.db).await.unwrap()
}

#[tokio::test]
async fn a_person_sets_their_own_email_phone_notifications_and_language() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let (_, me) = app.json(app.get(Some(&o.requester.token), "/api/v1/me").await).await;
    assert_eq!((me["email_notifications"].clone(), me["language"].clone(), me["phone"].clone()), (json!(true), json!("zh"), Value::Null));
    let (s, me) = app
        .json(
            app.patch(
                Some(&o.requester.token),
                "/api/v1/me",
                json!({"email": " r@corp.example ", "phone": "138 0013 8000", "email_notifications": false, "language": "en"}),
            )
            .await,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["email"], "r@corp.example");
    assert_eq!(me["phone"], "13800138000");
    assert_eq!((me["email_notifications"].clone(), me["language"].clone()), (json!(false), json!("en")));

    let (s, bad) = app.json(app.patch(Some(&o.requester.token), "/api/v1/me", json!({"email": "nope", "phone": "12345"})).await).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = bad["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["email", "phone"]);
    let (s, _) = app.json(app.patch(Some(&o.requester.token), "/api/v1/me", json!({"language": "fr"})).await).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = app.json(app.patch(Some(&o.requester.token), "/api/v1/me", json!({"roles": ["admin"]})).await).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "nobody gives themselves roles");
    let (s, me) = app.json(app.patch(Some(&o.requester.token), "/api/v1/me", json!({"phone": null, "email": ""})).await).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((me["phone"].clone(), me["email"].clone()), (Value::Null, Value::Null));
    let (s, _) = app.json(app.patch(None, "/api/v1/me", json!({"language": "en"})).await).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_preview_writes_nothing_and_a_commit_creates_departments_users_and_managers_in_any_order() {
    let app = spawn_app().await;
    let o = org(&app).await;
    // Reports before their manager; a manager already in verifund; a nested department.
    let body = "wang,王五,集团/财务部/出纳组,li,\"申请人,财务\",wang@corp.example,13800138001,在职\n\
                li,李四,集团/财务部,manager,经理、申请人,,,\n\
                zhao,赵六,集团,,审计,,,离职\n";
    let (s, preview) = csv(&app, &o.admin.token, body, false).await;
    assert_eq!(s, StatusCode::OK, "{preview}");
    assert_eq!(preview["errors"], json!([]));
    assert_eq!(counts(&preview), [3, 0, 0, 0]);
    assert!(user_named(&app, "wang").await.is_none(), "a preview writes nothing");
    let (_, depts) = app.json(app.get(Some(&o.admin.token), "/api/v1/departments").await).await;
    assert!(!depts.to_string().contains("集团"));

    let (s, done) = csv(&app, &o.admin.token, body, true).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(counts(&done), [3, 0, 0, 0], "{done}");
    let wang = user_named(&app, "wang").await.unwrap();
    let li = user_named(&app, "li").await.unwrap();
    assert_eq!(wang.manager_id, Some(li.id));
    assert_eq!(li.manager_id, Some(o.manager.id));
    assert_eq!(wang.roles, "requester,finance");
    assert_eq!((wang.email.as_deref(), wang.phone.as_deref()), (Some("wang@corp.example"), Some("13800138001")));
    assert!(user_named(&app, "zhao").await.unwrap().disabled);
    let (_, depts) = app.json(app.get(Some(&o.admin.token), "/api/v1/departments").await).await;
    let names: Vec<&str> = depts.as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    for n in ["集团", "集团/财务部", "集团/财务部/出纳组"] {
        assert!(names.contains(&n), "{names:?}");
    }
    let path = |n: &str| depts.as_array().unwrap().iter().find(|d| d["name"] == n).unwrap().clone();
    assert_eq!(path("集团/财务部/出纳组")["parent_id"], path("集团/财务部")["id"]);
    assert_eq!(Some(path("集团/财务部/出纳组")["id"].as_i64().unwrap() as i32), wang.department_id);
    // Nobody can sign in with a password they were never given.
    let (s, _) = app.json(app.post(None, "/api/v1/auth/login", json!({"username": "wang", "password": "!import:"})).await).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // The audit log names the admin for each new user.
    let (_, audit) = app.json(app.get(Some(&o.admin.token), "/api/v1/audit?action=user_create").await).await;
    assert!(audit.to_string().contains("wang"), "{audit}");

    // The same file again changes nothing.
    let (_, again) = csv(&app, &o.admin.token, body, true).await;
    assert_eq!(counts(&again), [0, 0, 3, 0], "{again}");
    // A change to one person is one update.
    let (_, changed) = csv(&app, &o.admin.token, &body.replace("王五", "王五五"), true).await;
    assert_eq!(counts(&changed), [0, 1, 2, 0], "{changed}");
}

#[tokio::test]
async fn any_error_refuses_the_whole_file_naming_rows_and_columns() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let cases = [
        ("aa,甲,,bb,经理,,,\nbb,乙,,aa,经理,,,\nok1,好,,,申请人,,,\n", vec![(2, "上级")]),
        ("aa,甲,,aa,经理,,,\nok1,好,,,申请人,,,\n", vec![(2, "上级")]),
        ("aa,甲,,ghost,经理,,,\nok1,好,,,申请人,,,\n", vec![(2, "上级")]),
        ("aa,甲,,,老板,,,\nok1,好,,,申请人,,,\n", vec![(2, "角色")]),
        ("aa,甲,,,经理,,,\naa,甲二,,,经理,,,\n", vec![(3, "用户名")]),
        ("aa,甲,,,经理,bad-mail,123,休假\n", vec![(2, "邮箱"), (2, "手机"), (2, "状态")]),
        ("admin,管理员,,,申请人,,,\n", vec![(2, "角色")]),
    ];
    for (body, want) in cases {
        let (s, r) = csv(&app, &o.admin.token, body, true).await;
        assert_eq!(s, StatusCode::OK);
        let got: Vec<(u64, String)> =
            r["errors"].as_array().unwrap().iter().map(|e| (e["row"].as_u64().unwrap(), e["field"].as_str().unwrap().to_owned())).collect();
        let want: Vec<(u64, String)> = want.into_iter().map(|(r, f)| (r, f.to_owned())).collect();
        assert_eq!(got, want, "{body}: {r}");
        assert!(user_named(&app, "ok1").await.is_none() && user_named(&app, "aa").await.is_none(), "nothing committed: {body}");
    }
    let (_, me) = app.json(app.get(Some(&o.admin.token), "/api/v1/me").await).await;
    assert!(me["roles"].to_string().contains("admin"), "the importer kept their admin role");
    // The loop's message names both rows, in the caller's language.
    let res = app
        .client
        .post(app.url("/api/v1/users/import"))
        .bearer_auth(&o.admin.token)
        .header("accept-language", "en")
        .multipart(reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(format!("{HEADER}aa,甲,,bb,经理\nbb,乙,,aa,经理\n").into_bytes()).file_name("o.csv"),
        ))
        .send()
        .await
        .unwrap();
    let (_, r) = app.json(res).await;
    assert_eq!(r["errors"][0]["message"], "the manager chain loops: aa → bb → aa (rows 2, 3)");
}

#[tokio::test]
async fn leaving_disables_the_person_and_reroutes_their_open_steps() {
    let (app, _clock) = app_at("2026-07-01").await;
    let o = org(&app).await;
    app.user("boss", &[Role::Manager], None, None).await;
    let (_, r) = csv(&app, &o.admin.token, "manager,经理,市场部,boss,\"经理,申请人\",,,在职\n", true).await;
    assert_eq!(counts(&r), [0, 1, 0, 0], "{r}");
    let boss = user_named(&app, "boss").await.unwrap();

    let mut body = request_body("verification_transfer", 500);
    body["order_date"] = json!("2026-07-01");
    let req = app.create_request(&o.requester.token, body).await;
    let id = req["id"].as_i64().unwrap();
    let (s, _) = app.act(&o.requester.token, id, "submit", json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(app.detail(&o.requester.token, id).await["current_step"]["approver_ids"], json!([o.manager.id]));

    let (_, r) = csv(&app, &o.admin.token, "manager,经理,市场部,boss,\"经理,申请人\",,,离职\n", false).await;
    assert_eq!(counts(&r), [0, 0, 0, 1], "preview: {r}");
    assert_eq!(app.detail(&o.requester.token, id).await["current_step"]["approver_ids"], json!([o.manager.id]), "a preview moves nothing");
    let (_, r) = csv(&app, &o.admin.token, "manager,经理,市场部,boss,\"经理,申请人\",,,离职\n", true).await;
    assert_eq!(counts(&r), [0, 0, 0, 1], "{r}");
    assert!(user_named(&app, "manager").await.unwrap().disabled);
    assert_eq!(app.detail(&o.requester.token, id).await["current_step"]["approver_ids"], json!([boss.id]));
    let res = app.get(Some(&o.manager.token), "/api/v1/me").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "a disabled user's token stops working");
    let (_, again) = csv(&app, &o.admin.token, "manager,经理,市场部,boss,\"经理,申请人\",,,离职\n", true).await;
    assert_eq!(counts(&again), [0, 0, 1, 0]);
}

#[tokio::test]
async fn only_admins_import_and_gbk_csv_and_the_xlsx_template_are_read() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let (s, _) = csv(&app, &o.manager.token, "aa,甲,,,经理,,,\n", true).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let res = app.get(Some(&o.finance1.token), "/api/v1/users/import/template").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let text = format!("组织架构\n{HEADER}gbk1,钱七,行政部,,申请人,,,\n");
    let gbk = encoding_rs::GBK.encode(&text).0.into_owned();
    let (s, r) = import(&app, &o.admin.token, "org.csv", gbk, true).await;
    assert_eq!((s, counts(&r)), (StatusCode::OK, [1, 0, 0, 0]), "{r}");
    assert_eq!(user_named(&app, "gbk1").await.unwrap().display_name, "钱七");

    let res = app.get(Some(&o.admin.token), "/api/v1/users/import/template").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().contains("spreadsheetml"));
    let template = res.bytes().await.unwrap().to_vec();
    // The example row names a manager (lisi) who is nowhere: the only error.
    let (_, r) = import(&app, &o.admin.token, "template.xlsx", template, false).await;
    assert_eq!(r["errors"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!((r["errors"][0]["row"].clone(), r["errors"][0]["field"].clone()), (json!(2), json!("上级")));

    let (s, r) = import(&app, &o.admin.token, "org.xlsx", b"not a workbook".to_vec(), false).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
}

#[tokio::test]
async fn the_cli_previews_and_commits_an_import_and_fails_on_errors() {
    let app = spawn_app().await;
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_verifund"))
            .args(args)
            .env("DATABASE_URL", &app.database_url)
            .env("VERIFUND_DATA_DIR", app.data_dir.path())
            .output()
            .unwrap()
    };
    let good = app.data_dir.path().join("org.csv");
    std::fs::write(&good, format!("{HEADER}boss,老板,集团,,\"经理,管理员\",,,\nemp,员工,集团/研发部,boss,申请人,,,\n")).unwrap();
    let out = run(&["users", "import", good.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("created 2, updated 0, unchanged 0, disabled 0, errors 0 (preview"));
    assert!(user_named(&app, "emp").await.is_none());
    let out = run(&["users", "import", good.to_str().unwrap(), "--commit"]);
    assert!(out.status.success());
    assert_eq!(user_named(&app, "emp").await.unwrap().manager_id, Some(user_named(&app, "boss").await.unwrap().id));

    let bad = app.data_dir.path().join("bad.csv");
    std::fs::write(&bad, format!("{HEADER}aa,甲,,bb,经理,,,\nbb,乙,,aa,经理,,,\n")).unwrap();
    let out = run(&["users", "import", bad.to_str().unwrap(), "--commit"]);
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("row 2 [上级]") && stdout.contains("refused"), "{stdout}");
    assert!(user_named(&app, "aa").await.is_none());
}

#[tokio::test]
async fn robot_messages_mention_the_person_by_phone() {
    let received = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let robot = {
        let received = received.clone();
        axum::Router::new().route(
            "/robot",
            axum::routing::post(move |body: String| {
                received.lock().unwrap().push(body);
                async { r#"{"errcode":0,"errmsg":"ok"}"# }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let robot_url = format!("http://{}/robot", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, robot).await.ok() });
    let clock = Arc::new(verifund::clock::FixedClock::new(china_morning("2026-07-01")));
    let url = robot_url.clone();
    let app = spawn_app_full(
        move |c| {
            c.background_jobs = false;
            c.webhook_url = Some(url);
        },
        clock.clone(),
    )
    .await;
    let o = org(&app).await;
    let (s, _) = app.json(app.patch(Some(&o.manager.token), "/api/v1/me", json!({"phone": "+86 139 0000 1111"})).await).await;
    assert_eq!(s, StatusCode::OK);
    let mut body = request_body("verification_transfer", 321);
    body["order_date"] = json!("2026-07-01");
    let r = app.create_request(&o.requester.token, body).await;
    let (s, _) = app.act(&o.requester.token, r["id"].as_i64().unwrap(), "submit", json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let senders = verifund::outbox::Senders { webhook: Some(verifund::outbox::Webhook::new(robot_url, None)), mail: None };
    let report = verifund::outbox::deliver_due(&app.db, &senders, clock.now_for_test()).await.unwrap();
    assert_eq!(report.delivered, 1);
    let got: Value = serde_json::from_str(&received.lock().unwrap()[0]).unwrap();
    // A receiver that is neither robot's host gets both robots' fields.
    assert_eq!(got["text"]["mentioned_mobile_list"], json!(["13900001111"]));
    assert_eq!(got["at"]["atMobiles"], json!(["13900001111"]));
    assert!(
        got["text"]["content"].as_str().unwrap().contains("待您审批") && got["text"]["content"].as_str().unwrap().ends_with("@13900001111")
    );
}
