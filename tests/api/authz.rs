//! The authorization matrix: every endpoint of the OpenAPI document, called by every role,
//! by an anonymous caller and by a disabled user, against the expected outcome kept in
//! tests/authz_matrix.tsv. An endpoint missing from the table fails the test, so a new
//! route cannot ship without someone deciding who may call it.
//!
//! Outcomes: `401`, `403`, `404` (hidden), `ok` (let through: anything else but a 5xx — the
//! call may still be refused for its state or its body, which is not authorization).
use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use verifund::domain::roles::Role;

const ROLES: [&str; 8] = ["anonymous", "requester", "manager", "finance", "auditor", "admin", "outsider", "disabled"];

fn outcome(s: StatusCode) -> &'static str {
    match s.as_u16() {
        401 => "401",
        403 => "403",
        404 => "404",
        s if s >= 500 => "5xx",
        _ => "ok",
    }
}

#[tokio::test]
async fn every_endpoint_answers_every_caller_as_the_matrix_says() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let disabled = app.user("gone", &Role::ALL, Some(o.dept), None).await;
    let r = app.create_request(&o.requester.token, request_body("verification_transfer", 999)).await;
    let rid = r["id"].as_i64().unwrap();
    // A second draft for the DELETE probe, so deleting it does not disturb the other probes.
    let doomed = app.create_request(&o.requester.token, request_body("advance_payment", 998)).await["id"].as_i64().unwrap();
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(b"%PDF-1.4 x".to_vec()).file_name("a.pdf"));
    let att: Value = app
        .client
        .post(app.url(&format!("/api/v1/requests/{rid}/attachments")))
        .bearer_auth(&o.requester.token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mp_body = json!({"name": "矩阵", "registration_email": "m@example.com", "entity_name": "日升", "entity_type": "enterprise",
        "verification_method": "transfer", "admin_name": "张三", "admin_id_number": "11010519491231002X", "admin_phone": "13812345678"});
    let (_, mp) = app.call(&o.requester.token, "/api/v1/mini-programs", mp_body).await;
    let company_body = json!({"name": "矩阵公司", "credit_code": verifund::demo::demo_credit_code(),
        "accounts": [{"bank": "招商银行", "account": "755912345610801", "is_default": true}]});
    let (s, company) = app.call(&o.admin.token, "/api/v1/companies", company_body).await;
    assert_eq!(s, StatusCode::CREATED, "{company}");
    let today = verifund::clock::china_date(chrono::Utc::now());
    let (s, delegation) = app
        .call(&o.requester.token, "/api/v1/delegations", json!({"delegate_id": o.manager.id, "starts_on": today, "ends_on": today}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{delegation}");
    let (s, _) =
        app.json(app.patch(Some(&o.admin.token), &format!("/api/v1/users/{}", disabled.id), json!({"disabled": true})).await).await;
    assert_eq!(s, StatusCode::OK);

    let tokens: BTreeMap<&str, Option<String>> = [
        ("anonymous", None),
        ("requester", Some(o.requester.token.clone())),
        ("manager", Some(o.manager.token.clone())),
        ("finance", Some(o.finance2.token.clone())),
        ("auditor", Some(o.auditor.token.clone())),
        ("admin", Some(o.admin.token.clone())),
        ("outsider", Some(o.outsider.token.clone())),
        ("disabled", Some(disabled.token.clone())),
    ]
    .into_iter()
    .collect();

    let table_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/authz_matrix.tsv");
    let table = std::fs::read_to_string(&table_path).unwrap_or_default();
    let mut expected: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for line in table.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        expected.insert((cols[0].to_owned(), cols[1].to_owned()), cols[2..].iter().map(|c| c.to_string()).collect());
    }

    let (_, spec) = app.json(app.get(None, "/api/openapi.json").await).await;
    let mut seen = String::from("# method\tpath\t") + &ROLES.join("\t") + "\n";
    let mut failures = Vec::new();
    let mut endpoints: Vec<(String, String)> = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| item.as_object().unwrap().keys().map(move |m| (path.clone(), m.clone())))
        .collect();
    // Logging out revokes the caller's tokens: probe it last.
    endpoints.sort_by_key(|(path, _)| path.ends_with("/auth/logout"));
    // A redirect (single sign-on) is the endpoint's answer, not something to follow.
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for (path, method) in &endpoints {
        let (path, method) = (path.clone(), method.as_str());
        {
            let is_delete = method == "delete";
            let concrete = path
                .replace("/requests/{id}/attachments/{aid}", &format!("/requests/{rid}/attachments/{}", att["id"]))
                .replace("/requests/{id}", &format!("/requests/{}", if is_delete { doomed } else { rid }))
                .replace("{action}", "approve")
                .replace("/mini-programs/{id}", &format!("/mini-programs/{}", mp["id"]))
                .replace("{item}", "business_license")
                .replace("/users/{id}", &format!("/users/{}", o.requester.id))
                .replace("/departments/{id}", &format!("/departments/{}", o.dept))
                .replace("/companies/{id}", &format!("/companies/{}", company["id"]))
                .replace("/delegations/{id}", &format!("/delegations/{}", delegation["id"]))
                .replace("/notifications/{id}", "/notifications/1")
                .replace("{year}", "2026");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let mut outcomes: BTreeMap<&str, String> = BTreeMap::new();
            // The owner's DELETE goes last: it succeeds, and everyone else must be refused first.
            let order: Vec<&str> =
                ROLES.iter().copied().filter(|r| !(is_delete && *r == "requester")).chain(is_delete.then_some("requester")).collect();
            for role in order {
                let mut req = client.request(m.clone(), app.url(&concrete));
                if let Some(Some(t)) = tokens.get(role) {
                    req = req.bearer_auth(t);
                }
                if m != Method::GET && m != Method::DELETE {
                    req = req.json(&json!({}));
                }
                let status = req.send().await.unwrap().status();
                outcomes.insert(role, outcome(status).to_owned());
            }
            let row: Vec<String> = ROLES.iter().map(|r| outcomes[r].clone()).collect();
            if row.contains(&"5xx".to_owned()) {
                failures.push(format!("{method} {path}: a 5xx in {row:?}"));
            }
            seen.push_str(&format!("{}\t{path}\t{}\n", method.to_uppercase(), row.join("\t")));
            match expected.get(&(method.to_uppercase(), path.to_owned())) {
                None => failures.push(format!("{} {path} is not in tests/authz_matrix.tsv", method.to_uppercase())),
                Some(want) if *want != row => failures.push(format!("{} {path}: expected {want:?}, got {row:?}", method.to_uppercase())),
                Some(_) => {}
            }
        }
    }
    if std::env::var("UPDATE_SNAPSHOTS").is_ok() {
        std::fs::write(&table_path, &seen).unwrap();
    }
    assert!(failures.is_empty(), "authorization matrix mismatches (review, then UPDATE_SNAPSHOTS=1 to accept):\n{}", failures.join("\n"));
}
