//! `verifund demo seed --requests N`: N requests spread over the last two years, in every
//! state, with the numbers, approvals, payouts, refunds, people and audit events such a
//! history has. Written in multi-row statements, a transaction per batch, with the audit
//! chain continued from the current head (hashed exactly as `store::audit` does), so a
//! million requests take minutes and `verifund audit verify` still passes.
use crate::domain::audit::AuditAction;
use crate::domain::chain::{Chain, Mode, Stage, Step, StepKind};
use crate::domain::deadlines;
use crate::domain::roles::{Role, RoleSet};
use crate::domain::workflow::{Kind, Status};
use crate::store::audit::NewEvent;
use crate::store::chain::{FINANCE_STEP, MANAGER_STEP};
use crate::store::users::{NewUser, Operator, find_by_username};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use std::collections::BTreeMap;

/// Requests per transaction.
const BATCH: u64 = 10_000;
/// Rows per INSERT statement (the requests table has ~55 columns; SQLite allows 32,766
/// parameters per statement).
const ROWS_PER_INSERT: usize = 400;
/// How far back the history reaches.
const SPAN_DAYS: i64 = 730;

/// Who files requests and who decides them.
struct Person {
    id: i32,
    name: String,
    department_id: Option<i32>,
    manager: (i32, String),
}

struct Cast {
    requesters: Vec<Person>,
    finance: Vec<(i32, String)>,
    companies: Vec<Payer>,
}

/// (company id, name, default account id, bank, account)
type Payer = (Option<i32>, String, Option<i32>, String, String);

/// (username, display name)
type Name = (&'static str, &'static str);

/// What the seed made, by final stored status.
#[derive(Debug, Default)]
pub struct BulkSeeded {
    pub requests: u64,
    pub events: u64,
    pub by_status: BTreeMap<&'static str, u64>,
}

/// A small, fast, deterministic hash (splitmix64) for picking states and amounts.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Extra departments, each with a head (manager) and two requesters, besides 市场部 of the
/// living demo. Created once, through the ordinary user path.
const TEAMS: [(&str, Name, [Name; 2]); 3] = [
    ("销售部", ("chenyu", "陈宇"), [("linfang", "林芳"), ("guoqiang", "郭强")]),
    ("研发部", ("huangjie", "黄杰"), [("xuli", "徐丽"), ("majun", "马骏")]),
    ("运营部", ("heyan", "何燕"), [("songtao", "宋涛"), ("tangmei", "唐梅")]),
];

async fn cast(db: &DatabaseConnection) -> anyhow::Result<Cast> {
    use entity::{company, company_account, department};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel, QueryOrder};
    let now = Utc::now();
    let mut requesters = Vec::new();
    let user = |username: &'static str| async move {
        find_by_username(db, username).await?.ok_or_else(|| anyhow::anyhow!("the demo user {username} is missing"))
    };
    let (zhangsan, lisi) = (user("zhangsan").await?, user("lisi").await?);
    requesters.push(Person {
        id: zhangsan.id,
        name: zhangsan.display_name.clone(),
        department_id: zhangsan.department_id,
        manager: (lisi.id, lisi.display_name.clone()),
    });
    for (dept, (head_name, head_display), members) in TEAMS {
        let dept_id = crate::store::users::ensure_department(db, dept).await?;
        let ensure = async |username: &str, display: &str, roles: &[Role], manager_id: Option<i32>| -> anyhow::Result<_> {
            if let Some(u) = find_by_username(db, username).await? {
                return Ok(u);
            }
            let new = NewUser {
                username: username.into(),
                display_name: display.into(),
                email: None,
                password: super::DEMO_PASSWORD.into(),
                roles: roles.iter().copied().collect::<RoleSet>(),
                department_id: Some(dept_id),
                manager_id,
                must_change_password: false,
            };
            crate::store::users::create(db, new, &Operator::cli(), now).await.map_err(|e| anyhow::anyhow!("{e}"))
        };
        let head = ensure(head_name, head_display, &[Role::Manager, Role::Requester], None).await?;
        for (username, display) in members {
            let u = ensure(username, display, &[Role::Requester], Some(head.id)).await?;
            requesters.push(Person {
                id: u.id,
                name: u.display_name,
                department_id: u.department_id,
                manager: (head.id, head.display_name.clone()),
            });
        }
        if let Some(d) = department::Entity::find_by_id(dept_id).one(db).await?
            && d.head_id.is_none()
        {
            let mut am = d.into_active_model();
            am.head_id = Set(Some(head.id));
            am.update(db).await?;
        }
    }
    let finance = [user("wangwu").await?, user("zhaoliu").await?].into_iter().map(|u| (u.id, u.display_name)).collect();
    let mut companies = Vec::new();
    for c in company::Entity::find().order_by_asc(company::Column::Id).all(db).await? {
        use sea_orm::{ColumnTrait, QueryFilter};
        let account = company_account::Entity::find()
            .filter(company_account::Column::CompanyId.eq(c.id))
            .order_by_desc(company_account::Column::IsDefault)
            .one(db)
            .await?;
        if let Some(a) = account {
            companies.push((Some(c.id), c.name, Some(a.id), a.bank, a.account));
        }
    }
    if companies.is_empty() {
        companies.push((None, "日升科技（深圳）有限公司".into(), None, "招商银行深圳分行".into(), "755912345610801".into()));
    }
    Ok(Cast { requesters, finance, companies })
}

/// 09:00 China time on `day`, plus `minutes`.
fn at(day: NaiveDate, minutes: i64) -> DateTime<Utc> {
    use chrono::TimeZone;
    let nine = day.and_hms_opt(9, 0, 0).unwrap_or_default();
    crate::clock::china().from_local_datetime(&nine).single().map(|t| t.with_timezone(&Utc)).unwrap_or_default()
        + Duration::minutes(minutes)
}

/// Creates `n` requests over the last two years (the demo users must exist: `demo::seed`
/// creates them first). Works on a database with data: ids, numbers and the audit chain
/// continue from what is there.
pub async fn seed_requests(db: &DatabaseConnection, n: u64, now: DateTime<Utc>, progress: bool) -> anyhow::Result<BulkSeeded> {
    let cast = cast(db).await?;
    let today = crate::clock::china_date(now);
    let calendar = crate::store::calendar::load(db).await?;
    let mut out = BulkSeeded::default();
    let started = std::time::Instant::now();
    let mut done = 0u64;
    while done < n {
        let count = BATCH.min(n - done);
        seed_batch(db, &cast, &calendar, done, count, n, today, &mut out).await?;
        done += count;
        if progress {
            let secs = started.elapsed().as_secs_f64();
            println!("  {done}/{n} requests, {} audit events, {secs:.1} s ({:.0}/s)", out.events, done as f64 / secs.max(1e-9));
        }
    }
    out.requests = n;
    // A bulk load is followed by statistics, as autovacuum would gather them later: the
    // planner and the short-text search (`store::list::rare_short_text`) read them.
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        db.execute_unprepared("ANALYZE requests").await?;
    }
    Ok(out)
}

/// What one request went through.
struct Plan {
    kind: Kind,
    status: Status,
    created: DateTime<Utc>,
    /// Refund short of the payout (refund_mismatch).
    short: bool,
}

fn plan(i: u64, n: u64, today: NaiveDate) -> Plan {
    let h = mix(i);
    // Spread evenly over the span, oldest first, so ids, numbers and times rise together.
    let offset_minutes = ((SPAN_DAYS * 24 * 60) as f64 * (i as f64 / n.max(1) as f64)) as i64;
    let start = at(today - Duration::days(SPAN_DAYS + 1), 0);
    let mut created = start + Duration::minutes(offset_minutes);
    let mut age = (today - crate::clock::china_date(created)).num_days();
    let kind = match h % 100 {
        0..=79 => Kind::VerificationTransfer,
        80..=91 => Kind::CertificationFee,
        _ => Kind::AdvancePayment,
    };
    let refundable = kind.refundable(false);
    let r = (h >> 8) % 100;
    use Status as S;
    let mut short = false;
    let mut status = if age >= 30 {
        match (refundable, r) {
            (true, 0..=69) | (true, 95..=99) => S::Refunded,
            (true, 70..=74) => S::Paid,
            (true, 75..=77) => {
                short = true;
                S::Paid
            }
            (true, 78..=83) | (false, 85..=92) => S::Returned,
            (true, 84..=89) | (false, 93..=99) => S::Withdrawn,
            (true, _) => S::Expired,
            (false, _) => S::Closed,
        }
    } else {
        match r {
            0..=9 => S::Draft,
            10..=21 => S::PendingManager,
            22..=33 => S::PendingFinance,
            34..=45 => S::Approved,
            46..=84 if !refundable => S::Closed,
            46..=79 => S::Paid,
            80..=84 if age >= 16 => S::Refunded,
            80..=84 => S::Paid,
            85..=92 => S::Returned,
            _ => S::Withdrawn,
        }
    };
    // A verification order lapses 10 days after it was placed: one still in flight is recent
    // (the daily job expires the rest), and one paid was paid in time.
    if kind == Kind::VerificationTransfer && matches!(status, S::PendingManager | S::PendingFinance | S::Approved | S::Draft) && age > 8 {
        let shift = age - (1 + age % 7);
        created += Duration::days(shift);
        age -= shift;
    }
    // Every step must lie in the past: a request created today can only be a draft or
    // submitted.
    if age < 3 && !matches!(status, S::Draft | S::PendingManager) {
        status = S::PendingManager;
    }
    Plan { kind, status, created, short }
}

#[allow(clippy::too_many_arguments)]
async fn seed_batch(
    db: &DatabaseConnection,
    cast: &Cast,
    calendar: &crate::domain::calendar::Calendar,
    first: u64,
    count: u64,
    n: u64,
    today: NaiveDate,
    out: &mut BulkSeeded,
) -> anyhow::Result<()> {
    use serde_json::json;
    let (tx, mut cursor) = crate::store::audit::begin(db).await?;
    let backend = tx.get_database_backend();
    // Taken under the audit lock, which every write of a request holds: nobody else adds a
    // request or a number meanwhile.
    let row = tx
        .query_one_raw(crate::db::stmt(backend, "SELECT COALESCE(MAX(id), 0) AS m FROM requests", vec![]))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("requests".into()))?;
    let max_id: i32 = row.try_get("", "m")?;
    let mut months: BTreeMap<String, i32> = BTreeMap::new();
    for r in tx.query_all_raw(crate::db::stmt(backend, "SELECT month, last_seq FROM request_seq", vec![])).await? {
        months.insert(r.try_get("", "month")?, r.try_get("", "last_seq")?);
    }
    let mut requests: Vec<Vec<SimpleExpr>> = Vec::with_capacity(count as usize);
    let mut people: Vec<(i32, i32, &'static str)> = Vec::new();
    let mut refunds: Vec<Vec<SimpleExpr>> = Vec::new();
    let mut events: Vec<(NewEvent, DateTime<Utc>)> = Vec::new();
    for k in 0..count {
        let i = first + k;
        let id = max_id + 1 + k as i32;
        let h = mix(i ^ 0xA5A5);
        let p = plan(i, n, today);
        let who = &cast.requesters[(h % cast.requesters.len() as u64) as usize];
        let (mgr_id, mgr_name) = (who.manager.0, who.manager.1.clone());
        let fin = &cast.finance[((h >> 4) % cast.finance.len() as u64) as usize];
        let payer = &cast.finance[(((h >> 4) + 1) % cast.finance.len() as u64) as usize];
        let company = &cast.companies[((h >> 12) % cast.companies.len() as u64) as usize];
        let amount_fen: i64 = match p.kind {
            Kind::VerificationTransfer => 100 + (h >> 20) as i64 % 99_900,
            Kind::CertificationFee => 30_000,
            Kind::AdvancePayment => 100_000 + ((h >> 20) as i64 % 4_800) * 1_000,
        };
        let order_date = crate::clock::china_date(p.created);
        let pay_by = deadlines::pay_by(order_date);
        let mut am = super::sample_request(i, order_date, who.id, who.department_id, p.created);
        let t_submit = p.created + Duration::minutes(20);
        let t_manager = p.created + Duration::hours(26);
        let t_finance = p.created + Duration::hours(29);
        let paid_at = crate::clock::china_date(p.created) + Duration::days(2);
        let t_paid = at(paid_at, 60);
        let refunded_at = paid_at + Duration::days(8 + (h % 5) as i64);
        let t_refund = at(refunded_at, 120);
        let s = p.status;
        let submitted = s != Status::Draft;
        let manager_done =
            matches!(s, Status::PendingFinance | Status::Approved | Status::Paid | Status::Refunded | Status::Closed | Status::Expired);
        let finance_done = matches!(s, Status::Approved | Status::Paid | Status::Refunded | Status::Closed);
        let paid = matches!(s, Status::Paid | Status::Refunded | Status::Closed);
        let refunded = s == Status::Refunded || p.short;
        let number = submitted.then(|| {
            let month = crate::clock::china_date(t_submit).format("%Y%m").to_string();
            let seq = months.entry(month.clone()).or_insert(0);
            *seq += 1;
            format!("YF{month}-{:04}", *seq)
        });
        let mut chain = Chain::new(vec![
            Step::new(MANAGER_STEP, StepKind::Manager, Stage::Manager, Mode::Any, vec![mgr_id]),
            Step::new(FINANCE_STEP, StepKind::Finance, Stage::Finance, Mode::Any, Vec::new()),
        ]);
        if manager_done {
            chain.approve(mgr_id, mgr_id, t_manager);
        }
        if finance_done {
            chain.approve(fin.0, fin.0, t_finance);
        }
        let payout_fen = amount_fen;
        let refund_fen = if p.short { payout_fen - 1 - (h % 50) as i64 } else { payout_fen };
        let refund_due = (paid && p.kind.refundable(false)).then(|| deadlines::refund_due(calendar, paid_at).value);
        let (title, purpose, payee) = match p.kind {
            Kind::VerificationTransfer => (None, None, None),
            Kind::CertificationFee => (Some(format!("小程序「日升商城{i}」微信认证费")), Some("微信小程序认证，需支付 300 元认证费"), None),
            Kind::AdvancePayment => (
                Some(format!("{}推广服务预付款（第{}期）", ["华南区", "华东区", "华北区"][(h % 3) as usize], 1 + h % 6)),
                Some("与服务商签订的推广合同预付款"),
                Some(("深圳市星火传媒有限公司", "中国银行深圳南山支行", "745768891234")),
            ),
        };
        use sea_orm::ActiveValue::Set;
        am.kind = Set(p.kind.as_str().into());
        am.amount_fen = Set(amount_fen);
        am.refundable = Set(p.kind.refundable(false));
        am.payer_entity = Set(company.1.clone());
        am.payer_bank = Set(company.3.clone());
        am.payer_account = Set(company.4.clone());
        if let Some(t) = title {
            am.title = Set(t);
        }
        if let Some(pur) = purpose {
            am.purpose = Set(pur.into());
        }
        if let Some((name, bank, account)) = payee {
            am.payee_name = Set(name.into());
            am.payee_bank = Set(bank.into());
            am.payee_account = Set(account.into());
            am.mini_program = Set(None);
        }
        let mut version = 1;
        let summary = json!({
            "status": "draft", "version": 1, "number": null, "kind": p.kind.as_str(), "amount_fen": amount_fen,
            "payee_name": payee.map_or("财付通支付科技有限公司", |x| x.0), "payee_account": payee.map_or("755915707910607", |x| x.2),
            "title": am.title.clone().unwrap(),
        });
        let ev = |actor: Option<(i32, &str)>, action: AuditAction, comment: Option<String>, before, after| NewEvent {
            actor_id: actor.map(|a| a.0),
            actor_name: actor.map_or("系统".to_owned(), |a| a.1.to_owned()),
            on_behalf_of_id: None,
            action,
            request_id: Some(id),
            comment,
            before,
            after,
            drafts_only: false,
        };
        events.push((ev(Some((who.id, &who.name)), AuditAction::Create, None, None, Some(summary)), p.created));
        let mut status = "draft";
        let step =
            |to: &'static str, round: i32, step: Option<&str>, extra: serde_json::Value, version: &mut i32, status: &mut &'static str| {
                let before = json!({"status": *status, "version": *version, "round": if *status == "draft" { 0 } else { round }});
                *version += 1;
                let mut after = json!({"status": to, "version": *version, "round": round, "number": number, "step": step});
                if let (Some(a), serde_json::Value::Object(x)) = (after.as_object_mut(), extra) {
                    a.extend(x);
                }
                *status = to;
                (Some(before), Some(after))
            };
        if submitted {
            let (b, a) = step("pending_manager", 1, None, json!({"cc_user_ids": []}), &mut version, &mut status);
            events.push((ev(Some((who.id, &who.name)), AuditAction::Submit, None, b, a), t_submit));
            match s {
                Status::Returned => {
                    let (b, a) = step("returned", 1, Some(MANAGER_STEP), json!({}), &mut version, &mut status);
                    let c = Some("收款账号与腾讯页面不一致，请核对后重新提交".to_owned());
                    events.push((ev(Some((mgr_id, &mgr_name)), AuditAction::Reject, c, b, a), t_manager));
                }
                Status::Withdrawn => {
                    let (b, a) = step("withdrawn", 1, None, json!({}), &mut version, &mut status);
                    let c = Some("主体信息有变，撤回重填".to_owned());
                    events.push((ev(Some((who.id, &who.name)), AuditAction::Withdraw, c, b, a), t_manager));
                }
                _ => {}
            }
        }
        if manager_done {
            let (b, a) = step("pending_finance", 1, Some(MANAGER_STEP), json!({}), &mut version, &mut status);
            events.push((ev(Some((mgr_id, &mgr_name)), AuditAction::Approve, Some("同意".into()), b, a), t_manager));
        }
        if s == Status::Expired {
            let (b, a) = step("expired", 1, None, json!({}), &mut version, &mut status);
            let c = Some(format!("超过付款期限 {pay_by}，小程序注册验证失败"));
            events.push((ev(None, AuditAction::Expire, c, b, a), at(pay_by + Duration::days(1), -60)));
        }
        if finance_done {
            let (b, a) = step("approved", 1, Some(FINANCE_STEP), json!({}), &mut version, &mut status);
            events.push((ev(Some((fin.0, &fin.1)), AuditAction::Approve, Some("已核对收款账户与金额".into()), b, a), t_finance));
        }
        let payout_ref = format!("CMB{}{:06}", paid_at.format("%Y%m%d"), id);
        let refund_ref = format!("TENPAY{}{:06}", refunded_at.format("%Y%m%d"), id);
        if paid {
            let to = if p.kind.refundable(false) { "paid" } else { "closed" };
            let extra = json!({"paid_at": paid_at, "amount_fen": payout_fen, "reference": payout_ref, "override_reason": null, "refund_due": refund_due});
            let (b, a) = step(to, 1, None, extra, &mut version, &mut status);
            events.push((ev(Some((payer.0, &payer.1)), AuditAction::Payout, None, b, a), t_paid));
        }
        if refunded {
            let to = if p.short { "paid" } else { "refunded" };
            let extra = json!({"refunded_at": refunded_at, "amount_fen": refund_fen, "refunded_total_fen": refund_fen,
                "difference_fen": payout_fen - refund_fen, "reference": refund_ref});
            let (mut b, a) = step(to, 1, None, extra, &mut version, &mut status);
            if let Some(b) = b.as_mut() {
                b["refunded_total_fen"] = serde_json::Value::Null;
            }
            events.push((ev(Some((payer.0, &payer.1)), AuditAction::Refund, None, b, a), t_refund));
            refunds.push(vec![
                id.into(),
                refunded_at.into(),
                refund_fen.into(),
                refund_ref.clone().into(),
                payer.0.into(),
                t_refund.into(),
            ]);
        }
        let updated = events.last().map_or(p.created, |e| e.1);
        // The people index, as `store::chain::sync_people` leaves it.
        if submitted {
            people.push((id, mgr_id, "chain"));
            if s == Status::PendingManager {
                people.push((id, mgr_id, "current"));
            }
            if manager_done {
                people.extend([(id, mgr_id, "acted"), (id, mgr_id, "involved")]);
            }
            if finance_done {
                people.extend([(id, fin.0, "acted"), (id, fin.0, "involved"), (id, fin.0, "signed_off")]);
            }
        }
        requests.push(vec![
            id.into(),
            number.clone().into(),
            am.kind.clone().unwrap().into(),
            am.title.clone().unwrap().into(),
            amount_fen.into(),
            "CNY".into(),
            am.refundable.clone().unwrap().into(),
            am.payer_entity.clone().unwrap().into(),
            am.payer_credit_code.clone().unwrap().into(),
            am.payer_bank.clone().unwrap().into(),
            am.payer_account.clone().unwrap().into(),
            am.payee_name.clone().unwrap().into(),
            am.payee_bank.clone().unwrap().into(),
            am.payee_account.clone().unwrap().into(),
            am.transfer_remark.clone().unwrap().into(),
            order_date.into(),
            pay_by.into(),
            am.purpose.clone().unwrap().into(),
            am.mini_program.clone().unwrap().into(),
            who.id.into(),
            who.department_id.into(),
            s.as_str().into(),
            version.into(),
            i32::from(submitted).into(),
            submitted.then_some(mgr_id).into(),
            manager_done.then_some(mgr_id).into(),
            finance_done.then_some(fin.0).into(),
            submitted.then_some(t_submit).into(),
            finance_done.then_some(t_finance).into(),
            paid.then_some(paid_at).into(),
            paid.then_some(payout_fen).into(),
            paid.then(|| payout_ref.clone()).into(),
            paid.then_some(payer.0).into(),
            refund_due.into(),
            refunded.then_some(refunded_at).into(),
            refunded.then_some(refund_fen).into(),
            refunded.then(|| refund_ref.clone()).into(),
            "".into(),
            company.0.into(),
            company.2.into(),
            submitted.then(|| crate::store::chain::to_json(&chain)).into(),
            p.created.into(),
            updated.into(),
        ]);
        *out.by_status.entry(s.as_str()).or_default() += 1;
    }
    let columns = [
        "id",
        "number",
        "kind",
        "title",
        "amount_fen",
        "currency",
        "refundable",
        "payer_entity",
        "payer_credit_code",
        "payer_bank",
        "payer_account",
        "payee_name",
        "payee_bank",
        "payee_account",
        "transfer_remark",
        "order_date",
        "pay_by",
        "purpose",
        "mini_program",
        "requester_id",
        "department_id",
        "status",
        "version",
        "round",
        "manager_approver_id",
        "manager_approved_by",
        "finance_approved_by",
        "submitted_at",
        "approved_at",
        "paid_at",
        "payout_amount_fen",
        "payout_reference",
        "paid_by",
        "refund_due",
        "refunded_at",
        "refund_amount_fen",
        "refund_reference",
        "flags",
        "company_id",
        "payer_account_id",
        "chain",
        "created_at",
        "updated_at",
    ];
    insert_rows(&tx, "requests", &columns, requests).await?;
    let people = people.into_iter().map(|(r, u, rel)| vec![r.into(), u.into(), rel.into()]).collect();
    insert_rows(&tx, "request_people", &["request_id", "user_id", "relation"], people).await?;
    insert_rows(&tx, "refunds", &["request_id", "refunded_at", "amount_fen", "reference", "recorded_by", "created_at"], refunds).await?;
    for (month, seq) in &months {
        tx.execute_raw(crate::db::stmt(
            backend,
            "INSERT INTO request_seq (month, last_seq) VALUES ($1, $2) \
             ON CONFLICT (month) DO UPDATE SET last_seq = excluded.last_seq",
            vec![month.clone().into(), (*seq).into()],
        ))
        .await?;
    }
    if backend == sea_orm::DatabaseBackend::Postgres {
        // Explicit ids do not move the serial sequence.
        tx.execute_unprepared("SELECT setval(pg_get_serial_sequence('requests', 'id'), (SELECT MAX(id) FROM requests))").await?;
    }
    events.sort_by_key(|(e, t)| (*t, e.request_id));
    out.events += events.len() as u64;
    cursor.append_many(&tx, events).await?;
    tx.commit().await?;
    Ok(())
}

async fn insert_rows(tx: &sea_orm::DatabaseTransaction, table: &str, columns: &[&str], rows: Vec<Vec<SimpleExpr>>) -> Result<(), DbErr> {
    let per = (ROWS_PER_INSERT * 43 / columns.len()).clamp(1, 2000);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut insert = Query::insert();
        insert.into_table(Alias::new(table)).columns(columns.iter().map(|c| Alias::new(*c)));
        for row in rows.by_ref().take(per) {
            insert.values_panic(row);
        }
        tx.execute(&insert).await?;
    }
    Ok(())
}
