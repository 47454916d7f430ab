//! The daily jobs (DESIGN §4 `jobs run`): expire what passed `pay_by` unpaid, and remind
//! people of what is due or late. Every step is idempotent — transitions are conditional and
//! reminders carry a dedupe key — so running twice, or on two instances, changes nothing more.
use crate::clock::china_date;
use crate::config::Config;
use crate::domain::roles::Role;
use crate::domain::workflow::Status;
use crate::error::ApiError;
use crate::store::apply::{By, Change, Ctx, Order, apply};
use crate::store::notify::{Notice, notify, users_with_role};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use entity::request;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct JobReport {
    pub expired: usize,
    pub reminders: u64,
}

/// Claims today's run for this instance; `false` when another instance already has it.
pub async fn claim_daily(db: &DatabaseConnection, today: NaiveDate, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let inserted = entity_job_run_insert(db, "daily", today, now).await?;
    Ok(inserted == 1)
}

async fn entity_job_run_insert(db: &DatabaseConnection, name: &str, day: NaiveDate, now: DateTime<Utc>) -> Result<u64, DbErr> {
    use sea_orm::{ConnectionTrait, sea_query::Query};
    let stmt = Query::insert()
        .into_table("job_runs")
        .columns(["name", "run_date", "started_at"])
        .values_panic([name.into(), day.into(), now.into()])
        .on_conflict(OnConflict::columns(["name", "run_date"]).do_nothing().to_owned())
        .to_owned();
    Ok(db.execute(&stmt).await?.rows_affected())
}

pub async fn run_daily(db: &DatabaseConnection, config: &Config, now: DateTime<Utc>) -> Result<JobReport, DbErr> {
    let today = china_date(now);
    let channels = crate::store::notify::Channels::of(config);
    let mut report = JobReport { expired: expire(db, config, today, now).await?, reminders: 0 };
    let finance = users_with_role(db, Role::Finance).await?;
    let cal = crate::store::calendar::load(db).await?;
    let label = |m: &request::Model| format!("{} {}", m.number.as_deref().unwrap_or(""), m.title);

    // Payments due within two days.
    let due_soon = request::Entity::find()
        .filter(request::Column::Status.eq(Status::Approved.as_str()))
        .filter(request::Column::PayBy.gte(today))
        .filter(request::Column::PayBy.lte(today + Duration::days(2)))
        .order_by_asc(request::Column::Id)
        .all(db)
        .await?;
    for m in &due_soon {
        let to: Vec<i32> = finance.iter().copied().filter(|u| *u != m.requester_id).collect();
        let notice = Notice {
            kind: "payout_due",
            title: "即将到期：请尽快打款".into(),
            body: format!("{}，须在 {} 前完成汇款，否则小程序注册失败", label(m), m.pay_by),
            request_id: Some(m.id),
            dedupe_key: format!("payout_due:{}:{}", m.id, m.pay_by),
        };
        report.reminders += notify(db, &to, &notice, channels, now).await?;
    }

    // Refunds later than 10 working days.
    let late = request::Entity::find()
        .filter(request::Column::Status.eq(Status::Paid.as_str()))
        .filter(request::Column::RefundDue.lt(today))
        .order_by_asc(request::Column::Id)
        .all(db)
        .await?;
    for m in &late {
        let mut to = finance.clone();
        to.push(m.requester_id);
        let due = m.refund_due.unwrap_or(today);
        let notice = Notice {
            kind: "refund_overdue",
            title: "退款逾期".into(),
            body: format!("{}，腾讯应于 {due} 前退回，至今未全额到账，请跟进", label(m)),
            request_id: Some(m.id),
            dedupe_key: format!("refund_overdue:{}:{due}", m.id),
        };
        report.reminders += notify(db, &to, &notice, channels, now).await?;
    }

    // Approvals waiting more than two working days (催办).
    let waiting = request::Entity::find()
        .filter(request::Column::Status.is_in([Status::PendingManager.as_str(), Status::PendingFinance.as_str()]))
        .order_by_asc(request::Column::Id)
        .all(db)
        .await?;
    for m in &waiting {
        let Some(since) = m.submitted_at.map(china_date) else { continue };
        if cal.working_days_between(since, today).value <= 2 {
            continue;
        }
        let chain = crate::store::chain::chain_of(m);
        let to = chain.deciders(m.requester_id, &finance);
        let notice = Notice {
            kind: "approval_overdue",
            title: "催办：审批已等待超过 2 个工作日".into(),
            body: label(m),
            request_id: Some(m.id),
            dedupe_key: format!("urge:{}:{}:{}", m.id, m.round, chain.current),
        };
        report.reminders += notify(db, &to, &notice, channels, now).await?;
    }

    // From 1 November, admins are told when next year's calendar is missing.
    if today.month() >= 11 && !cal.has_year(today.year() + 1) {
        let next = today.year() + 1;
        let admins = users_with_role(db, Role::Admin).await?;
        let notice = Notice {
            kind: "calendar_missing",
            title: format!("请导入 {next} 年节假日安排"),
            body: format!("{next} 年的法定节假日与调休安排尚未导入，退款到期日将按仅周末计算"),
            request_id: None,
            dedupe_key: format!("calendar_missing:{next}"),
        };
        report.reminders += notify(db, &admins, &notice, channels, now).await?;
    }
    Ok(report)
}

/// Moves every unpaid request past its `pay_by` to `expired`, one audited transition each.
async fn expire(db: &DatabaseConnection, config: &Config, today: NaiveDate, now: DateTime<Utc>) -> Result<usize, DbErr> {
    let candidates = request::Entity::find()
        .filter(request::Column::Status.is_in([
            Status::PendingManager.as_str(),
            Status::PendingFinance.as_str(),
            Status::Approved.as_str(),
        ]))
        .filter(request::Column::PayBy.lt(today))
        .order_by_asc(request::Column::Id)
        .all(db)
        .await?;
    let ctx = Ctx { db, config, now };
    let mut expired = 0;
    for m in candidates {
        match apply(ctx, By::System, m, Order::new(Change::Expire)).await {
            Ok(_) => expired += 1,
            // Someone acted on it meanwhile; the next run decides again.
            Err(ApiError::Conflict { .. }) => {}
            Err(e) => return Err(DbErr::Custom(e.to_string())),
        }
    }
    Ok(expired)
}

/// Keeps the time of the last successful run where every instance's `/metrics` reads it.
pub async fn record_success(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<(), DbErr> {
    let model = entity::setting::ActiveModel {
        key: sea_orm::Set(crate::http::metrics::LAST_DAILY_SETTING.to_owned()),
        value: sea_orm::Set(now.to_rfc3339()),
    };
    entity::setting::Entity::insert(model)
        .on_conflict(OnConflict::column(entity::setting::Column::Key).update_column(entity::setting::Column::Value).to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The in-server scheduler: checks every few minutes whether today's run is due and claims it.
pub fn spawn_scheduler(state: crate::app::AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(300));
        loop {
            tick.tick().await;
            let now = state.clock.now();
            match claim_daily(&state.db, china_date(now), now).await {
                Ok(true) => match run_daily(&state.db, &state.config, now).await {
                    Ok(r) => {
                        tracing::info!(expired = r.expired, reminders = r.reminders, "daily jobs done");
                        if let Err(e) = record_success(&state.db, now).await {
                            tracing::warn!(error = %e, "cannot record the daily jobs' success");
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "daily jobs failed"),
                },
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "cannot claim the daily jobs"),
            }
        }
    });
}
