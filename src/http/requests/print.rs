//! The printable 日升集团应(预)付款审批单, laid out like the paper form, for A4: with its
//! ordinary history (up to eight timeline rows) it is one page, signatures included; a longer
//! history continues on the next page under its repeated header. The same page as a PDF.
use super::detail::{TimelineEntry, timeline};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::clock::china;
use crate::domain::money::{amount_in_words, format_yuan};
use crate::domain::workflow::Kind;
use crate::error::{ApiResult, Lang, Msg, Problem};
use crate::export::pdf::{PdfError, html_to_pdf};
use crate::http::extract::Path;
use crate::store::chain::chain_of;
use crate::store::requests::{find_visible, status_of};
use crate::upload::content_disposition;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entity::{department, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(print)).routes(routes!(print_pdf))
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// One row of the signature block: a step and who decided it, with their opinion.
struct Signature {
    step: String,
    who: String,
    at: Option<chrono::DateTime<chrono::Utc>>,
    opinion: String,
}

/// The requester's submit, every step of the latest round in order (with delegates and
/// steps added by 加签), then payout and refund.
fn signatures(m: &entity::request::Model, events: &[TimelineEntry], names: &std::collections::HashMap<i32, String>) -> Vec<Signature> {
    let last_submit = events.iter().rposition(|e| e.action == "submit");
    let round: &[TimelineEntry] = match last_submit {
        Some(i) => &events[i..],
        None => &[],
    };
    let name = |id: i32| names.get(&id).cloned().unwrap_or_else(|| format!("#{id}"));
    let mut sigs = vec![Signature {
        step: "申请人".into(),
        who: last_submit.map(|i| events[i].actor_name.clone()).unwrap_or_default(),
        at: last_submit.map(|i| events[i].at),
        opinion: last_submit.and_then(|i| events[i].comment.clone()).unwrap_or_default(),
    }];
    if m.round > 0 {
        let chain = chain_of(m);
        for (i, st) in chain.steps.iter().enumerate() {
            let mut who = Vec::new();
            let mut opinions = Vec::new();
            let mut at = None;
            for a in &st.approvals {
                who.push(if a.by_user_id == a.user_id {
                    format!("{}（同意）", name(a.user_id))
                } else {
                    format!("{}（{} 代，同意）", name(a.user_id), name(a.by_user_id))
                });
                at = Some(a.at);
                let said = round
                    .iter()
                    .rev()
                    .find(|e| e.action == "approve" && e.actor_id == Some(a.by_user_id) && e.step.as_deref().is_none_or(|s| s == st.name));
                opinions.extend(said.and_then(|e| e.comment.clone()));
            }
            if st.approvals.is_empty() && i == chain.current {
                // A rejection ends the round at the step that rejected.
                if let Some(r) = round.iter().rev().find(|e| e.action == "reject") {
                    who.push(format!("{}（退回）", r.actor_name));
                    at = Some(r.at);
                    opinions.extend(r.comment.clone());
                }
            }
            sigs.push(Signature { step: st.name.clone(), who: who.join("、"), at, opinion: opinions.join("；") });
        }
    }
    let by_action = |action: &str| events.iter().rev().find(|e| e.action == action);
    for (step, action) in [("出纳打款", "payout"), ("退款确认", "refund")] {
        let e = by_action(action);
        sigs.push(Signature {
            step: step.into(),
            who: e.map(|e| e.actor_name.clone()).unwrap_or_default(),
            at: e.map(|e| e.at),
            opinion: e.and_then(|e| e.comment.clone()).unwrap_or_default(),
        });
    }
    sigs
}

/// What an action did, for the history table: 转交、加签 and delegated actions spelled out.
fn action_text(ev: &TimelineEntry) -> String {
    let mut t = action_zh(&ev.action).to_owned();
    if let Some(step) = &ev.step {
        t = format!("{t}（{step}）");
    }
    if let Some(to) = &ev.to_user_name {
        t.push_str(&match ev.position.as_deref() {
            Some("before") => format!(" {to}，在本人之前"),
            Some("after") => format!(" {to}，在本人之后"),
            _ => format!(" → {to}"),
        });
    }
    if let Some(b) = &ev.on_behalf_of_name {
        t.push_str(&format!("，代 {b}"));
    }
    t
}

/// The audit vocabulary's one label for an action.
fn action_zh(a: &str) -> &str {
    crate::domain::audit::AuditAction::parse(a).map_or(a, |x| x.label_zh())
}

/// Names stay whole: a two- or three-character name never breaks across lines.
fn names_html(names: &str) -> String {
    names.split('、').map(|n| format!("<span class=\"name\">{}</span>", escape(n))).collect::<Vec<_>>().join("、")
}

/// Printable HTML of the approval form with a signature block per step.
#[utoipa::path(get, path = "/requests/{id}/print", tag = "requests", security(("bearer" = [])), params(("id" = i32, Path)),
    responses((status = 200, description = "text/html", content_type = "text/html"), (status = 404, body = crate::error::ProblemBody)))]
async fn print(State(state): State<AppState>, me: AuthUser, Path(id): Path<i32>) -> ApiResult<Response> {
    let (_, html) = form_html(&state, &me, id).await?;
    let mut res = html.into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    Ok(res)
}

/// The same form as a PDF (A4), for whoever may read the request. 503 when the server has no
/// browser to render it with.
#[utoipa::path(get, path = "/requests/{id}/print.pdf", tag = "requests", security(("bearer" = [])), params(("id" = i32, Path)),
    responses((status = 200, description = "the form as an A4 PDF", content_type = "application/pdf"),
              (status = 404, body = crate::error::ProblemBody),
              (status = 503, description = "no browser to render PDFs on this server, or it is busy", body = crate::error::ProblemBody)))]
async fn print_pdf(State(state): State<AppState>, me: AuthUser, Path(id): Path<i32>) -> ApiResult<Response> {
    let (number, html) = form_html(&state, &me, id).await?;
    let pdf = match html_to_pdf(&html, &state.config.data_dir.join("tmp")).await {
        Ok(pdf) => pdf,
        Err(e) => return Ok(pdf_unavailable(&e)),
    };
    let name = format!("日升集团应(预)付款审批单-{}.pdf", number.unwrap_or_else(|| format!("草稿{id}")));
    let mut res = pdf.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    if let Ok(v) = HeaderValue::from_str(&content_disposition("attachment", &name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(res)
}

fn pdf_unavailable(e: &PdfError) -> Response {
    let detail = match e {
        PdfError::NoBrowser(_) => Msg::new(
            "服务器未安装 Chromium，无法生成 PDF。可用「打印」另存为 PDF；或请管理员安装 chromium（或用 VERIFUND_CHROMIUM 指定浏览器）。",
            "no Chromium is installed on the server, so no PDF can be made. Use Print and save as PDF, or ask an administrator to install chromium (or name it in VERIFUND_CHROMIUM).",
        ),
        PdfError::Busy | PdfError::TimedOut => {
            Msg::new("PDF 生成繁忙或超时，请稍后再试", "PDF rendering is busy or took too long; try again shortly")
        }
        PdfError::Failed(_) => {
            Msg::new("PDF 生成失败，请稍后再试；已记录日志", "the PDF could not be rendered; try again shortly (it has been logged)")
        }
    };
    tracing::warn!(error = %e, "print.pdf");
    Problem {
        status: StatusCode::SERVICE_UNAVAILABLE,
        code: "pdf_unavailable",
        title: Msg::new("无法生成 PDF", "PDF unavailable"),
        detail,
        errors: Vec::new(),
        current: None,
        retry_after: None,
        header: None,
    }
    .into_response_in(Lang::Zh)
}

/// The form's number (once submitted) and its printable page.
async fn form_html(state: &AppState, me: &AuthUser, id: i32) -> ApiResult<(Option<String>, String)> {
    let m = find_visible(&state.db, me, id).await?;
    let requester = user::Entity::find_by_id(m.requester_id).one(&state.db).await?.map(|u| u.display_name).unwrap_or_default();
    let dept = match m.department_id {
        Some(d) => department::Entity::find_by_id(d).one(&state.db).await?.map(|d| d.name).unwrap_or_default(),
        None => String::new(),
    };
    let events = timeline(state, id).await?;
    let chain = chain_of(&m);
    let mut ids: Vec<i32> = chain.steps.iter().flat_map(|s| s.approvals.iter().flat_map(|a| [a.user_id, a.by_user_id])).collect();
    ids.sort_unstable();
    ids.dedup();
    let names: std::collections::HashMap<i32, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let sigs = signatures(&m, &events, &names);
    let e = escape;
    let local = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&china()).format("%Y-%m-%d %H:%M").to_string();
    let mp = m.mini_program.as_ref().and_then(|v| v.get("name").and_then(|n| n.as_str()).map(str::to_owned)).unwrap_or_default();
    let kind = Kind::parse(&m.kind).map(|k| k.label_zh()).unwrap_or("");
    let applied = m.submitted_at.map(local).unwrap_or_else(|| m.created_at.with_timezone(&china()).format("%Y-%m-%d").to_string());
    let mut sig_html = String::new();
    for s in &sigs {
        sig_html.push_str(&format!(
            "<tr><th>{}</th><td class=\"sig\">{}</td><th>时间</th><td class=\"at\">{}</td><th>意见</th><td>{}</td></tr>",
            e(&s.step),
            names_html(&s.who),
            s.at.map(local).unwrap_or_default(),
            e(&s.opinion)
        ));
    }
    let mut history = String::new();
    for ev in &events {
        history.push_str(&format!(
            "<tr><td class=\"at\">{}</td><td class=\"name\">{}</td><td>{}</td><td>{}</td></tr>",
            local(ev.at),
            e(&ev.actor_name),
            e(&action_text(ev)),
            e(ev.comment.as_deref().unwrap_or(""))
        ));
    }
    let payout = match (m.paid_at, m.payout_amount_fen) {
        (Some(d), Some(a)) => format!("{d}　{}　流水号 {}", format_yuan(a), e(m.payout_reference.as_deref().unwrap_or(""))),
        _ => String::new(),
    };
    let html = format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>日升集团应(预)付款审批单 {number}</title>
<style>
@page {{ size: A4; margin: 12mm 14mm; }}
body {{ font-family: "SimSun","Songti SC","Noto Serif CJK SC",serif; font-size: 10.5pt; line-height: 1.35; color: #000; max-width: 182mm; margin: 0 auto; }}
h1 {{ text-align: center; font-size: 17pt; letter-spacing: 2pt; margin: 0 0 3mm; }}
.meta {{ display: flex; justify-content: space-between; margin-bottom: 1.5mm; font-size: 10pt; }}
table {{ width: 100%; border-collapse: collapse; margin-bottom: 3mm; }}
th, td {{ border: 1px solid #000; padding: 1.2mm 1.8mm; vertical-align: top; text-align: left; overflow-wrap: anywhere; }}
th {{ width: 20mm; white-space: nowrap; font-weight: normal; background: #f3f3f3; }}
td.amount {{ font-weight: bold; }} td.sig {{ min-width: 38mm; height: 8mm; word-break: keep-all; overflow-wrap: normal; }}
.name, td.at {{ white-space: nowrap; word-break: keep-all; }}
h2 {{ font-size: 11pt; margin: 1.5mm 0; }}
.signatures {{ break-inside: avoid; page-break-inside: avoid; }}
.history th, .history td {{ font-size: 9pt; padding: 0.8mm 1.8mm; }}
.history th {{ width: auto; }}
.history thead {{ display: table-header-group; }}
.history tr {{ break-inside: avoid; page-break-inside: avoid; }}
@media print {{ th {{ background: none; }} }}
</style></head><body>
<h1>日升集团应(预)付款审批单</h1>
<div class="meta"><span>单号：{number}</span><span>类型：{kind}</span><span>状态：{status}</span></div>
<table>
<tr><th>申请人</th><td class="name">{requester}</td><th>部门</th><td>{dept}</td><th>申请日期</th><td>{applied}</td></tr>
<tr><th>事由</th><td colspan="5">{title}</td></tr>
<tr><th>付款主体</th><td colspan="3">{payer}</td><th>信用代码</th><td>{credit}</td></tr>
<tr><th>付款账户</th><td colspan="5">{payer_bank}　{payer_account}</td></tr>
<tr><th>收款方</th><td colspan="3">{payee}</td><th>收款账号</th><td>{payee_account}</td></tr>
<tr><th>收款开户行</th><td colspan="3">{payee_bank}</td><th>汇款附言</th><td>{remark}</td></tr>
<tr><th>金额（小写）</th><td class="amount" colspan="2">{amount}</td><th>金额（大写）</th><td class="amount" colspan="2">{words}</td></tr>
<tr><th>用途</th><td colspan="5">{purpose}</td></tr>
<tr><th>小程序</th><td colspan="3">{mp}</td><th>订单日期</th><td>{order_date}（{pay_by} 前付款）</td></tr>
<tr><th>打款</th><td colspan="3">{payout}</td><th>退款截止</th><td>{refund_due}</td></tr>
</table>
<div class="signatures"><h2>审批签字</h2>
<table>{sig_html}</table></div>
<h2>审批记录</h2>
<table class="history"><thead><tr><th>时间</th><th>人员</th><th>操作</th><th>意见</th></tr></thead><tbody>{history}</tbody></table>
</body></html>"#,
        number = e(m.number.as_deref().unwrap_or("（未提交）")),
        status = status_of(&m).label_zh(),
        requester = e(&requester),
        dept = e(&dept),
        title = e(&m.title),
        payer = e(&m.payer_entity),
        credit = e(&m.payer_credit_code),
        payer_bank = e(&m.payer_bank),
        payer_account = e(&m.payer_account),
        payee = e(&m.payee_name),
        payee_account = e(&m.payee_account),
        payee_bank = e(&m.payee_bank),
        remark = e(&m.transfer_remark),
        amount = format_yuan(m.amount_fen),
        words = amount_in_words(m.amount_fen),
        purpose = e(&m.purpose),
        mp = e(&mp),
        order_date = m.order_date,
        pay_by = m.pay_by,
        refund_due = m.refund_due.map(|d| d.to_string()).unwrap_or_default(),
    );
    Ok((m.number.clone(), html))
}
