//! `verifund demo seed` without `--requests`: a few months of life, so every screen has
//! something to show. Each request is told as a story of steps at clock times in the past;
//! all steps of all stories run in time order through the one path (`store::apply`), so the
//! numbers, timelines, notifications and the audit chain are what real use would leave.
use super::sample_request;
use crate::auth::AuthUser;
use crate::clock::china;
use crate::config::Config;
use crate::domain::roles::RoleSet;
use crate::domain::workflow::Kind;
use crate::store::apply::{By, Change, Ctx, Order, apply, create};
use crate::store::delegations::{self, NewDelegation};
use crate::store::users::find_by_username;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use entity::{request, user};
use sea_orm::{ActiveValue::Set, DatabaseConnection};

/// Set once the history exists, so a second `demo seed` adds nothing.
const DONE_KEY: &str = "demo_history_seeded_at";

/// Where a story stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Draft,
    /// Waiting on 李四.
    Submitted,
    /// 李四 approved; an advance payment of 50,000 元 or more then waits on 吴九 (分管领导).
    ManagerApproved,
    /// Finance signed off; waiting for the payout.
    Approved,
    /// Paid; `refunds` as (working days after the payout, fen), none for an open refund.
    Paid,
    Returned,
    Withdrawn,
    /// Never paid; the daily job expires it the day after `pay_by`.
    Expired,
}

struct Story {
    kind: Kind,
    amount_fen: i64,
    /// The day it starts (created, and for a verification transfer Tencent's order date).
    days_ago: i64,
    end: End,
    /// (calendar days after the payout, fen).
    refunds: &'static [(i64, Option<i64>)],
}

const FULL: &[(i64, Option<i64>)] = &[(9, None)];

fn stories() -> Vec<Story> {
    use End::*;
    use Kind::{AdvancePayment as Adv, CertificationFee as Cert, VerificationTransfer as Vt};
    let s = |kind, amount_fen, days_ago, end, refunds| Story { kind, amount_fen, days_ago, end, refunds };
    let mut out = Vec::new();
    // Five months of settled verification transfers, refunded in full.
    for (i, days_ago) in [152, 146, 131, 118, 109, 97, 88, 74, 66, 57, 49, 41, 36, 31].into_iter().enumerate() {
        out.push(s(Vt, 1 + (i as i64 * 7_919 + 1_234) % 99_999, days_ago, Paid, FULL));
    }
    out.extend([
        // Certification fees close on payout.
        s(Cert, 30_000, 124, Paid, &[]),
        s(Cert, 30_000, 79, Paid, &[]),
        s(Cert, 30_000, 34, Paid, &[]),
        // Tencent sent back less than was paid: refund_mismatch.
        s(Vt, 88_888, 46, Paid, &[(8, Some(88_000))]),
        // Paid weeks ago and nothing back: refund_overdue.
        s(Vt, 12_345, 29, Paid, &[]),
        s(Vt, 67_890, 24, Paid, &[]),
        s(Vt, 43_210, 21, Paid, &[]),
        // Paid recently, refund not due yet.
        s(Vt, 23_456, 6, Paid, &[]),
        s(Vt, 9_999, 5, Paid, &[]),
        // Still moving.
        s(Vt, 31_415, 3, Approved, &[]),
        s(Vt, 27_182, 2, Approved, &[]),
        s(Vt, 16_180, 3, ManagerApproved, &[]),
        s(Vt, 14_142, 2, ManagerApproved, &[]),
        s(Vt, 17_320, 1, ManagerApproved, &[]),
        s(Adv, 6_800_000, 2, ManagerApproved, &[]),
        s(Vt, 22_360, 3, Submitted, &[]),
        s(Vt, 26_457, 2, Submitted, &[]),
        s(Vt, 11_111, 1, Submitted, &[]),
        s(Vt, 55_555, 5, Returned, &[]),
        s(Vt, 44_444, 12, Withdrawn, &[]),
        s(Vt, 33_333, 25, Expired, &[]),
        s(Vt, 19_876, 1, Draft, &[]),
        s(Adv, 120_000, 1, Draft, &[]),
    ]);
    out
}

/// What one story does next, at `at`.
enum Step {
    Create,
    Submit,
    Approve(&'static str),
    Reject,
    Withdraw,
    Expire,
    Payout,
    Refund(Option<i64>),
}

/// Who to log in as to see what, counted from the stories.
pub struct Seeded {
    pub requests: usize,
    pub manager_tasks: usize,
    pub vp_tasks: usize,
    pub finance_signoffs: usize,
    pub payouts_due: usize,
    pub refunds_open: usize,
    pub delegation_ends: NaiveDate,
}

/// 09:00 China time `days_ago` days before `today`, plus `minutes`.
fn at(today: NaiveDate, days_ago: i64, minutes: i64) -> DateTime<Utc> {
    let day = today - Duration::days(days_ago);
    let nine = day.and_hms_opt(9, 0, 0).unwrap_or_default();
    china().from_local_datetime(&nine).single().map(|t| t.with_timezone(&Utc)).unwrap_or_default() + Duration::minutes(minutes)
}

fn as_user(u: &user::Model, today: NaiveDate) -> AuthUser {
    AuthUser {
        id: u.id,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        roles: RoleSet::from_db(&u.roles),
        department_id: u.department_id,
        manager_id: u.manager_id,
        today,
        data_version: None,
    }
}

/// The story's steps with their times. Every step lies on a day before `today`, so the
/// history never runs ahead of the clock.
fn steps(story: &Story, today: NaiveDate, offset: i64) -> Vec<(DateTime<Utc>, Step)> {
    let t0 = story.days_ago;
    let mut out = vec![(at(today, t0, offset), Step::Create)];
    if story.end == End::Draft {
        return out;
    }
    out.push((at(today, t0, offset + 20), Step::Submit));
    // Decisions the next day, unless the story started yesterday.
    let next = if t0 > 1 { t0 - 1 } else { t0 };
    let manager = at(today, next, offset + 90);
    match story.end {
        End::Submitted | End::Draft => {}
        End::Returned => out.push((manager, Step::Reject)),
        End::Withdrawn => out.push((manager, Step::Withdraw)),
        End::Expired => {
            out.push((manager, Step::Approve("lisi")));
            // pay_by is the order day + 10; the daily job finds it lapsed the morning after.
            out.push((at(today, t0 - 11, -60), Step::Expire));
        }
        End::ManagerApproved => {
            out.push((manager, Step::Approve("lisi")));
        }
        End::Approved | End::Paid => {
            out.push((manager, Step::Approve("lisi")));
            out.push((at(today, next, offset + 240), Step::Approve("zhaoliu")));
            if story.end == End::Paid {
                let paid = if t0 > 2 { t0 - 2 } else { next };
                out.push((at(today, paid, offset + 300), Step::Payout));
                for (after, amount) in story.refunds {
                    out.push((at(today, paid - after, offset + 120), Step::Refund(*amount)));
                }
            }
        }
    }
    out
}

/// Creates the living history once; `None` when it is there already.
pub async fn seed_history(db: &DatabaseConnection, config: &Config, now: DateTime<Utc>) -> anyhow::Result<Option<Seeded>> {
    if crate::db::get_setting(db, DONE_KEY).await?.is_some() {
        return Ok(None);
    }
    let today = crate::clock::china_date(now);
    let person = |name: &'static str| async move {
        find_by_username(db, name).await?.ok_or_else(|| anyhow::anyhow!("the demo user {name} is missing"))
    };
    let (zhangsan, lisi, wujiu, zhouba, wangwu, zhaoliu) = (
        person("zhangsan").await?,
        person("lisi").await?,
        person("wujiu").await?,
        person("zhouba").await?,
        person("wangwu").await?,
        person("zhaoliu").await?,
    );
    let users = [&zhangsan, &lisi, &wujiu, &zhouba, &wangwu, &zhaoliu];

    let stories = stories();
    let mut plan: Vec<(DateTime<Utc>, usize, Step)> = Vec::new();
    for (i, story) in stories.iter().enumerate() {
        plan.extend(steps(story, today, i as i64 * 3).into_iter().map(|(t, s)| (t, i, s)));
    }
    plan.sort_by_key(|(t, i, _)| (*t, *i));

    let mut current: Vec<Option<request::Model>> = vec![None; stories.len()];
    for (t, i, step) in plan {
        let story = &stories[i];
        let day = crate::clock::china_date(t);
        let ctx = Ctx { db, config, now: t };
        let by = |username: &str| users.iter().find(|u| u.username == username).map(|u| as_user(u, day));
        let requester = as_user(&zhangsan, day);
        if let Step::Create = step {
            current[i] = Some(create(ctx, &requester, draft(story, i, &zhangsan, day, t)).await?);
            continue;
        }
        let Some(m) = current[i].take() else { anyhow::bail!("story {i} acted before it was created") };
        let (who, order) = match step {
            Step::Create => unreachable!("handled above"),
            Step::Submit => (Some(requester), Order::new(Change::Submit { cc_user_ids: Vec::new(), incomplete: Vec::new() })),
            Step::Approve(name) => {
                let comment = if name == "lisi" { "同意" } else { "已核对收款账户与金额" };
                (by(name), Order { comment: Some(comment.into()), ..Order::new(Change::Approve) })
            }
            Step::Reject => (
                by("lisi"),
                Order {
                    comment: Some("收款账号与腾讯页面不一致，请核对后重新提交".into()), ..Order::new(Change::Reject)
                },
            ),
            Step::Withdraw => (Some(requester), Order { comment: Some("主体信息有变，撤回重填".into()), ..Order::new(Change::Withdraw) }),
            Step::Expire => (None, Order::new(Change::Expire)),
            Step::Payout => {
                let change = Change::Payout {
                    paid_at: day,
                    amount_fen: m.amount_fen,
                    reference: format!("CMB{}{:04}", day.format("%Y%m%d"), m.id),
                    override_reason: None,
                };
                (by("wangwu"), Order::new(change))
            }
            Step::Refund(amount) => {
                let change = Change::Refund {
                    refunded_at: day,
                    amount_fen: amount.unwrap_or_else(|| m.payout_amount_fen.unwrap_or(m.amount_fen)),
                    reference: format!("TENPAY{}{:04}", day.format("%Y%m%d"), m.id),
                };
                (by("wangwu"), Order::new(change))
            }
        };
        let applied = match &who {
            Some(u) => apply(ctx, By::User(u), m, order).await,
            None => apply(ctx, By::System, m, order).await,
        }
        .map_err(|e| anyhow::anyhow!("demo story {i} ({:?}): {e}", story.end))?;
        current[i] = Some(applied.request);
    }

    // 吴九 is away for two weeks; 周八 decides his 分管领导 steps meanwhile.
    let ends_on = today + Duration::days(14);
    let ctx = Ctx { db, config, now };
    delegations::create(ctx, &as_user(&wujiu, today), &NewDelegation { delegate_id: zhouba.id, starts_on: today, ends_on, kinds: None })
        .await?;
    crate::db::get_or_init_setting(db, DONE_KEY, || now.to_rfc3339()).await?;

    let count = |f: &dyn Fn(&Story) -> bool| stories.iter().filter(|s| f(s)).count();
    Ok(Some(Seeded {
        requests: stories.len(),
        manager_tasks: count(&|s| s.end == End::Submitted),
        vp_tasks: count(&|s| s.end == End::ManagerApproved && s.kind == Kind::AdvancePayment),
        finance_signoffs: count(&|s| s.end == End::ManagerApproved && s.kind != Kind::AdvancePayment),
        payouts_due: count(&|s| s.end == End::Approved),
        refunds_open: count(&|s| s.end == End::Paid && s.kind.refundable(false) && s.refunds != FULL),
        delegation_ends: ends_on,
    }))
}

/// The story's draft: a verification transfer for a mini-program, a certification fee, or a
/// general advance payment.
fn draft(story: &Story, i: usize, requester: &user::Model, day: NaiveDate, now: DateTime<Utc>) -> request::ActiveModel {
    let mut am = sample_request(10_000 + i as u64, day, requester.id, requester.department_id, now);
    am.amount_fen = Set(story.amount_fen);
    am.kind = Set(story.kind.as_str().into());
    am.refundable = Set(story.kind.refundable(false));
    match story.kind {
        Kind::VerificationTransfer => {}
        Kind::CertificationFee => {
            am.title = Set(format!("小程序「日升商城{}」微信认证费", 10_000 + i));
            am.purpose = Set("微信小程序认证，需支付 300 元认证费".into());
        }
        Kind::AdvancePayment => {
            am.title = Set("华南区小程序推广服务预付款".into());
            am.purpose = Set("与服务商签订的推广合同首期预付款".into());
            am.payee_name = Set("深圳市星火传媒有限公司".into());
            am.payee_bank = Set("中国银行深圳南山支行".into());
            am.payee_account = Set("745768891234".into());
            am.mini_program = Set(None);
        }
    }
    am
}
