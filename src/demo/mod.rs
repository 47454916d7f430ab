//! `verifund demo seed`: a small organisation with known passwords, for trying the product,
//! and either a living history (`history`) or `--requests N` over two years (`bulk`).
use crate::domain::ids::check_char;
use crate::domain::roles::{Role, RoleSet};
use crate::store::users::{NewUser, Operator, find_by_username};
use entity::{department, request};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait, IntoActiveModel};

mod bulk;
mod history;
pub use bulk::{BulkSeeded, seed_requests};
pub use history::{Seeded, seed_history};

pub const DEMO_PASSWORD: &str = "verifund-demo";

/// A valid 统一社会信用代码 for the demo company, built with the real check digit.
pub fn demo_credit_code() -> String {
    let first17 = "91440300MA5DEMO01".replace('O', "0");
    let check = check_char(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

pub async fn seed(db: &DatabaseConnection, requests: u32) -> anyhow::Result<()> {
    let dept_id = crate::store::users::ensure_department(db, "市场部").await?;
    let people: [(&str, &str, &[Role]); 8] = [
        ("admin", "管理员", &[Role::Admin, Role::Requester]),
        ("wujiu", "吴九", &[Role::Manager, Role::Requester]),
        ("lisi", "李四", &[Role::Manager, Role::Requester]),
        ("zhangsan", "张三", &[Role::Requester]),
        ("wangwu", "王五", &[Role::Finance, Role::Requester]),
        ("zhaoliu", "赵六", &[Role::Finance, Role::Requester]),
        ("sunqi", "孙七", &[Role::Auditor]),
        // A deputy manager: stands in for 吴九 while away (a delegate needs an approving role).
        ("zhouba", "周八", &[Role::Manager, Role::Requester]),
    ];
    println!("demo users (password for new ones: {DEMO_PASSWORD}):");
    for (username, name, roles) in people {
        let exists = find_by_username(db, username).await?;
        let (state, user) = match exists {
            Some(u) => ("exists ", u),
            None => {
                // 李四 heads 市场部 and reports to 吴九, the vice-president in charge (分管领导).
                let manager_id = match username {
                    "zhangsan" | "zhouba" => find_by_username(db, "lisi").await?.map(|u| u.id),
                    "lisi" => find_by_username(db, "wujiu").await?.map(|u| u.id),
                    _ => None,
                };
                let u = crate::store::users::create(
                    db,
                    NewUser {
                        username: username.into(),
                        display_name: name.into(),
                        email: None,
                        password: DEMO_PASSWORD.into(),
                        roles: roles.iter().copied().collect::<RoleSet>(),
                        department_id: Some(dept_id),
                        manager_id,
                        must_change_password: false,
                    },
                    &Operator::cli(),
                    chrono::Utc::now(),
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
                ("created", u)
            }
        };
        println!("  {state}  {:<10} {:<6} {}", user.username, user.display_name, user.roles);
    }
    if let (Some(d), Some(head)) = (department::Entity::find_by_id(dept_id).one(db).await?, find_by_username(db, "lisi").await?)
        && d.head_id.is_none()
    {
        let mut am = d.into_active_model();
        am.head_id = Set(Some(head.id));
        am.update(db).await?;
    }
    seed_companies(db).await?;
    if requests > 0 {
        let seeded = bulk::seed_requests(db, u64::from(requests), chrono::Utc::now(), true).await?;
        println!("created {} requests over the last two years ({} audit events):", seeded.requests, seeded.events);
        for (status, n) in &seeded.by_status {
            println!("  {status:<16} {n}");
        }
        println!("log in at http://127.0.0.1:8080/ — e.g. zhangsan (申请人), lisi (经理), wangwu / zhaoliu (财务), sunqi (审计)");
    }
    Ok(())
}

/// Who to log in as to see what, after the history was created.
pub fn print_guide(s: &Seeded) {
    println!("created {} requests over the last five months, in every state", s.requests);
    println!("log in at http://127.0.0.1:8080/ (password {DEMO_PASSWORD}) as:");
    println!("  lisi      李四 经理      我的待办: {} to approve (tick them and 批量同意)", s.manager_tasks);
    println!("  wujiu     吴九 分管领导  {} waiting on the 分管领导 step; away until {}", s.vp_tasks, s.delegation_ends);
    println!("  zhouba    周八 副经理    stands in for 吴九 (delegation), sees the same step");
    println!(
        "  wangwu    王五 财务      资金看板 (dashboard): {} to sign off, {} to pay, {} refunds still out",
        s.finance_signoffs, s.payouts_due, s.refunds_open
    );
    println!("  zhaoliu   赵六 财务      the other finance user (four-eyes: signs off what 王五 pays)");
    println!("  zhangsan  张三 申请人    his requests: draft, returned, withdrawn, expired, paid, refunded, closed");
    println!("  sunqi     孙七 审计      the audit log; `verifund audit verify` checks its chain");
}

/// A valid credit code from 17 characters (the check digit is computed).
fn credit_code(first17: &str) -> String {
    format!("{first17}{}", check_char(first17).unwrap_or('0'))
}

/// A demo company: name, credit code, its accounts (bank, account), and whether it names its
/// own finance users.
struct DemoCompany {
    name: &'static str,
    credit_code: String,
    accounts: &'static [(&'static str, &'static str)],
    own_finance: bool,
}

/// Two companies of the group, each with its corporate accounts; the second one's requests
/// are signed off by its own finance users.
async fn seed_companies(db: &DatabaseConnection) -> anyhow::Result<()> {
    use entity::{company, company_account, company_finance_user};
    use sea_orm::{ColumnTrait, QueryFilter};
    let finance: Vec<i32> =
        [find_by_username(db, "wangwu").await?, find_by_username(db, "zhaoliu").await?].into_iter().flatten().map(|u| u.id).collect();
    let companies = [
        DemoCompany {
            name: "日升集团有限公司",
            credit_code: demo_credit_code(),
            accounts: &[("招商银行深圳分行", "755912345610801"), ("中国工商银行深圳福田支行", "4000020309200012345")],
            own_finance: false,
        },
        DemoCompany {
            name: "日升科技（深圳）有限公司",
            credit_code: credit_code("91440300MA5G7K2P1"),
            accounts: &[("中国建设银行深圳科技园支行", "44250100003600001234")],
            own_finance: true,
        },
    ];
    for DemoCompany { name, credit_code: code, accounts, own_finance } in companies {
        if company::Entity::find().filter(company::Column::Name.eq(name)).one(db).await?.is_some() {
            continue;
        }
        let now = chrono::Utc::now();
        let c = company::ActiveModel {
            name: Set(name.into()),
            credit_code: Set(code),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
        for (i, (bank, account)) in accounts.iter().enumerate() {
            company_account::ActiveModel {
                company_id: Set(c.id),
                bank: Set((*bank).into()),
                account: Set((*account).into()),
                is_default: Set(i == 0),
                retired: Set(false),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
        if own_finance {
            for f in &finance {
                company_finance_user::ActiveModel { company_id: Set(c.id), user_id: Set(*f) }.insert(db).await?;
            }
        }
        println!("  created  company {name}");
    }
    Ok(())
}

/// A plausible verification-transfer draft (the demo data and the benchmarks use it): an odd
/// amount, the demo company paying Tenpay, a mini-program without personal data.
pub fn sample_request(
    i: u64,
    order_date: chrono::NaiveDate,
    requester_id: i32,
    department_id: Option<i32>,
    now: chrono::DateTime<chrono::Utc>,
) -> request::ActiveModel {
    request::ActiveModel {
        kind: Set("verification_transfer".into()),
        title: Set(format!("小程序「日升商城{i}」对公打款验证")),
        amount_fen: Set(1 + (i as i64 * 7919) % 99_999),
        currency: Set("CNY".into()),
        refundable: Set(true),
        payer_entity: Set("日升科技（深圳）有限公司".into()),
        payer_credit_code: Set(demo_credit_code()),
        payer_bank: Set("招商银行深圳分行".into()),
        payer_account: Set("755912345610801".into()),
        payee_name: Set("财付通支付科技有限公司".into()),
        payee_bank: Set("招商银行深圳分行营业部".into()),
        payee_account: Set("755915707910607".into()),
        transfer_remark: Set(format!("{:06}", 100_000 + i % 900_000)),
        order_date: Set(order_date),
        pay_by: Set(crate::domain::deadlines::pay_by(order_date)),
        purpose: Set("微信小程序注册主体验证打款，腾讯将在 10 个工作日内原路退回".into()),
        mini_program: Set(Some(serde_json::json!({
            "name": format!("日升商城{i}"), "registration_email": format!("mp{i}@risun.example.com"),
            "entity_type": "enterprise", "entity_subtype": "企业法人"
        }))),
        requester_id: Set(requester_id),
        department_id: Set(department_id),
        status: Set("draft".into()),
        version: Set(1),
        round: Set(0),
        flags: Set(String::new()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}
