//! The banks' own statement layouts, as data. A preset is recognised when every cell of its
//! `signature` is in the header (after `layout::normalize`); each field then lists the header
//! names it has had across that bank's export generations, the first found wins. Adding a bank,
//! or a new generation of one, is a few lines here. Sources are named beside each preset and in
//! `tests/fixtures/statements/README.md`.

/// One bank export layout.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    /// The `format` answered: `icbc`, `ccb`, …; several generations of a bank share it.
    pub id: &'static str,
    /// Header cells that must all be present; specific enough that banks don't collide.
    pub signature: &'static [&'static str],
    pub date: &'static [&'static str],
    /// Money out (借方 / 支出).
    pub debit: &'static [&'static str],
    /// Money in (贷方 / 收入).
    pub credit: &'static [&'static str],
    /// One amount: signed, or unsigned with `direction` or with payer / payee accounts.
    pub amount: &'static [&'static str],
    /// A 借/贷 or 收/支 flag beside `amount`.
    pub direction: &'static [&'static str],
    pub counterparty_name: &'static [&'static str],
    pub counterparty_account: &'static [&'static str],
    pub reference: &'static [&'static str],
    /// A column holding the statement's own account (本方账号).
    pub own_account: &'static [&'static str],
    /// BOC: one unsigned amount; the side holding the own account tells the direction.
    pub payer_account: &'static [&'static str],
    pub payer_name: &'static [&'static str],
    pub payee_account: &'static [&'static str],
    pub payee_name: &'static [&'static str],
}

const NONE: Preset = Preset {
    id: "",
    signature: &[],
    date: &[],
    debit: &[],
    credit: &[],
    amount: &[],
    direction: &[],
    counterparty_name: &[],
    counterparty_account: &[],
    reference: &[],
    own_account: &[],
    payer_account: &[],
    payer_name: &[],
    payee_account: &[],
    payee_name: &[],
};

/// The last resort (DESIGN §2.2): any header with a date, a counterparty name and either
/// 借方/贷方, 支出/收入, an amount with a 借/贷 flag, or one signed amount.
pub static GENERIC: Preset = Preset {
    id: "generic",
    date: &["交易日期", "交易时间", "记账日期", "入账日期", "交易日", "日期", "发生日期", "时间"],
    debit: &["借方发生额", "借方金额", "借方", "支出金额", "支出", "转出金额", "付款金额", "出账金额"],
    credit: &["贷方发生额", "贷方金额", "贷方", "收入金额", "收入", "转入金额", "收款金额", "入账金额"],
    amount: &["交易金额", "发生额", "金额"],
    direction: &["借贷标志", "借贷方向", "借/贷", "借贷", "收支方向", "收支标志", "收/支", "收支", "方向"],
    counterparty_name: &[
        "对方户名",
        "对方名称",
        "对方账户名称",
        "对方账号名称",
        "对方单位名称",
        "对方单位",
        "对方账户名",
        "收(付)方名称",
        "收/付方名称",
        "对手方名称",
        "交易对手",
        "收付款方名称",
    ],
    counterparty_account: &["对方账号", "对方账户", "收(付)方账号", "收/付方帐号", "对手方账号", "收付款方账号"],
    reference: &["摘要", "用途", "交易用途", "附言", "备注"],
    own_account: &["本方账号"],
    ..NONE
};

pub static PRESETS: &[Preset] = &[
    // ICBC 企业网银「历史明细」[HISTORYDETAIL]: sy5683/PersonalTool parser/工商银行/ICBC_01
    // (e20e58d) and an ICBC fixture row in a public fin-ops platform's import tests.
    Preset {
        id: "icbc",
        signature: &["凭证号", "对方单位", "转出金额", "转入金额"],
        date: &["交易时间"],
        debit: &["转出金额"],
        credit: &["转入金额"],
        counterparty_name: &["对方单位"],
        counterparty_account: &["对方账号"],
        reference: &["用途", "摘要", "附言"],
        own_account: &["本方账号"],
        ..NONE
    },
    // ICBC, one amount and a 借/贷 flag: sy5683/PersonalTool parser/工商银行/ICBC_03.
    Preset {
        id: "icbc",
        signature: &["本方账号", "对方单位", "借贷标志", "发生额"],
        date: &["交易时间"],
        amount: &["发生额"],
        direction: &["借贷标志"],
        counterparty_name: &["对方单位"],
        counterparty_account: &["对方账号"],
        reference: &["用途", "摘要", "附言"],
        own_account: &["本方账号"],
        ..NONE
    },
    // ICBC, 借方/贷方发生额 with 对方单位名称: sy5683/PersonalTool parser/工商银行/ICBC_04.
    Preset {
        id: "icbc",
        signature: &["本方账号", "对方单位名称", "借/贷", "借方发生额", "贷方发生额"],
        date: &["交易时间"],
        debit: &["借方发生额"],
        credit: &["贷方发生额"],
        counterparty_name: &["对方单位名称"],
        counterparty_account: &["对方账号"],
        reference: &["用途", "摘要"],
        own_account: &["本方账号"],
        ..NONE
    },
    // ICBC 明细 with 账号:/户名: rows above: sy5683/PersonalTool parser/工商银行/ICBC_02.
    Preset {
        id: "icbc",
        signature: &["日期", "交易类型", "对方户名", "借方发生额", "贷方发生额", "余额"],
        date: &["日期"],
        debit: &["借方发生额"],
        credit: &["贷方发生额"],
        counterparty_name: &["对方户名"],
        counterparty_account: &["对方账号"],
        reference: &["摘要"],
        ..NONE
    },
    // CCB 明细查询结果下载, two-row header 发生额/元 over 借方 | 贷方:
    // sy5683/PersonalTool parser/建设银行/CCB_01.
    Preset {
        id: "ccb",
        signature: &["账户明细编号-交易流水号", "发生额借方", "发生额贷方"],
        date: &["交易时间", "记账日期"],
        debit: &["发生额借方"],
        credit: &["发生额贷方"],
        counterparty_name: &["对方户名"],
        counterparty_account: &["对方账号"],
        reference: &["摘要", "备注"],
        own_account: &["本方账号"],
        ..NONE
    },
    // CCB 借方发生额（支取）/ 借方发生额/元(支取): sy5683/PersonalTool parser/建设银行/CCB_02 and
    // CCB_03 (the same cells once normalised); also a public fin-ops platform's CCB test row.
    Preset {
        id: "ccb",
        signature: &["账户明细编号-交易流水号", "借方发生额(支取)", "贷方发生额(收入)"],
        date: &["交易时间", "记账日期"],
        debit: &["借方发生额(支取)"],
        credit: &["贷方发生额(收入)"],
        counterparty_name: &["对方户名"],
        counterparty_account: &["对方账号"],
        reference: &["摘要", "备注"],
        own_account: &["账号"],
        ..NONE
    },
    // CMB 企业网银 (U-BANK) 交易明细: sy5683/PersonalTool parser/招商银行/CMB_01.
    Preset {
        id: "cmb",
        signature: &["交易日", "起息日", "借方金额", "贷方金额", "收(付)方名称"],
        date: &["交易日"],
        debit: &["借方金额"],
        credit: &["贷方金额"],
        counterparty_name: &["收(付)方名称"],
        counterparty_account: &["收(付)方账号", "收(付)方帐号"],
        reference: &["用途", "摘要", "业务摘要"],
        ..NONE
    },
    // CMB, the older 收/付方 cells (the 银企直联 field names): column lists in public CMB
    // reconciliation code (收/付方名称, 收/付方帐号, …).
    Preset {
        id: "cmb",
        signature: &["交易日", "起息日", "借方金额", "贷方金额", "收/付方名称"],
        date: &["交易日"],
        debit: &["借方金额"],
        credit: &["贷方金额"],
        counterparty_name: &["收/付方名称"],
        counterparty_account: &["收/付方帐号", "收/付方账号"],
        reference: &["用途", "摘要", "业务摘要"],
        ..NONE
    },
    // BOC 企业网银 bilingual export (cells like 交易金额[ Trade Amount ]), 查询账号 above:
    // sy5683/PersonalTool parser/中国银行/BOC_01.
    Preset {
        id: "boc",
        signature: &["付款人账号", "收款人账号", "交易金额", "交易流水号", "交易后余额"],
        date: &["交易日期"],
        amount: &["交易金额"],
        reference: &["用途", "摘要", "交易附言"],
        payer_account: &["付款人账号"],
        payer_name: &["付款人名称"],
        payee_account: &["收款人账号"],
        payee_name: &["收款人名称"],
        ..NONE
    },
    // ABC 账户明细 (收入金额 / 支出金额, 对方省市): sy5683/PersonalTool parser/农业银行/ABC_01.
    Preset {
        id: "abc",
        signature: &["收入金额", "支出金额", "对方省市", "交易行名"],
        date: &["交易时间", "会计日期"],
        debit: &["支出金额"],
        credit: &["收入金额"],
        counterparty_name: &["对方户名"],
        counterparty_account: &["对方账号"],
        reference: &["交易用途", "摘要"],
        ..NONE
    },
    // ABC with 交易时间戳 / 本次余额: sy5683/PersonalTool parser/农业银行/ABC_02.
    Preset {
        id: "abc",
        signature: &["交易时间戳", "收入金额", "支出金额", "本次余额"],
        date: &["交易时间戳"],
        debit: &["支出金额"],
        credit: &["收入金额"],
        counterparty_name: &["对方户名"],
        counterparty_account: &["对方账号"],
        reference: &["交易附言", "交易用途", "摘要"],
        ..NONE
    },
    // BOCOM: one 发生额 and a 借贷标志, 查询账号:/户名: above: sy5683/PersonalTool
    // parser/交通银行/BCM_01.
    Preset {
        id: "bocom",
        signature: &["企业业务编号", "借贷标志", "发生额", "对方户名"],
        date: &["交易时间"],
        amount: &["发生额"],
        direction: &["借贷标志"],
        counterparty_name: &["对方户名"],
        counterparty_account: &["对方账号"],
        reference: &["摘要"],
        ..NONE
    },
    // SPDB: sy5683/PersonalTool parser/浦发银行/SPDB_01.
    Preset {
        id: "spdb",
        signature: &["账务日", "借方金额", "贷方金额", "对方行名", "交易流水号"],
        date: &["交易日期"],
        debit: &["借方金额"],
        credit: &["贷方金额"],
        counterparty_name: &["对方户名"],
        counterparty_account: &["对方账号"],
        reference: &["摘要", "备注"],
        ..NONE
    },
    // CIB: sy5683/PersonalTool parser/兴业银行/CIB_01 (full-width brackets) and CIB_02
    // (half-width); one preset once normalised.
    Preset {
        id: "cib",
        signature: &["银行流水号", "借方金额(支出)", "贷方金额(收入)"],
        date: &["交易时间", "记账日期"],
        debit: &["借方金额(支出)"],
        credit: &["贷方金额(收入)"],
        counterparty_name: &["对方户名"],
        counterparty_account: &["对方账号"],
        reference: &["用途", "摘要", "备注"],
        own_account: &["账号"],
        ..NONE
    },
    // CMBC: sy5683/PersonalTool parser/民生银行/CMBC_01, and a CMBC test row in a public
    // fin-ops platform (账户名称:/账号: rows above, 对方账号名称).
    Preset {
        id: "cmbc",
        signature: &["对方账号名称", "借方发生额", "贷方发生额", "客户附言"],
        date: &["交易时间"],
        debit: &["借方发生额"],
        credit: &["贷方发生额"],
        counterparty_name: &["对方账号名称"],
        counterparty_account: &["对方账号"],
        reference: &["客户附言", "摘要"],
        ..NONE
    },
    // Ping An 借 / 贷 columns with 单位结算卡号: sy5683/PersonalTool parser/平安银行/PAB_01.
    Preset {
        id: "pingan",
        signature: &["单位结算卡号", "对方账户名称", "借", "贷"],
        date: &["交易日期"],
        debit: &["借"],
        credit: &["贷"],
        counterparty_name: &["对方账户名称"],
        counterparty_account: &["对方账户"],
        reference: &["用途", "摘要"],
        own_account: &["账号"],
        ..NONE
    },
    // Ping An 收入 / 支出 with 核心唯一流水号: a public fin-ops platform's Ping An template
    // (交易时间, 账号, 收入, 支出, 账户余额, 对方户名, … 核心唯一流水号, 交易用途).
    Preset {
        id: "pingan",
        signature: &["核心唯一流水号", "收入", "支出", "对方户名"],
        date: &["交易时间"],
        debit: &["支出"],
        credit: &["收入"],
        counterparty_name: &["对方户名"],
        counterparty_account: &["对方账号"],
        reference: &["交易用途", "摘要"],
        own_account: &["账号"],
        ..NONE
    },
    // CITIC: no public corporate export found; modelled on the closest documented layouts
    // (CMBC/Ping An cells) with the 柜员交易号 column, unverified against a real file.
    Preset {
        id: "citic",
        signature: &["柜员交易号", "对方账户名称", "借方发生额", "贷方发生额"],
        date: &["交易日期", "交易时间"],
        debit: &["借方发生额"],
        credit: &["贷方发生额"],
        counterparty_name: &["对方账户名称"],
        counterparty_account: &["对方账号"],
        reference: &["用途", "摘要"],
        ..NONE
    },
];
