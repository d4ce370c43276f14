//! The exchange's fixed vocabularies.
//!
//! Codes are stored in the database and in the search index, and the statistics group by them,
//! so they must never drift: they live in code, not in an editable table. Changing a code needs
//! a migration and a reindex; changing a label does not. Labels are served at
//! `GET /api/v1/taxonomy` so clients never hard-code them.

use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Term {
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

/// A vocabulary: a name (used as the JSON key) and its terms.
#[derive(Debug, Clone, Copy)]
pub struct Vocabulary {
    pub name: &'static str,
    pub terms: &'static [Term],
}

impl Term {
    /// The label in the request's language.
    pub fn label(&self) -> &'static str {
        crate::error::i18n::pick(self.zh, self.en)
    }
}

impl Vocabulary {
    /// The label of `code` in the request's language; the code itself when unknown.
    pub fn label(&self, code: &str) -> String {
        self.get(code)
            .map_or_else(|| code.to_owned(), |t| t.label().to_owned())
    }

    pub fn contains(&self, code: &str) -> bool {
        self.get(code).is_some()
    }

    pub fn get(&self, code: &str) -> Option<&'static Term> {
        self.terms.iter().find(|term| term.code == code)
    }

    /// In declared order, which is also the order clients show them in.
    pub fn codes(&self) -> impl Iterator<Item = &'static str> + use<> {
        self.terms.iter().map(|term| term.code)
    }
}

const fn t(code: &'static str, zh: &'static str, en: &'static str) -> Term {
    Term { code, zh, en }
}

/// The industry chains of Shaanxi's key-chain plan; chain dashboards and targets follow them.
pub const CHAINS: Vocabulary = Vocabulary {
    name: "chains",
    terms: &[
        t("machine_tools", "高端机床", "High-end machine tools"),
        t(
            "semiconductors",
            "半导体与集成电路",
            "Semiconductors and integrated circuits",
        ),
        t("photonics", "光子", "Photonics"),
        t(
            "metal_materials",
            "先进金属材料",
            "Advanced metal materials (titanium and rare metals)",
        ),
        t("new_energy_vehicles", "新能源汽车", "New-energy vehicles"),
        t(
            "artificial_intelligence",
            "人工智能",
            "Artificial intelligence",
        ),
        t("quantum_communication", "量子通信", "Quantum communication"),
        t(
            "industrial_internet",
            "物联网与工业互联网",
            "Internet of Things and industrial internet",
        ),
        t("aerospace_power", "空天动力", "Aerospace power"),
        t(
            "additive_manufacturing",
            "增材制造",
            "Additive manufacturing",
        ),
        t("uav", "无人机", "Unmanned aerial vehicles"),
        t("beidou", "北斗导航", "BeiDou navigation"),
        t(
            "industrial_software",
            "高性能计算与工业软件",
            "High-performance computing and industrial software",
        ),
        t("energy_chemicals", "能源化工", "Energy and chemicals"),
        t("biomedicine", "生物医药", "Biomedicine"),
        t("new_materials", "新材料", "New materials"),
        t(
            "seed_industry",
            "现代种业",
            "Modern seed industry and agriculture",
        ),
        t("electronic_display", "电子显示", "Electronic displays"),
        t("other", "其他", "Other"),
    ],
};

/// The technology fields of the national technology-market statistics, so that reports filed
/// with the ministry can be produced without re-coding contracts.
pub const FIELDS: Vocabulary = Vocabulary {
    name: "fields",
    terms: &[
        t(
            "electronic_information",
            "电子信息",
            "Electronic information",
        ),
        t(
            "advanced_manufacturing",
            "先进制造",
            "Advanced manufacturing",
        ),
        t("aerospace", "航空航天", "Aerospace"),
        t("modern_transport", "现代交通", "Modern transport"),
        t(
            "biomedicine_devices",
            "生物、医药和医疗器械",
            "Biotechnology, medicine and medical devices",
        ),
        t(
            "new_materials",
            "新材料及其应用",
            "New materials and their applications",
        ),
        t(
            "new_energy",
            "新能源与高效节能",
            "New energy and energy efficiency",
        ),
        t(
            "environment",
            "环境保护与资源综合利用",
            "Environmental protection and resource utilization",
        ),
        t("nuclear", "核应用技术", "Nuclear technology applications"),
        t("agriculture", "农业", "Agriculture"),
        t(
            "urban_social",
            "城市建设与社会发展",
            "Urban construction and social development",
        ),
    ],
};

/// Cities by GB/T 2260 code so figures join with official statistics; the zones and the
/// out-of-province buckets exist because output/absorption reports need them.
pub const REGIONS: Vocabulary = Vocabulary {
    name: "regions",
    terms: &[
        t("610100", "西安市", "Xi'an"),
        t("610200", "铜川市", "Tongchuan"),
        t("610300", "宝鸡市", "Baoji"),
        t("610400", "咸阳市", "Xianyang"),
        t("610500", "渭南市", "Weinan"),
        t("610600", "延安市", "Yan'an"),
        t("610700", "汉中市", "Hanzhong"),
        t("610800", "榆林市", "Yulin"),
        t("610900", "安康市", "Ankang"),
        t("611000", "商洛市", "Shangluo"),
        // 610403 is 杨陵区, the administrative area of the demonstration zone.
        t("610403", "杨凌示范区", "Yangling Demonstration Zone"),
        // Xixian New Area has no GB/T 2260 code of its own.
        t("xixian", "西咸新区", "Xixian New Area"),
        t("other_province", "外省市", "Other provinces"),
        t("abroad", "境外", "Outside mainland China"),
    ],
};

/// Technology readiness levels as in GB/T 22900; numeric strings so they sort and compare.
pub const TRL: Vocabulary = Vocabulary {
    name: "trl",
    terms: &[
        t("1", "基本原理清晰", "Basic principles observed"),
        t(
            "2",
            "形成技术概念或应用方案",
            "Technology concept formulated",
        ),
        t(
            "3",
            "关键功能通过可行性验证",
            "Experimental proof of concept",
        ),
        t("4", "实验室环境中通过验证", "Technology validated in lab"),
        t(
            "5",
            "相关环境中部件通过验证",
            "Technology validated in relevant environment",
        ),
        t(
            "6",
            "相关环境中原型系统演示",
            "Technology demonstrated in relevant environment",
        ),
        t(
            "7",
            "实际使用环境中原型系统演示",
            "System prototype demonstrated in operation",
        ),
        t(
            "8",
            "实际系统完成并通过验证",
            "System complete and qualified",
        ),
        t("9", "实际系统成功应用", "Actual system proven in operation"),
    ],
};

pub const STAGES: Vocabulary = Vocabulary {
    name: "stages",
    terms: &[
        t("lab", "实验室", "Laboratory"),
        t("bench", "小试", "Bench scale"),
        t("pilot", "中试", "Pilot scale"),
        t("industrial", "产业化", "Industrialization"),
    ],
};

pub const TRANSFER_MODES: Vocabulary = Vocabulary {
    name: "transfer_modes",
    terms: &[
        t("transfer", "转让", "Transfer"),
        t("licensing", "许可", "Licensing"),
        t("equity", "作价投资", "Equity investment"),
        t("co_development", "合作开发", "Co-development"),
        t("service", "技术服务", "Technical service"),
    ],
};

/// The contract kinds of the Civil Code and of contract registration (认定登记).
pub const CONTRACT_KINDS: Vocabulary = Vocabulary {
    name: "contract_kinds",
    terms: &[
        t("development", "技术开发", "Technology development"),
        t("transfer", "技术转让", "Technology transfer"),
        t("licensing", "技术许可", "Technology licensing"),
        t("consulting", "技术咨询", "Technology consulting"),
        t("service", "技术服务", "Technology service"),
    ],
};

/// Sub-kinds are only meaningful under their kind, so they are keyed by the kind's code.
pub const CONTRACT_SUB_KINDS: &[(&str, Vocabulary)] = &[
    (
        "development",
        Vocabulary {
            name: "contract_sub_kinds.development",
            terms: &[
                t("commissioned", "委托开发", "Commissioned development"),
                t("cooperative", "合作开发", "Cooperative development"),
            ],
        },
    ),
    (
        "transfer",
        Vocabulary {
            name: "contract_sub_kinds.transfer",
            terms: &[
                t("patent", "专利权转让", "Patent assignment"),
                t(
                    "patent_application",
                    "专利申请权转让",
                    "Patent application right assignment",
                ),
                t("know_how", "技术秘密转让", "Know-how transfer"),
                t(
                    "equity",
                    "技术作价投资（入股）",
                    "Equity contribution (作价投资)",
                ),
                t("other", "其他", "Other"),
            ],
        },
    ),
    (
        "licensing",
        Vocabulary {
            name: "contract_sub_kinds.licensing",
            terms: &[
                t("exclusive", "独占许可", "Exclusive licence"),
                t("sole", "排他许可", "Sole licence"),
                t("ordinary", "普通许可", "Non-exclusive licence"),
            ],
        },
    ),
    (
        "consulting",
        Vocabulary {
            name: "contract_sub_kinds.consulting",
            terms: &[],
        },
    ),
    (
        "service",
        Vocabulary {
            name: "contract_sub_kinds.service",
            terms: &[
                t("brokerage", "技术中介", "Technology brokerage"),
                t("training", "技术培训", "Technical training"),
                t("other", "其他技术服务", "Other technical services"),
            ],
        },
    ),
];

/// The sub-kinds allowed under a contract kind; `None` for an unknown kind.
pub fn contract_sub_kinds(kind: &str) -> Option<Vocabulary> {
    CONTRACT_SUB_KINDS
        .iter()
        .find(|(code, _)| *code == kind)
        .map(|(_, vocab)| *vocab)
}

pub const ORG_KINDS: Vocabulary = Vocabulary {
    name: "org_kinds",
    terms: &[
        t("university", "高等院校", "University"),
        t("institute", "科研院所", "Research institute"),
        t("enterprise", "企业", "Enterprise"),
        t("agency", "服务机构", "Service agency"),
    ],
};

pub const ROLES: Vocabulary = Vocabulary {
    name: "roles",
    terms: &[
        t("university", "高校院所用户", "University or institute user"),
        t("enterprise", "企业用户", "Enterprise user"),
        t("broker", "技术经纪人", "Technology broker"),
        t("statistician", "统计人员", "Statistician"),
        t("admin", "交易所管理员", "Exchange administrator"),
    ],
};

pub const IP_KINDS: Vocabulary = Vocabulary {
    name: "ip_kinds",
    terms: &[
        t("invention_patent", "发明专利", "Invention patent"),
        t("utility_model", "实用新型专利", "Utility model patent"),
        t("design_patent", "外观设计专利", "Design patent"),
        t("software_copyright", "软件著作权", "Software copyright"),
        t(
            "ic_layout",
            "集成电路布图设计",
            "Integrated circuit layout design",
        ),
        t("know_how", "技术秘密", "Know-how"),
    ],
};

pub const IP_STATUSES: Vocabulary = Vocabulary {
    name: "ip_statuses",
    terms: &[
        t("pending", "申请中", "Pending"),
        t("granted", "已授权", "Granted"),
        t("expired", "已失效", "Expired"),
    ],
};

/// Why a deal was lost; coded so the exchange can see where transfers stall.
pub const LOSS_REASONS: Vocabulary = Vocabulary {
    name: "loss_reasons",
    terms: &[
        t("too_early", "技术不够成熟", "Technology too early"),
        t("price", "价格未谈拢", "Price"),
        t("ip_unclear", "知识产权权属不清", "IP ownership unclear"),
        t("no_response", "对方无回应", "No response"),
        t("benefit_unclear", "转化效益不明确", "Benefit unclear"),
        t("other", "其他", "Other"),
    ],
};

pub const DEAL_STAGES: Vocabulary = Vocabulary {
    name: "deal_stages",
    terms: &[
        t("recommended", "已推荐", "Recommended"),
        t("contacted", "已联系", "Contacted"),
        t("negotiating", "洽谈中", "Negotiating"),
        t("signed", "已签约", "Signed"),
        t("lost", "未成交", "Lost"),
    ],
};

/// Statuses of achievements and demands together; each kind uses the subset its lifecycle
/// allows.
pub const LISTING_STATUSES: Vocabulary = Vocabulary {
    name: "listing_statuses",
    terms: &[
        t("draft", "草稿", "Draft"),
        t("pending_review", "待审核", "Pending review"),
        t("published", "已发布", "Published"),
        t("returned", "已退回修改", "Returned for revision"),
        t("rejected", "未通过", "Rejected"),
        t("withdrawn", "已撤回", "Withdrawn"),
        t("transferred", "已转化", "Transferred"),
        t("closed", "已关闭", "Closed"),
        t("expired", "已过期", "Expired"),
    ],
};

/// Contract registration (认定登记); only registered contracts count towards turnover by
/// default.
pub const REGISTRATION_STATUSES: Vocabulary = Vocabulary {
    name: "registration_statuses",
    terms: &[
        t("not_submitted", "未申请登记", "Not submitted"),
        t(
            "submitted",
            "已申请，待核定",
            "Submitted, awaiting the registry",
        ),
        t("registered", "已认定登记", "Registered"),
        t("not_registered", "不予登记", "Not registered"),
    ],
};

/// Whether both parties stand behind a contract or an amendment.
pub const CONSENTS: Vocabulary = Vocabulary {
    name: "contract_consents",
    terms: &[
        t("awaiting_seller", "待卖方确认", "Awaiting the seller"),
        t("awaiting_buyer", "待买方确认", "Awaiting the buyer"),
        t("awaiting_both", "待双方确认", "Awaiting both parties"),
        t("confirmed", "双方已确认", "Confirmed by both parties"),
        t("declined", "已拒绝", "Declined"),
    ],
};

/// Every vocabulary, in the order the taxonomy endpoint lists them (sub-kinds excluded; they
/// are served nested).
pub const ALL: &[Vocabulary] = &[
    CHAINS,
    FIELDS,
    REGIONS,
    TRL,
    STAGES,
    TRANSFER_MODES,
    CONTRACT_KINDS,
    ORG_KINDS,
    ROLES,
    IP_KINDS,
    IP_STATUSES,
    LOSS_REASONS,
    DEAL_STAGES,
    LISTING_STATUSES,
    REGISTRATION_STATUSES,
    CONSENTS,
];

fn term_json(term: &Term) -> Map<String, Value> {
    let mut entry = Map::new();
    entry.insert("code".to_owned(), Value::from(term.code));
    entry.insert("zh".to_owned(), Value::from(term.zh));
    entry.insert("en".to_owned(), Value::from(term.en));
    entry
}

fn terms_json(terms: &[Term]) -> Vec<Value> {
    terms
        .iter()
        .map(|term| Value::Object(term_json(term)))
        .collect()
}

/// The JSON served at GET /api/v1/taxonomy: an object whose keys are vocabulary names and
/// values arrays of {code, zh, en}; `contract_kinds` entries additionally carry
/// `sub_kinds: [{code, zh, en}]`.
pub fn taxonomy_json() -> Value {
    let mut out = Map::new();
    for vocab in ALL {
        let entries = if vocab.name == CONTRACT_KINDS.name {
            vocab
                .terms
                .iter()
                .map(|term| {
                    let mut entry = term_json(term);
                    let subs = contract_sub_kinds(term.code).map_or(&[][..], |v| v.terms);
                    entry.insert("sub_kinds".to_owned(), Value::Array(terms_json(subs)));
                    Value::Object(entry)
                })
                .collect()
        } else {
            terms_json(vocab.terms)
        };
        out.insert(vocab.name.to_owned(), Value::Array(entries));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn every_vocabulary() -> Vec<Vocabulary> {
        let mut all = ALL.to_vec();
        all.extend(CONTRACT_SUB_KINDS.iter().map(|(_, vocab)| *vocab));
        all
    }

    fn is_code(code: &str) -> bool {
        !code.is_empty()
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    }

    #[test]
    fn codes_are_unique_within_each_vocabulary() {
        for vocab in every_vocabulary() {
            let mut seen = HashSet::new();
            for code in vocab.codes() {
                assert!(seen.insert(code), "duplicate code {code} in {}", vocab.name);
            }
        }
    }

    #[test]
    fn codes_are_lowercase_snake_or_digits() {
        for vocab in every_vocabulary() {
            for code in vocab.codes() {
                assert!(is_code(code), "bad code {code:?} in {}", vocab.name);
            }
        }
        assert!(!is_code("Foo"));
        assert!(!is_code("a-b"));
        assert!(!is_code(""));
    }

    #[test]
    fn labels_are_not_empty() {
        for vocab in every_vocabulary() {
            for term in vocab.terms {
                assert!(
                    !term.zh.trim().is_empty(),
                    "{}.{} zh",
                    vocab.name,
                    term.code
                );
                assert!(
                    !term.en.trim().is_empty(),
                    "{}.{} en",
                    vocab.name,
                    term.code
                );
            }
        }
    }

    #[test]
    fn vocabulary_names_are_unique() {
        let mut seen = HashSet::new();
        for vocab in every_vocabulary() {
            assert!(
                seen.insert(vocab.name),
                "duplicate vocabulary {}",
                vocab.name
            );
        }
    }

    #[test]
    fn every_contract_kind_has_sub_kinds_and_no_stray_ones() {
        for kind in CONTRACT_KINDS.codes() {
            let subs = contract_sub_kinds(kind);
            assert!(subs.is_some(), "no sub-kind entry for {kind}");
            if let Some(subs) = subs {
                assert_eq!(subs.name, format!("contract_sub_kinds.{kind}"));
            }
        }
        for (kind, _) in CONTRACT_SUB_KINDS {
            assert!(
                CONTRACT_KINDS.contains(kind),
                "sub-kinds for unknown kind {kind}"
            );
        }
        assert_eq!(CONTRACT_SUB_KINDS.len(), CONTRACT_KINDS.terms.len());
        assert!(contract_sub_kinds("consulting").unwrap().terms.is_empty());
        assert!(
            contract_sub_kinds("licensing")
                .unwrap()
                .contains("exclusive")
        );
        assert!(contract_sub_kinds("nonsense").is_none());
    }

    #[test]
    fn lookup_helpers() {
        assert_eq!(REGIONS.get("610100").unwrap().zh, "西安市");
        assert!(REGIONS.contains("xixian"));
        assert!(!REGIONS.contains("610000"));
        assert!(CHAINS.contains("other"));
        assert_eq!(
            TRL.codes().collect::<Vec<_>>(),
            ["1", "2", "3", "4", "5", "6", "7", "8", "9"]
        );
        assert_eq!(
            STAGES.codes().collect::<Vec<_>>(),
            ["lab", "bench", "pilot", "industrial"]
        );
        assert_eq!(FIELDS.terms.len(), 11);
        assert_eq!(CHAINS.terms.len(), 19);
    }

    #[test]
    fn fixed_interface_codes() {
        let codes = |v: Vocabulary| v.codes().collect::<Vec<_>>();
        assert_eq!(
            codes(ROLES),
            [
                "university",
                "enterprise",
                "broker",
                "statistician",
                "admin"
            ]
        );
        assert_eq!(
            codes(ORG_KINDS),
            ["university", "institute", "enterprise", "agency"]
        );
        assert_eq!(
            codes(CONTRACT_KINDS),
            [
                "development",
                "transfer",
                "licensing",
                "consulting",
                "service"
            ]
        );
    }

    #[test]
    fn taxonomy_json_lists_every_vocabulary() {
        let json = taxonomy_json();
        let object = json.as_object().expect("an object");
        assert_eq!(object.len(), ALL.len());
        for vocab in ALL {
            let entries = object[vocab.name].as_array().expect("an array");
            assert_eq!(entries.len(), vocab.terms.len(), "{}", vocab.name);
            for (entry, term) in entries.iter().zip(vocab.terms) {
                assert_eq!(entry["code"], term.code);
                assert_eq!(entry["zh"], term.zh);
                assert_eq!(entry["en"], term.en);
                let has_subs = entry.get("sub_kinds").is_some();
                assert_eq!(has_subs, vocab.name == "contract_kinds", "{}", vocab.name);
            }
        }
    }

    #[test]
    fn taxonomy_json_nests_contract_sub_kinds() {
        let json = taxonomy_json();
        for entry in json["contract_kinds"].as_array().expect("an array") {
            let kind = entry["code"].as_str().expect("a code");
            let expected = contract_sub_kinds(kind).expect("sub-kinds").terms;
            let subs = entry["sub_kinds"].as_array().expect("sub_kinds array");
            assert_eq!(subs.len(), expected.len(), "{kind}");
            for (sub, term) in subs.iter().zip(expected) {
                assert_eq!(sub["code"], term.code);
                assert_eq!(sub["zh"], term.zh);
                assert_eq!(sub["en"], term.en);
            }
        }
    }

    #[test]
    fn term_serializes_as_code_zh_en() {
        let value = serde_json::to_value(CHAINS.terms[0]).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "code": "machine_tools",
                "zh": "高端机床",
                "en": "High-end machine tools",
            })
        );
    }
}
