//! What a notification says outside verifund: the e-mail a person receives and the group
//! robot's message. Pure text building; the outbox delivers what these return.
use crate::domain::money::format_yuan;
use serde::{Deserialize, Serialize};

/// A person's language for messages sent to them (the UI follows the browser).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Zh,
    En,
}

impl Language {
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Zh => "zh",
            Language::En => "en",
        }
    }

    /// Unknown values read as Chinese, the default.
    pub fn from_db(s: &str) -> Language {
        if s == "en" { Language::En } else { Language::Zh }
    }
}

/// The request a notification is about, as an e-mail names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFacts {
    pub id: i32,
    pub number: Option<String>,
    pub title: String,
    pub amount_fen: i64,
}

/// A notification as the inbox holds it (Chinese text) plus its kind.
#[derive(Debug, Clone, Copy)]
pub struct NoticeText<'a> {
    pub kind: &'a str,
    pub title: &'a str,
    pub body: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// What the notification asks of the person, by kind, in English (the Chinese title of the
/// notice already says it).
fn asked_en(kind: &str) -> &'static str {
    match kind {
        "approval_needed" => "Your approval is needed",
        "approval_overdue" => "Reminder: an approval has been waiting more than 2 working days",
        "payout_needed" => "Please pay and record the payout",
        "payout_due" => "Due soon: please pay before the deadline",
        "refund_overdue" => "The refund is overdue; please follow up",
        "returned" => "Your request was returned; please revise and resubmit",
        "paid" => "Your request has been paid",
        "refund" => "A refund was recorded",
        "expired" => "Your request expired without payment",
        "resolved" => "A refund difference was resolved",
        "cc" => "You were copied on a request",
        "mention" => "You were mentioned in a comment",
        "no_approver" => "Nobody can decide a step; please set a manager or department head",
        "calendar_missing" => "Please import next year's holiday calendar",
        _ => "A request needs your attention",
    }
}

/// The e-mail for one notification: `[verifund] …` in the person's language, naming the
/// request's number, title and amount, what is asked, and a link to it.
pub fn render_email(to: &str, lang: Language, notice: NoticeText<'_>, request: Option<&RequestFacts>, public_url: Option<&str>) -> Email {
    let base = public_url.map(|u| u.trim_end_matches('/'));
    let link = match (base, request) {
        (Some(b), Some(r)) => Some(format!("{b}/requests/{}", r.id)),
        (Some(b), None) => Some(format!("{b}/")),
        _ => None,
    };
    let number = request.and_then(|r| r.number.as_deref()).unwrap_or("");
    // Most notices' body is just "number title", already said above it.
    let details =
        Some(notice.body.trim()).filter(|b| !b.is_empty() && request.is_none_or(|r| *b != format!("{number} {}", r.title).trim()));
    let (subject, mut lines) = match lang {
        Language::Zh => {
            let subject = match request {
                Some(r) => format!("[verifund] {}：{} {}", notice.title, number, r.title),
                None => format!("[verifund] {}", notice.title),
            };
            let mut lines = vec![format!("{}。", notice.title), String::new()];
            if let Some(r) = request {
                lines.push(format!("单号：{}", if number.is_empty() { "（草稿）" } else { number }));
                lines.push(format!("标题：{}", r.title));
                lines.push(format!("金额：{}", format_yuan(r.amount_fen)));
            }
            lines.extend(details.map(|d| format!("说明：{d}")));
            (subject, lines)
        }
        Language::En => {
            let asked = asked_en(notice.kind);
            let subject = match request {
                Some(r) => format!("[verifund] {asked}: {number} {}", r.title),
                None => format!("[verifund] {asked}"),
            };
            let mut lines = vec![format!("{asked}."), String::new()];
            if let Some(r) = request {
                lines.push(format!("Number: {}", if number.is_empty() { "(draft)" } else { number }));
                lines.push(format!("Title: {}", r.title));
                lines.push(format!("Amount: {}", format_yuan(r.amount_fen)));
            }
            lines.extend(details.map(|d| format!("Details: {d}")));
            (subject, lines)
        }
    };
    if let Some(link) = link {
        lines.push(String::new());
        lines.push(match lang {
            Language::Zh => format!("查看并处理：{link}"),
            Language::En => format!("Open it: {link}"),
        });
    }
    lines.push(String::new());
    lines.push(match lang {
        Language::Zh => "—— verifund（可在个人资料中关闭邮件通知）".to_owned(),
        Language::En => "— verifund (turn e-mail notifications off on your profile)".to_owned(),
    });
    // A subject is one line: a title with a line break must not start headers of its own.
    let subject = subject.replace(['\r', '\n'], " ");
    Email { to: to.to_owned(), subject, body: lines.join("\n") }
}

/// Which group robot a webhook URL belongs to; each @-mentions by phone its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Robot {
    /// 企业微信群机器人: `text.mentioned_mobile_list`.
    WeCom,
    /// 钉钉自定义机器人: `at.atMobiles`, with `@phone` in the text.
    DingTalk,
    /// Another endpoint (a relay, a test receiver): both fields; each robot ignores the other's.
    Other,
}

impl Robot {
    pub fn of_url(url: &str) -> Robot {
        let host = url.split("://").nth(1).unwrap_or(url).split(['/', '?', ':']).next().unwrap_or("").to_ascii_lowercase();
        if host == "qyapi.weixin.qq.com" {
            Robot::WeCom
        } else if host == "oapi.dingtalk.com" || host == "api.dingtalk.com" {
            Robot::DingTalk
        } else {
            Robot::Other
        }
    }
}

/// The robot's text message; `mention` is the recipient's mobile number when known.
pub fn robot_payload(robot: Robot, content: &str, mention: Option<&str>) -> serde_json::Value {
    use serde_json::json;
    let Some(phone) = mention else {
        return json!({ "msgtype": "text", "text": { "content": content } });
    };
    let at_text = format!("{content} @{phone}");
    match robot {
        Robot::WeCom => json!({ "msgtype": "text", "text": { "content": content, "mentioned_mobile_list": [phone] } }),
        Robot::DingTalk => json!({ "msgtype": "text", "text": { "content": at_text }, "at": { "atMobiles": [phone], "isAtAll": false } }),
        Robot::Other => json!({
            "msgtype": "text",
            "text": { "content": at_text, "mentioned_mobile_list": [phone] },
            "at": { "atMobiles": [phone], "isAtAll": false },
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn facts() -> RequestFacts {
        RequestFacts { id: 42, number: Some("YF-20261201-0007".into()), title: "小程序认证费".into(), amount_fen: 30_000 }
    }

    #[test]
    fn robots_are_told_apart_by_their_host() {
        let cases = [
            ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", Robot::WeCom),
            ("https://oapi.dingtalk.com/robot/send?access_token=t", Robot::DingTalk),
            ("https://OAPI.DINGTALK.COM/robot/send", Robot::DingTalk),
            ("http://127.0.0.1:9000/robot", Robot::Other),
            ("https://qyapi.weixin.qq.com.evil.example/x", Robot::Other),
        ];
        for (url, want) in cases {
            assert_eq!(Robot::of_url(url), want, "{url}");
        }
    }

    #[test]
    fn each_robot_mentions_the_phone_its_own_way() {
        let cases = [
            (Robot::WeCom, None, json!({"msgtype": "text", "text": {"content": "hi"}})),
            (Robot::DingTalk, None, json!({"msgtype": "text", "text": {"content": "hi"}})),
            (
                Robot::WeCom,
                Some("13800138000"),
                json!({"msgtype": "text", "text": {"content": "hi", "mentioned_mobile_list": ["13800138000"]}}),
            ),
            (
                Robot::DingTalk,
                Some("13800138000"),
                json!({"msgtype": "text", "text": {"content": "hi @13800138000"}, "at": {"atMobiles": ["13800138000"], "isAtAll": false}}),
            ),
            (
                Robot::Other,
                Some("13800138000"),
                json!({"msgtype": "text", "text": {"content": "hi @13800138000", "mentioned_mobile_list": ["13800138000"]},
                       "at": {"atMobiles": ["13800138000"], "isAtAll": false}}),
            ),
        ];
        for (robot, phone, want) in cases {
            assert_eq!(robot_payload(robot, "hi", phone), want, "{robot:?} {phone:?}");
        }
    }

    #[test]
    fn an_email_names_number_title_amount_what_is_asked_and_the_link() {
        let notice =
            NoticeText { kind: "approval_needed", title: "待您审批（经理审批）", body: "YF-20261201-0007 小程序认证费" };
        let zh = render_email("m@example.com", Language::Zh, notice, Some(&facts()), Some("https://pay.example.com/"));
        assert_eq!(zh.subject, "[verifund] 待您审批（经理审批）：YF-20261201-0007 小程序认证费");
        for part in ["单号：YF-20261201-0007", "标题：小程序认证费", "金额：", "300.00", "https://pay.example.com/requests/42"]
        {
            assert!(zh.body.contains(part), "{part} in {}", zh.body);
        }
        let en = render_email("m@example.com", Language::En, notice, Some(&facts()), Some("https://pay.example.com"));
        assert_eq!(en.subject, "[verifund] Your approval is needed: YF-20261201-0007 小程序认证费");
        assert!(en.body.contains("Number: YF-20261201-0007") && en.body.contains("https://pay.example.com/requests/42"));
        assert!(!zh.body.contains("说明"), "the body repeats nothing: {}", zh.body);
        let no_link = render_email("m@example.com", Language::Zh, notice, Some(&facts()), None);
        assert!(!no_link.body.contains("http"));
        let paid = NoticeText {
            kind: "payout_needed", title: "待打款", body: "YF-20261201-0007 小程序认证费，请在 2026-12-08 前完成汇款"
        };
        let zh = render_email("f@example.com", Language::Zh, paid, Some(&facts()), None);
        assert!(zh.body.contains("说明：YF-20261201-0007 小程序认证费，请在 2026-12-08 前完成汇款"), "{}", zh.body);
    }

    #[test]
    fn a_subject_stays_on_one_line() {
        let notice = NoticeText { kind: "cc", title: "抄送\r\nBcc: x@y.z", body: "" };
        let e = render_email("m@example.com", Language::Zh, notice, None, None);
        assert!(!e.subject.contains('\n') && !e.subject.contains('\r'));
    }
}
