//! The organisation from a spreadsheet (DESIGN §2.5): the rows of an org-chart file as typed
//! people, every problem named by row and column. Pure: rows and what verifund already knows
//! in, a plan or errors out; the store applies the plan in one transaction.
use crate::domain::ids::{Email, MobilePhone};
use crate::domain::roles::{Role, RoleSet};
use crate::domain::statement::{CellValue, Row, normalize};
use crate::error::Msg;
use std::collections::{HashMap, HashSet};

/// The header is looked for in this many rows from the top (a title row may stand above it).
pub const HEADER_SEARCH_ROWS: usize = 10;
/// More people than this in one file is refused.
pub const MAX_PEOPLE: usize = 20_000;

/// The columns, by their Chinese header (English aliases accepted); the last four are optional.
pub const COLUMNS: [(&str, &[&str], bool); 8] = [
    ("用户名", &["用户名", "账号", "username"], true),
    ("姓名", &["姓名", "name", "display_name"], true),
    ("部门", &["部门", "department"], true),
    ("上级", &["上级", "直属上级", "manager"], true),
    ("角色", &["角色", "roles", "role"], true),
    ("邮箱", &["邮箱", "电子邮箱", "email", "e-mail"], false),
    ("手机", &["手机", "手机号", "phone", "mobile"], false),
    ("状态", &["状态", "status"], false),
];

/// The example row of the template, under the header.
pub const TEMPLATE_EXAMPLE: [&str; 8] =
    ["zhangsan", "张三", "集团/财务部", "lisi", "申请人、财务", "zhangsan@example.com", "13800138000", "在职"];

/// A problem with the file, as the answer lists it: row 0 is the file as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: u32,
    /// The column's header (用户名, 上级, …) or `file`.
    pub field: String,
    pub message: Msg,
}

fn err(row: u32, field: &str, zh: impl Into<String>, en: impl Into<String>) -> RowError {
    RowError { row, field: field.to_owned(), message: Msg::new(zh.into(), en.into()) }
}

/// One person as the file describes them. `None` in an optional column's field: the file has
/// no such column, so it is left as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub row: u32,
    pub username: String,
    pub display_name: String,
    /// Department path levels (`集团/财务部` → `["集团", "财务部"]`); empty: no department.
    pub department: Vec<String>,
    pub manager: Option<String>,
    pub roles: RoleSet,
    pub email: Option<Option<String>>,
    /// Bare 11 digits.
    pub phone: Option<Option<String>>,
    /// `Some(true)`: 离职.
    pub left: Option<bool>,
}

/// The department names a path creates, top first: each level is named by its whole path
/// (`集团`, `集团/财务部`), so two 财务部 under different parents stay apart.
pub fn department_levels(path: &[String]) -> Vec<String> {
    (1..=path.len()).map(|n| path[..n].join("/")).collect()
}

/// `申请人、财务`, `manager,admin` → roles; the unknown names are returned as the error.
pub fn parse_roles(cell: &str) -> Result<RoleSet, Vec<String>> {
    let mut roles = Vec::new();
    let mut unknown = Vec::new();
    for part in cell.split([',', '，', '、', ';', '；']).map(str::trim).filter(|p| !p.is_empty()) {
        let role = match part {
            "申请人" => Some(Role::Requester),
            "经理" => Some(Role::Manager),
            "财务" => Some(Role::Finance),
            "管理员" => Some(Role::Admin),
            "审计" => Some(Role::Auditor),
            other => Role::parse(&other.to_ascii_lowercase()),
        };
        match role {
            Some(r) => roles.push(r),
            None => unknown.push(part.to_owned()),
        }
    }
    if unknown.is_empty() { Ok(roles.into_iter().collect()) } else { Err(unknown) }
}

/// Usernames: 2–64 letters, digits or `_ . -` (as everywhere in verifund).
pub fn is_valid_username(username: &str) -> bool {
    (2..=64).contains(&username.len()) && username.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Where each column stands.
struct Columns {
    header_row: usize,
    at: [Option<usize>; 8],
}

fn find_header(rows: &[Row]) -> Result<Columns, RowError> {
    for (i, (_, cells)) in rows.iter().enumerate().take(HEADER_SEARCH_ROWS) {
        let names: Vec<String> = cells.iter().map(|c| normalize(&c.text())).collect();
        let mut at = [None; 8];
        for (k, (_, aliases, _)) in COLUMNS.iter().enumerate() {
            at[k] = aliases.iter().find_map(|a| names.iter().position(|n| *n == normalize(a)));
        }
        if at[0].is_none() {
            continue;
        }
        let missing: Vec<&str> =
            COLUMNS.iter().zip(at).filter(|((_, _, required), a)| *required && a.is_none()).map(|((n, _, _), _)| *n).collect();
        if !missing.is_empty() {
            let row = rows[i].0;
            return Err(err(
                row,
                "file",
                format!("表头缺少列：{}", missing.join("、")),
                format!("the header lacks the column(s): {}", missing.join(", ")),
            ));
        }
        return Ok(Columns { header_row: i, at });
    }
    Err(err(
        0,
        "file",
        format!("前 {HEADER_SEARCH_ROWS} 行中找不到表头（须有 用户名、姓名、部门、上级、角色）"),
        format!("no header in the first {HEADER_SEARCH_ROWS} rows (it needs 用户名, 姓名, 部门, 上级, 角色)"),
    ))
}

/// What verifund knows before the import: every username, with its manager's username.
pub type Known = HashMap<String, Option<String>>;

/// Reads and checks the whole file. `importer` is the administrator importing it (they may
/// not take away their own admin role or mark themselves as left).
pub fn plan(rows: &[Row], known: &Known, importer: Option<&str>) -> Result<Vec<Person>, Vec<RowError>> {
    let cols = find_header(rows).map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    let mut people: Vec<Person> = Vec::new();
    let mut first_row: HashMap<String, u32> = HashMap::new();
    for (row, cells) in &rows[cols.header_row + 1..] {
        let row = *row;
        let cell = |k: usize| cols.at[k].and_then(|i| cells.get(i)).map(CellValue::text).unwrap_or_default();
        if (0..8).all(|k| cell(k).is_empty()) {
            continue;
        }
        if people.len() >= MAX_PEOPLE {
            errors.push(err(0, "file", format!("一次最多导入 {MAX_PEOPLE} 人"), format!("at most {MAX_PEOPLE} people per file")));
            break;
        }
        let username = cell(0);
        if !is_valid_username(&username) {
            errors.push(err(row, "用户名", "用户名须为 2–64 个字母、数字或 _ . -", "username must be 2–64 letters, digits or _ . -"));
        } else if let Some(first) = first_row.get(&username.to_ascii_lowercase()) {
            errors.push(err(
                row,
                "用户名",
                format!("用户名 {username} 与第 {first} 行重复"),
                format!("username {username} repeats row {first}"),
            ));
        } else {
            first_row.insert(username.to_ascii_lowercase(), row);
        }
        let display_name = match crate::domain::text::required(&cell(1), 100) {
            Ok(n) => n,
            Err(p) => {
                errors.push(err(row, "姓名", format!("姓名{}", p.zh()), format!("name {}", p.en())));
                String::new()
            }
        };
        let department: Vec<String> =
            cell(2).split(['/', '／']).map(|s| s.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|s| !s.is_empty()).collect();
        if department_levels(&department).last().is_some_and(|d| d.chars().count() > 100) {
            errors.push(err(row, "部门", "部门路径过长（最多 100 个字符）", "the department path is too long (at most 100 characters)"));
        }
        let manager = Some(cell(3)).filter(|m| !m.is_empty());
        let roles = match parse_roles(&cell(4)) {
            Ok(r) if r == RoleSet::default() => {
                errors.push(err(row, "角色", "至少需要一个角色", "at least one role is required"));
                r
            }
            Ok(r) => r,
            Err(unknown) => {
                errors.push(err(
                    row,
                    "角色",
                    format!("未知角色：{}（可用 申请人、经理、财务、管理员、审计）", unknown.join("、")),
                    format!("unknown role(s): {} (use requester, manager, finance, admin, auditor)", unknown.join(", ")),
                ));
                RoleSet::default()
            }
        };
        let email = cols.at[5].map(|_| Some(cell(5)).filter(|e| !e.is_empty()));
        if let Some(Some(e)) = &email
            && Email::parse(e).is_err()
        {
            errors.push(err(row, "邮箱", format!("邮箱格式不正确：{e}"), format!("invalid e-mail address: {e}")));
        }
        let phone = match cols.at[6].map(|_| cell(6)) {
            None => None,
            Some(p) if p.is_empty() => Some(None),
            Some(p) => match MobilePhone::parse(&p) {
                Ok(m) => Some(Some(m.as_str().to_owned())),
                Err(_) => {
                    errors.push(err(
                        row,
                        "手机",
                        format!("手机号须为 11 位大陆手机号：{p}"),
                        format!("not an 11-digit mainland mobile number: {p}"),
                    ));
                    None
                }
            },
        };
        let left = match cols.at[7].map(|_| cell(7)) {
            None => None,
            Some(s) => match s.as_str() {
                "" | "在职" | "active" => Some(false),
                "离职" | "left" | "disabled" => Some(true),
                other => {
                    errors.push(err(
                        row,
                        "状态",
                        format!("状态须为 在职 或 离职：{other}"),
                        format!("status must be 在职 or 离职: {other}"),
                    ));
                    None
                }
            },
        };
        if importer.is_some_and(|me| me.eq_ignore_ascii_case(&username)) {
            if !roles.has(Role::Admin) && roles != RoleSet::default() {
                errors.push(err(row, "角色", "不能移除自己的管理员角色", "you cannot remove your own admin role"));
            }
            if left == Some(true) {
                errors.push(err(row, "状态", "不能停用自己", "you cannot disable yourself"));
            }
        }
        people.push(Person { row, username, display_name, department, manager, roles, email, phone, left });
    }
    if people.is_empty() && errors.is_empty() {
        errors.push(err(0, "file", "表头下没有任何人员", "no people under the header"));
    }
    check_managers(&people, known, &mut errors);
    if errors.is_empty() {
        Ok(people)
    } else {
        errors.sort_by_key(|e| e.row);
        Err(errors)
    }
}

/// Every manager is someone in the file or in verifund, nobody is their own manager, and
/// the chain above anyone in the file never comes back to them.
fn check_managers(people: &[Person], known: &Known, errors: &mut Vec<RowError>) {
    let key = |s: &str| s.to_ascii_lowercase();
    let known_ci: HashMap<String, Option<String>> = known.iter().map(|(u, m)| (key(u), m.as_deref().map(key))).collect();
    let row_of: HashMap<String, u32> = people.iter().map(|p| (key(&p.username), p.row)).collect();
    // The chain as it will be: the file's word over what verifund has.
    let mut above: HashMap<String, Option<String>> = known_ci.clone();
    for p in people {
        above.insert(key(&p.username), p.manager.as_deref().map(key));
    }
    let mut reported: HashSet<String> = HashSet::new();
    for p in people {
        let Some(m) = &p.manager else { continue };
        let (me, m) = (key(&p.username), key(m));
        if m == me {
            errors.push(err(p.row, "上级", "不能是自己的上级", "a person cannot be their own manager"));
            continue;
        }
        if !above.contains_key(&m) {
            errors.push(err(
                p.row,
                "上级",
                format!("上级 {} 既不在文件中也不在系统中", p.manager.as_deref().unwrap_or("")),
                format!("manager {} is neither in the file nor in verifund", p.manager.as_deref().unwrap_or("")),
            ));
            continue;
        }
        if reported.contains(&me) {
            continue;
        }
        // Walk up; meeting `me` again is a loop (at most as many hops as there are people).
        let mut path = vec![me.clone()];
        let mut cursor = Some(m);
        while let Some(c) = cursor {
            if c == me {
                let rows: Vec<String> = path.iter().filter_map(|u| row_of.get(u)).map(u32::to_string).collect();
                let names = format!("{} → {me}", path.join(" → "));
                for u in &path {
                    reported.insert(u.clone());
                }
                errors.push(err(
                    p.row,
                    "上级",
                    format!("上级关系形成循环：{names}（第 {} 行）", rows.join("、")),
                    format!("the manager chain loops: {names} (rows {})", rows.join(", ")),
                ));
                break;
            }
            if path.contains(&c) || path.len() > above.len() {
                break; // a loop further up, reported from its own rows
            }
            path.push(c.clone());
            cursor = above.get(&c).cloned().flatten();
        }
    }
}

/// The people in an order where each manager in the file comes before their reports, so new
/// users can be created with their manager already there. Assumes `plan` found no loop.
pub fn managers_first(people: &[Person]) -> Vec<&Person> {
    let index: HashMap<String, usize> = people.iter().enumerate().map(|(i, p)| (p.username.to_ascii_lowercase(), i)).collect();
    let mut done = vec![false; people.len()];
    let mut out = Vec::with_capacity(people.len());
    for start in 0..people.len() {
        let mut stack = Vec::new();
        let mut cursor = Some(start);
        while let Some(i) = cursor {
            if done[i] || stack.contains(&i) {
                break;
            }
            stack.push(i);
            cursor = people[i].manager.as_deref().and_then(|m| index.get(&m.to_ascii_lowercase()).copied());
        }
        for &i in stack.iter().rev() {
            if !done[i] {
                done[i] = true;
                out.push(&people[i]);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(lines: &[&[&str]]) -> Vec<Row> {
        lines
            .iter()
            .enumerate()
            .map(|(i, cells)| {
                (
                    i as u32 + 1,
                    cells.iter().map(|c| if c.is_empty() { CellValue::Empty } else { CellValue::Text((*c).to_owned()) }).collect(),
                )
            })
            .collect()
    }

    const HEADER: &[&str] = &["用户名", "姓名", "部门", "上级", "角色", "邮箱", "手机", "状态"];

    fn messages(r: Result<Vec<Person>, Vec<RowError>>) -> Vec<(u32, String, String)> {
        r.err().unwrap_or_default().into_iter().map(|e| (e.row, e.field, e.message.zh.into_owned())).collect()
    }

    #[test]
    fn roles_by_id_or_chinese_name_with_any_separator() {
        type Case<'a> = (&'a str, Result<Vec<Role>, Vec<&'a str>>);
        let cases: &[Case] = &[
            ("申请人", Ok(vec![Role::Requester])),
            ("经理,财务", Ok(vec![Role::Manager, Role::Finance])),
            ("管理员，审计", Ok(vec![Role::Admin, Role::Auditor])),
            ("requester、 finance", Ok(vec![Role::Requester, Role::Finance])),
            ("Admin", Ok(vec![Role::Admin])),
            ("", Ok(vec![])),
            ("老板、经理", Err(vec!["老板"])),
        ];
        for (cell, want) in cases {
            let got = parse_roles(cell).map(|r| r.to_vec());
            let want = want.clone().map_err(|u| u.into_iter().map(str::to_owned).collect::<Vec<_>>());
            assert_eq!(got, want, "{cell}");
        }
    }

    #[test]
    fn a_header_under_a_title_with_full_width_spaces_is_found() {
        let r = rows(&[
            &["某某集团组织架构"],
            &["用户名", "姓　名", " 部门 ", "上级", "角色"],
            &["boss", "老板", "集团", "", "经理"],
            &["zhang", "张三", "集团 / 财务部", "boss", "申请人、财务"],
        ]);
        let people = plan(&r, &Known::new(), None).unwrap();
        assert_eq!(people.len(), 2);
        assert_eq!(people[1].department, vec!["集团", "财务部"]);
        assert_eq!(people[1].row, 4);
        assert_eq!(people[1].email, None, "no 邮箱 column: left as it is");
        assert_eq!(people[1].left, None);
        assert_eq!(department_levels(&people[1].department), vec!["集团", "集团/财务部"]);
    }

    #[test]
    fn each_bad_cell_is_named_by_row_and_column() {
        let r = rows(&[HEADER, &["a b", "", "", "", "老板", "not-mail", "12345", "休假"], &["ok", "好", "", "", "", "", "", ""]]);
        let got = messages(plan(&r, &Known::new(), None));
        let fields: Vec<(u32, &str)> = got.iter().map(|(r, f, _)| (*r, f.as_str())).collect();
        assert_eq!(fields, vec![(2, "用户名"), (2, "姓名"), (2, "角色"), (2, "邮箱"), (2, "手机"), (2, "状态"), (3, "角色")]);
    }

    #[test]
    fn managers_in_any_order_or_already_in_verifund_are_accepted() {
        let r = rows(&[HEADER, &["cc", "丙", "", "bb", "申请人", "", "", ""], &["bb", "乙", "", "boss", "经理", "", "", ""]]);
        let known: Known = [("boss".to_owned(), None)].into();
        let people = plan(&r, &known, None).unwrap();
        let order: Vec<&str> = managers_first(&people).iter().map(|p| p.username.as_str()).collect();
        assert_eq!(order, vec!["bb", "cc"]);
    }

    #[test]
    fn loops_unknown_managers_duplicates_and_self_are_errors() {
        type Case<'a> = (&'a [&'a [&'a str]], &'a [(u32, &'a str)]);
        let cases: &[Case] = &[
            // A above B above A.
            (&[&["aa", "甲", "", "bb", "经理"], &["bb", "乙", "", "aa", "经理"]], &[(2, "上级关系形成循环：aa → bb → aa（第 2、3 行）")]),
            // A longer loop, reported once.
            (
                &[&["aa", "甲", "", "bb", "经理"], &["bb", "乙", "", "cc", "经理"], &["cc", "丙", "", "aa", "经理"]],
                &[(2, "上级关系形成循环：aa → bb → cc → aa（第 2、3、4 行）")],
            ),
            (&[&["aa", "甲", "", "aa", "经理"]], &[(2, "不能是自己的上级")]),
            (&[&["aa", "甲", "", "ghost", "经理"]], &[(2, "上级 ghost 既不在文件中也不在系统中")]),
            (&[&["aa", "甲", "", "", "经理"], &["AA", "甲二", "", "", "经理"]], &[(3, "用户名 AA 与第 2 行重复")]),
        ];
        for (body, want) in cases {
            let mut lines: Vec<&[&str]> = vec![&HEADER[..5]];
            lines.extend_from_slice(body);
            let got: Vec<(u32, String)> = messages(plan(&rows(&lines), &Known::new(), None)).into_iter().map(|(r, _, m)| (r, m)).collect();
            let want: Vec<(u32, String)> = want.iter().map(|(r, m)| (*r, (*m).to_owned())).collect();
            assert_eq!(got, want);
        }
    }

    #[test]
    fn a_loop_through_someone_already_in_verifund_is_found() {
        // In verifund: boss reports to a; the file makes a report to boss.
        let known: Known = [("boss".to_owned(), Some("aa".to_owned())), ("aa".to_owned(), None)].into();
        let r = rows(&[&HEADER[..5], &["aa", "甲", "", "boss", "经理"]]);
        let got = messages(plan(&r, &known, None));
        assert_eq!(got.len(), 1);
        assert!(got[0].2.contains("aa → boss → aa"), "{got:?}");
    }

    #[test]
    fn the_importer_cannot_lock_themselves_out() {
        let r = rows(&[HEADER, &["root", "管理员", "", "", "申请人", "", "", "离职"]]);
        let got: Vec<String> = messages(plan(&r, &Known::new(), Some("root"))).into_iter().map(|(_, _, m)| m).collect();
        assert_eq!(got, vec!["不能移除自己的管理员角色", "不能停用自己"]);
    }

    #[test]
    fn a_file_without_the_header_or_with_a_partial_one_is_refused() {
        let none = messages(plan(&rows(&[&["a", "b"]]), &Known::new(), None));
        assert_eq!(none[0].0, 0);
        let partial = messages(plan(&rows(&[&["用户名", "姓名"]]), &Known::new(), None));
        assert_eq!(partial[0].2, "表头缺少列：部门、上级、角色");
    }

    #[test]
    fn numeric_cells_and_status_read_as_people_write_them() {
        let r = vec![
            (1, HEADER.iter().map(|h| CellValue::Text((*h).to_owned())).collect()),
            (
                2,
                vec![
                    CellValue::Number(1001.0),
                    CellValue::Text("工号".into()),
                    CellValue::Empty,
                    CellValue::Empty,
                    CellValue::Text("申请人".into()),
                    CellValue::Empty,
                    CellValue::Number(13800138000.0),
                    CellValue::Text("离职".into()),
                ],
            ),
        ];
        let p = plan(&r, &Known::new(), None).unwrap();
        assert_eq!(p[0].username, "1001");
        assert_eq!(p[0].phone, Some(Some("13800138000".into())));
        assert_eq!(p[0].email, Some(None));
        assert_eq!(p[0].left, Some(true));
    }
}
