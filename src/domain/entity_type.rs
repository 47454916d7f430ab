//! WeChat mini-program entity types (主体类型), their organisation sub-types and the
//! documents WeChat certification (微信认证) asks for, as listed in the seed note
//! 《小程序注册流程（官网）》 (kf.qq.com/faq/170109iQBJ3Q170109JbQfiu.html).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntityType {
    Individual,
    Enterprise,
    Media,
    Government,
    OtherOrg,
}

/// 企业类型 kinds. The OCR'd seed reads 全名所有制 (a typo for 全民所有制) and runs
/// the 个体户 row (个体工商户、个体经营) into this one; sole proprietors register as
/// 企业 on WeChat, so they are kept here.
const ENTERPRISE_SUBTYPES: &[&str] = &[
    "个人独资企业",
    "企业法人",
    "企业非法人",
    "非公司制企业法人",
    "全民所有制",
    "农民专业合作社",
    "企业分支机构",
    "合伙企业",
    "其他企业",
    "个体工商户",
    "个体经营",
];

const MEDIA_SUBTYPES: &[&str] = &["事业单位媒体", "其他媒体", "电视广播", "报刊", "杂志", "网络媒体"];

/// 政府单位: the 政府机关 category and its listed kinds, plus 事业单位, which the
/// seed's table places in this group as well (see `OTHER_ORG_SUBTYPES`).
const GOVERNMENT_SUBTYPES: &[&str] =
    &["政府机关", "国家行政机关法人", "民主党派", "政协组织", "人民解放军", "武警部队", "其他机关", "事业单位"];

/// 其他组织 categories. 事业单位 is also accepted here: the seed's merged table cell
/// can be read either way, and the materials are the same (组织机构代码证).
const OTHER_ORG_SUBTYPES: &[&str] = &["免费类型", "社会团体", "民办非企业", "其他组织", "事业单位"];

impl EntityType {
    pub const ALL: [EntityType; 5] =
        [EntityType::Individual, EntityType::Enterprise, EntityType::Media, EntityType::Government, EntityType::OtherOrg];

    pub fn as_str(self) -> &'static str {
        match self {
            EntityType::Individual => "individual",
            EntityType::Enterprise => "enterprise",
            EntityType::Media => "media",
            EntityType::Government => "government",
            EntityType::OtherOrg => "other_org",
        }
    }

    /// Accepts the API name (any ASCII case, surrounding spaces) or the Chinese
    /// label, including the seed's longer forms (企业类型, 政府单位 …), so imported
    /// spreadsheets that use the Chinese names also work.
    pub fn parse(s: &str) -> Option<EntityType> {
        let s = s.trim();
        let lower = s.to_ascii_lowercase();
        EntityType::ALL.into_iter().find(|t| {
            lower == t.as_str()
                || s == t.label_zh()
                || s.strip_suffix("类型").is_some_and(|base| base == t.label_zh())
                || s.strip_suffix("单位").is_some_and(|base| base == t.label_zh())
        })
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            EntityType::Individual => "个人",
            EntityType::Enterprise => "企业",
            EntityType::Media => "媒体",
            EntityType::Government => "政府",
            EntityType::OtherOrg => "其他组织",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            EntityType::Individual => "Individual",
            EntityType::Enterprise => "Enterprise",
            EntityType::Media => "Media",
            EntityType::Government => "Government",
            EntityType::OtherOrg => "Other organisation",
        }
    }

    /// Allowed `entity_subtype` values (Chinese, as WeChat shows them). Individuals
    /// have none.
    pub fn subtypes(self) -> &'static [&'static str] {
        match self {
            EntityType::Individual => &[],
            EntityType::Enterprise => ENTERPRISE_SUBTYPES,
            EntityType::Media => MEDIA_SUBTYPES,
            EntityType::Government => GOVERNMENT_SUBTYPES,
            EntityType::OtherOrg => OTHER_ORG_SUBTYPES,
        }
    }

    /// Individuals have no corporate account (对公账户), so they cannot verify by
    /// transfer (DESIGN §2.3).
    pub fn allows_transfer_verification(self) -> bool {
        !matches!(self, EntityType::Individual)
    }
}

/// Longest echo of a rejected value in an error message: the input is user data
/// and may be arbitrarily long.
const ECHO_MAX_CHARS: usize = 40;

/// Ok when `subtype` is absent/blank or one of `t.subtypes()`; otherwise a bilingual
/// message listing the allowed values.
pub fn validate_subtype(t: EntityType, subtype: Option<&str>) -> Result<(), String> {
    let Some(given) = subtype.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(());
    };
    let allowed = t.subtypes();
    if allowed.contains(&given) {
        return Ok(());
    }
    let mut echo: String = given.chars().take(ECHO_MAX_CHARS).collect();
    if given.chars().count() > ECHO_MAX_CHARS {
        echo.push('…');
    }
    if allowed.is_empty() {
        return Err(format!(
            "主体类型「{}」没有子类型，不能填写「{echo}」 / entity type {} has no sub-types; got \"{echo}\"",
            t.label_zh(),
            t.as_str()
        ));
    }
    Err(format!(
        "主体类型「{}」的子类型必须是以下之一：{}；收到「{echo}」 / sub-type for entity type {} must be one of: {}; got \"{echo}\"",
        t.label_zh(),
        allowed.join("、"),
        t.as_str(),
        allowed.join(", ")
    ))
}

/// One document on the WeChat certification checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Material {
    /// Stable snake_case identifier (stored in the registry's `materials[].item`).
    pub key: &'static str,
    pub name_zh: &'static str,
    pub required: bool,
    pub note_zh: &'static str,
}

const fn m(key: &'static str, name_zh: &'static str, required: bool, note_zh: &'static str) -> Material {
    Material { key, name_zh, required, note_zh }
}

const ORG_CODE: Material = m("org_code_certificate", "组织机构代码证", true, "已“三证合一”的单位可提供载有统一社会信用代码的证照");
const BUSINESS_LICENSE: Material = m("business_license", "企业工商营业执照", true, "");
const MEDIA_LICENSE_OR_CERT: Material = m(
    "business_license_or_institution_certificate",
    "企业工商营业执照或事业单位法人证书",
    true,
    "企业提供营业执照，事业单位提供事业单位法人证书",
);
const BROADCAST_ORG: Material =
    m("broadcast_organization_license", "广播电视播出机构许可证", false, "广播电视媒体需提供，与《广播电视频道许可证》二选一");
const BROADCAST_CHANNEL: Material =
    m("broadcast_channel_license", "广播电视频道许可证", false, "广播电视媒体需提供，与《广播电视播出机构许可证》二选一");
const NEWSPAPER: Material = m("newspaper_publishing_license", "中华人民共和国报纸出版许可证", false, "报纸需提供");
const PERIODICAL: Material = m("periodical_publishing_license", "中华人民共和国期刊出版许可证", false, "期刊杂志需提供");
const INTERNET_NEWS: Material =
    m("internet_news_service_license", "互联网新闻信息服务许可证", false, "网络媒体需提供，与《信息网络传播视听节目许可证》二选一");
const ONLINE_AUDIOVISUAL: Material =
    m("online_audiovisual_license", "信息网络传播视听节目许可证", false, "网络媒体需提供，与《互联网新闻信息服务许可证》二选一");
const REGISTRATION_OR_APPROVAL: Material = m(
    "registration_certificate_or_approval",
    "相关登记证书、批文或证明",
    true,
    "基金会提供《基金会法人登记证书》；外地常设机构提供驻在地政府主管部门的批文；外国驻华机构提供国家有关主管部门的批文或证明",
);
const SOCIAL_ORG_CERT: Material = m("social_organization_registration_certificate", "社会团体登记证书", true, "即《社会团体法人登记证书》");
const RELIGIOUS_APPROVAL: Material = m("religious_affairs_approval", "宗教事务管理部门的批文或证明", false, "宗教团体需提供");
const PRIVATE_NON_ENTERPRISE_CERT: Material =
    m("private_non_enterprise_registration_certificate", "民办非企业登记证书", true, "即《民办非企业单位登记证书》");
const SCHOOL_LICENSE: Material =
    m("school_operation_license", "办学许可证", false, "非事业单位的培训教育机构需提交其自身所有权的办学许可证");
const MEDICAL_LICENSE: Material =
    m("medical_institution_license", "医疗机构执业许可证", false, "非事业单位的医疗机构（含美容）需提交其自身所有权的医疗机构执业许可证");

/// The certification checklist for an entity type (seed: 小程序微信认证所需资料).
/// An unknown or absent sub-type gets the type's general list. For media, a known
/// sub-type narrows the licences to the ones for that kind of media; 杂志 has a
/// single licence, so it is required there.
pub fn required_materials(t: EntityType, subtype: Option<&str>) -> Vec<Material> {
    let sub = subtype.map(str::trim).unwrap_or("");
    match t {
        // Verified through WeChat real-name identity, no documents.
        EntityType::Individual => Vec::new(),
        EntityType::Enterprise => vec![ORG_CODE, BUSINESS_LICENSE],
        EntityType::Media => {
            let mut list = vec![ORG_CODE, MEDIA_LICENSE_OR_CERT];
            match sub {
                "电视广播" => list.extend([BROADCAST_ORG, BROADCAST_CHANNEL]),
                "报刊" => list.extend([NEWSPAPER, PERIODICAL]),
                "杂志" => list.push(Material { required: true, ..PERIODICAL }),
                "网络媒体" => list.extend([INTERNET_NEWS, ONLINE_AUDIOVISUAL]),
                _ => list.extend([BROADCAST_ORG, BROADCAST_CHANNEL, NEWSPAPER, PERIODICAL, INTERNET_NEWS, ONLINE_AUDIOVISUAL]),
            }
            list
        }
        EntityType::Government => vec![ORG_CODE],
        EntityType::OtherOrg => match sub {
            "事业单位" => vec![ORG_CODE],
            "社会团体" => vec![ORG_CODE, SOCIAL_ORG_CERT, RELIGIOUS_APPROVAL],
            "民办非企业" => vec![ORG_CODE, PRIVATE_NON_ENTERPRISE_CERT, SCHOOL_LICENSE, MEDICAL_LICENSE],
            // 免费类型, 其他组织 and unknown: the seed lists the same documents for both
            // 其他组织 rows.
            _ => vec![ORG_CODE, REGISTRATION_OR_APPROVAL],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(list: &[Material]) -> Vec<&'static str> {
        list.iter().map(|m| m.key).collect()
    }

    #[test]
    fn names_round_trip() {
        let cases: &[(EntityType, &str, &str)] = &[
            (EntityType::Individual, "individual", "个人"),
            (EntityType::Enterprise, "enterprise", "企业"),
            (EntityType::Media, "media", "媒体"),
            (EntityType::Government, "government", "政府"),
            (EntityType::OtherOrg, "other_org", "其他组织"),
        ];
        assert_eq!(cases.len(), EntityType::ALL.len());
        for &(t, name, zh) in cases {
            assert_eq!(t.as_str(), name);
            assert_eq!(t.label_zh(), zh);
            assert!(!t.label_en().is_empty());
            assert_eq!(EntityType::parse(name), Some(t));
            assert_eq!(EntityType::parse(&format!(" {} ", name.to_uppercase())), Some(t));
            assert_eq!(EntityType::parse(zh), Some(t));
            // serde uses the same snake_case names as as_str.
            let json = serde_json::to_string(&t).expect("serialize");
            assert_eq!(json, format!("\"{name}\""));
            let back: EntityType = serde_json::from_str(&json).expect("deserialize");
            assert_eq!(back, t);
        }
        assert_eq!(EntityType::parse("企业类型"), Some(EntityType::Enterprise));
        assert_eq!(EntityType::parse("政府单位"), Some(EntityType::Government));
        for bad in ["", "otherorg", "other-org", "company", "个体户", "其他", "🙂"] {
            assert_eq!(EntityType::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn subtypes_per_type() {
        for t in EntityType::ALL {
            let subs = t.subtypes();
            assert_eq!(subs.is_empty(), t == EntityType::Individual, "{t:?}");
            let mut sorted = subs.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), subs.len(), "duplicate sub-type in {t:?}");
        }
        assert!(EntityType::Enterprise.subtypes().contains(&"全民所有制"));
        assert!(!EntityType::Enterprise.subtypes().contains(&"全名所有制"));
        assert_eq!(EntityType::OtherOrg.subtypes(), &["免费类型", "社会团体", "民办非企业", "其他组织", "事业单位"]);
        assert!(EntityType::Government.subtypes().contains(&"政府机关"));
    }

    #[test]
    fn transfer_verification() {
        for t in EntityType::ALL {
            assert_eq!(t.allows_transfer_verification(), t != EntityType::Individual);
        }
    }

    #[test]
    fn validate_subtype_table() {
        let long = "企".repeat(10_000);
        let cases: Vec<(EntityType, Option<&str>, bool)> = vec![
            (EntityType::Individual, None, true),
            (EntityType::Individual, Some(""), true),
            (EntityType::Individual, Some("  "), true),
            (EntityType::Individual, Some("企业法人"), false),
            (EntityType::Enterprise, None, true),
            (EntityType::Enterprise, Some("企业法人"), true),
            (EntityType::Enterprise, Some(" 个体工商户 "), true),
            (EntityType::Enterprise, Some("全名所有制"), false),
            (EntityType::Enterprise, Some("社会团体"), false),
            (EntityType::Media, Some("网络媒体"), true),
            (EntityType::Media, Some("企业法人"), false),
            (EntityType::Government, Some("政府机关"), true),
            (EntityType::Government, Some("人民解放军"), true),
            (EntityType::Government, Some("事业单位"), true),
            (EntityType::Government, Some("免费类型"), false),
            (EntityType::OtherOrg, Some("免费类型"), true),
            (EntityType::OtherOrg, Some("社会团体"), true),
            (EntityType::OtherOrg, Some("民办非企业"), true),
            (EntityType::OtherOrg, Some("其他组织"), true),
            (EntityType::OtherOrg, Some("事业单位"), true),
            (EntityType::OtherOrg, Some("政府机关"), false),
            (EntityType::OtherOrg, Some(long.as_str()), false),
        ];
        for (t, sub, ok) in cases {
            let got = validate_subtype(t, sub);
            assert_eq!(got.is_ok(), ok, "{t:?} {sub:?}: {got:?}");
        }
        let err = validate_subtype(EntityType::OtherOrg, Some("政府机关")).unwrap_err();
        for allowed in EntityType::OtherOrg.subtypes() {
            assert!(err.contains(allowed), "{err}");
        }
        assert!(err.contains("must be one of"), "{err}");
        let err = validate_subtype(EntityType::OtherOrg, Some(&long)).unwrap_err();
        assert!(err.chars().count() < 400, "message echoes the whole input");
        let err = validate_subtype(EntityType::Individual, Some("x")).unwrap_err();
        assert!(err.contains("no sub-types") && err.contains("没有子类型"), "{err}");
    }

    #[test]
    fn checklist_per_type() {
        let cases: &[(EntityType, Option<&str>, &[&str])] = &[
            (EntityType::Individual, None, &[]),
            (EntityType::Enterprise, None, &["org_code_certificate", "business_license"]),
            (EntityType::Enterprise, Some("个体工商户"), &["org_code_certificate", "business_license"]),
            (
                EntityType::Media,
                None,
                &[
                    "org_code_certificate",
                    "business_license_or_institution_certificate",
                    "broadcast_organization_license",
                    "broadcast_channel_license",
                    "newspaper_publishing_license",
                    "periodical_publishing_license",
                    "internet_news_service_license",
                    "online_audiovisual_license",
                ],
            ),
            (
                EntityType::Media,
                Some("电视广播"),
                &[
                    "org_code_certificate",
                    "business_license_or_institution_certificate",
                    "broadcast_organization_license",
                    "broadcast_channel_license",
                ],
            ),
            (
                EntityType::Media,
                Some("网络媒体"),
                &[
                    "org_code_certificate",
                    "business_license_or_institution_certificate",
                    "internet_news_service_license",
                    "online_audiovisual_license",
                ],
            ),
            (
                EntityType::Media,
                Some("杂志"),
                &["org_code_certificate", "business_license_or_institution_certificate", "periodical_publishing_license"],
            ),
            (EntityType::Government, None, &["org_code_certificate"]),
            (EntityType::Government, Some("事业单位"), &["org_code_certificate"]),
            (EntityType::OtherOrg, Some("事业单位"), &["org_code_certificate"]),
            (EntityType::OtherOrg, Some("免费类型"), &["org_code_certificate", "registration_certificate_or_approval"]),
            (EntityType::OtherOrg, Some("其他组织"), &["org_code_certificate", "registration_certificate_or_approval"]),
            (EntityType::OtherOrg, None, &["org_code_certificate", "registration_certificate_or_approval"]),
            (
                EntityType::OtherOrg,
                Some("社会团体"),
                &["org_code_certificate", "social_organization_registration_certificate", "religious_affairs_approval"],
            ),
            (
                EntityType::OtherOrg,
                Some("民办非企业"),
                &[
                    "org_code_certificate",
                    "private_non_enterprise_registration_certificate",
                    "school_operation_license",
                    "medical_institution_license",
                ],
            ),
        ];
        for &(t, sub, want) in cases {
            assert_eq!(keys(&required_materials(t, sub)), want, "{t:?} {sub:?}");
        }
    }

    #[test]
    fn checklist_required_flags() {
        let media = required_materials(EntityType::Media, None);
        for m in &media {
            let is_licence = m.key.ends_with("_license") && m.key != "business_license";
            assert_eq!(m.required, !is_licence, "{}", m.key);
            if !m.required {
                assert!(!m.note_zh.is_empty(), "optional {} needs a note", m.key);
            }
        }
        let magazine = required_materials(EntityType::Media, Some("杂志"));
        assert!(magazine.iter().all(|m| m.required));
        let social = required_materials(EntityType::OtherOrg, Some("社会团体"));
        assert_eq!(social.iter().map(|m| m.required).collect::<Vec<_>>(), [true, true, false]);
        let pne = required_materials(EntityType::OtherOrg, Some("民办非企业"));
        assert_eq!(pne.iter().map(|m| m.required).collect::<Vec<_>>(), [true, true, false, false]);
        // Every key is snake_case ASCII and every document has a Chinese name.
        for t in EntityType::ALL {
            let subs: Vec<Option<&str>> = std::iter::once(None).chain(t.subtypes().iter().map(|s| Some(*s))).collect();
            for sub in subs {
                for m in required_materials(t, sub) {
                    assert!(m.key.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{}", m.key);
                    assert!(!m.name_zh.is_empty());
                    if t != EntityType::Individual {
                        assert_eq!(required_materials(t, sub)[0].key, "org_code_certificate");
                    }
                }
            }
        }
    }
}
