//! The words of each notification, in Chinese and English. Only what every recipient may
//! read goes in: titles, org names, states, dates and links; never details, contacts,
//! prices, amounts or another org's comments.

use chrono::NaiveDate;

use crate::notify::events::Message;
use crate::taxonomy::Vocabulary;

/// A code's label in both languages (the code itself when unknown).
fn labels(vocab: &Vocabulary, code: &str) -> (String, String) {
    vocab.get(code).map_or_else(
        || (code.to_owned(), code.to_owned()),
        |t| (t.zh.to_owned(), t.en.to_owned()),
    )
}

fn zh_kind(entity: &str) -> (&'static str, &'static str) {
    match entity {
        "demand" => ("需求", "demand"),
        _ => ("成果", "achievement"),
    }
}

/// A listing was approved, returned or rejected. The review comment goes to the owner org
/// only, which may read it on the listing too.
pub fn listing_reviewed(
    entity: &str,
    id: i64,
    title: &str,
    to: &str,
    comment: Option<&str>,
) -> Message {
    let (zh_k, en_k) = zh_kind(entity);
    let (zh_state, en_state) = match to {
        "published" => ("已通过审核并发布", "was approved and published"),
        "returned" => ("被退回修改", "was returned for changes"),
        _ => ("未通过审核", "was rejected"),
    };
    let comment_zh = comment
        .map(|c| format!("审核意见：{c}"))
        .unwrap_or_default();
    let comment_en = comment
        .map(|c| format!("Reviewer's comment: {c}"))
        .unwrap_or_default();
    Message::new(
        format!("/api/v1/{entity}s/{id}"),
        (format!("您的{zh_k}「{title}」{zh_state}"), comment_zh),
        (format!("Your {en_k} \"{title}\" {en_state}"), comment_en),
    )
}

/// A broker opened a deal between a demand and an achievement.
pub fn deal_opened(deal: i64, demand: &str, achievement: &str, broker: &str) -> Message {
    Message::new(
        format!("/api/v1/deals/{deal}"),
        (
            format!("技术经纪人{broker}为「{achievement}」与「{demand}」开启了对接"),
            format!("对接 #{deal}：成果「{achievement}」，需求「{demand}」。"),
        ),
        (
            format!("Broker {broker} opened a deal between \"{achievement}\" and \"{demand}\""),
            format!("Deal #{deal}: achievement \"{achievement}\", demand \"{demand}\"."),
        ),
    )
}

/// A deal moved to another stage.
pub fn deal_moved(deal: i64, demand: &str, achievement: &str, from: &str, to: &str) -> Message {
    let v = &crate::taxonomy::DEAL_STAGES;
    let ((from_zh, from_en), (to_zh, to_en)) = (labels(v, from), labels(v, to));
    Message::new(
        format!("/api/v1/deals/{deal}"),
        (
            format!("对接 #{deal} 已从「{from_zh}」转到「{to_zh}」"),
            format!("成果「{achievement}」，需求「{demand}」。"),
        ),
        (
            format!("Deal #{deal} moved from {from_en} to {to_en}"),
            format!("Achievement \"{achievement}\", demand \"{demand}\"."),
        ),
    )
}

/// What a contract step means for its parties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractStep {
    Awaiting,
    Confirmed,
    Declined,
    Registered,
}

pub fn contract(step: ContractStep, id: i64, seller: &str, buyer: &str) -> Message {
    let (zh, en) = match step {
        ContractStep::Awaiting => ("等待您方确认", "awaits your confirmation"),
        ContractStep::Confirmed => ("已经双方确认", "was confirmed by both parties"),
        ContractStep::Declined => ("已被拒绝", "was declined"),
        ContractStep::Registered => ("已完成认定登记", "was registered"),
    };
    Message::new(
        format!("/api/v1/contracts/{id}"),
        (
            format!("合同 #{id} {zh}"),
            format!("卖方：{seller}；买方：{buyer}。"),
        ),
        (
            format!("Contract #{id} {en}"),
            format!("Seller: {seller}; buyer: {buyer}."),
        ),
    )
}

/// An org applied to a challenge (揭榜).
pub fn application_received(demand: i64, title: &str, applicant_org: &str) -> Message {
    Message::new(
        format!("/api/v1/demands/{demand}/applications"),
        (
            format!("{applicant_org}申请揭榜「{title}」"),
            "请查看申请并作出决定。".into(),
        ),
        (
            format!("{applicant_org} applied to your challenge \"{title}\""),
            "Review the application and decide.".into(),
        ),
    )
}

/// A challenge's org decided on an application.
pub fn application_decided(demand: i64, title: &str, status: &str) -> Message {
    let (zh, en) = match status {
        "shortlisted" => ("已入围", "was shortlisted"),
        "selected" => ("已被选中（揭榜成功）", "was selected"),
        "rejected" => ("未被选中", "was not selected"),
        other => (other, other),
    };
    Message::new(
        "/api/v1/me/applications".into(),
        (
            format!("您对「{title}」的揭榜申请{zh}"),
            format!("揭榜项目：需求 #{demand}。"),
        ),
        (
            format!("Your application to \"{title}\" {en}"),
            format!("Challenge: demand #{demand}."),
        ),
    )
}

/// A milestone was reported on or reviewed.
pub fn milestone(demand: i64, challenge: &str, milestone: &str, status: &str) -> Message {
    let (zh, en) = match status {
        "submitted" => ("已提交，等待验收", "was submitted for review"),
        "accepted" => ("已通过验收", "was accepted"),
        "rejected" => (
            "未通过验收，请修改后重新提交",
            "was sent back; submit it again",
        ),
        other => (other, other),
    };
    Message::new(
        format!("/api/v1/demands/{demand}"),
        (
            format!("里程碑「{milestone}」{zh}"),
            format!("揭榜项目「{challenge}」。"),
        ),
        (
            format!("Milestone \"{milestone}\" {en}"),
            format!("Challenge \"{challenge}\"."),
        ),
    )
}

/// A milestone is due within a week, or overdue.
pub fn milestone_due(
    demand: i64,
    challenge: &str,
    milestone: &str,
    due: NaiveDate,
    overdue: bool,
) -> Message {
    let (zh, en) = match overdue {
        false => (
            format!("里程碑「{milestone}」将于 {due} 到期"),
            format!("Milestone \"{milestone}\" is due on {due}"),
        ),
        true => (
            format!("里程碑「{milestone}」已于 {due} 逾期"),
            format!("Milestone \"{milestone}\" is overdue since {due}"),
        ),
    };
    Message::new(
        format!("/api/v1/demands/{demand}"),
        (zh, format!("揭榜项目「{challenge}」。")),
        (en, format!("Challenge \"{challenge}\".")),
    )
}

/// A broker's follow-up of a deal is due.
pub fn follow_up_due(deal: i64, demand: &str, achievement: &str, on: NaiveDate) -> Message {
    Message::new(
        format!("/api/v1/deals/{deal}"),
        (
            format!("对接 #{deal} 今天需要跟进（跟进日期 {on}）"),
            format!("成果「{achievement}」，需求「{demand}」。"),
        ),
        (
            format!("Deal #{deal} is due for a follow-up (set for {on})"),
            format!("Achievement \"{achievement}\", demand \"{demand}\"."),
        ),
    )
}

/// A demand's validity, or a challenge's application period, ends soon.
pub fn listing_expiring(demand: i64, title: &str, on: NaiveDate, challenge: bool) -> Message {
    let (zh, en) = match challenge {
        false => (
            format!("您的需求「{title}」将于 {on} 到期"),
            format!("Your demand \"{title}\" expires on {on}"),
        ),
        true => (
            format!("揭榜项目「{title}」的申请将于 {on} 截止"),
            format!("Applications to your challenge \"{title}\" close on {on}"),
        ),
    };
    Message::new(
        format!("/api/v1/demands/{demand}"),
        (zh, "如需延长，请更新有效期或截止日期。".into()),
        (en, "Extend the date if it should stay open.".into()),
    )
}

/// New listings matched a saved search: how many, the first few titles, a link to the
/// listing (one) or to the user's saved searches (several).
pub fn saved_search_match(kind: &str, search: i64, name: &str, hits: &[(i64, String)]) -> Message {
    let (zh_k, en_k) = zh_kind(kind.trim_end_matches('s'));
    let n = hits.len();
    let shown: Vec<&str> = hits.iter().take(3).map(|(_, t)| t.as_str()).collect();
    let more = n.saturating_sub(shown.len());
    let link = match hits {
        [(id, _)] => format!("/api/v1/{kind}/{id}"),
        _ => format!("/api/v1/me/saved-searches#{search}"),
    };
    let zh_list = shown
        .iter()
        .map(|t| format!("「{t}」"))
        .collect::<Vec<_>>()
        .join("、");
    let en_list = shown
        .iter()
        .map(|t| format!("\"{t}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let (zh_more, en_more) = match more {
        0 => (String::new(), String::new()),
        m => (format!("等 {m} 条"), format!(" and {m} more")),
    };
    Message::new(
        link,
        (
            format!("您保存的搜索「{name}」有 {n} 条新{zh_k}"),
            format!("新发布：{zh_list}{zh_more}。"),
        ),
        (
            format!("{n} new {en_k}(s) match your saved search \"{name}\""),
            format!("Newly published: {en_list}{en_more}."),
        ),
    )
}

/// A newly published listing ranks among the top matches of the recipient's listing.
pub fn new_match(kind: &str, id: i64, title: &str, theirs: i64, their_title: &str) -> Message {
    let entity = kind.trim_end_matches('s');
    let (zh_k, en_k) = zh_kind(entity);
    let (their_zh, their_en) = match entity {
        "demand" => ("成果", "achievement"),
        _ => ("需求", "demand"),
    };
    let their_kind = match entity {
        "demand" => "achievements",
        _ => "demands",
    };
    Message::new(
        format!("/api/v1/{kind}/{id}"),
        (
            format!("新{zh_k}「{title}」与您的{their_zh}「{their_title}」高度匹配"),
            format!("它位列您的{their_zh}的前 10 个匹配中：/api/v1/{their_kind}/{theirs}/matches"),
        ),
        (
            format!("New {en_k} \"{title}\" matches your {their_en} \"{their_title}\""),
            format!(
                "It ranks among your {their_en}'s top 10 matches: /api/v1/{their_kind}/{theirs}/matches"
            ),
        ),
    )
}

/// A new inquiry or message about a listing: who wrote, about what (not what they wrote).
pub fn inquiry_message(inquiry: i64, kind: &str, title: &str, from: &str) -> Message {
    let (zh_k, en_k) = zh_kind(kind.trim_end_matches('s'));
    Message::new(
        format!("/api/v1/inquiries/{inquiry}/messages"),
        (
            format!("{from}就{zh_k}「{title}」发来消息"),
            "请在咨询中查看并回复。".into(),
        ),
        (
            format!("{from} wrote about the {en_k} \"{title}\""),
            "Read and answer it in the inquiry.".into(),
        ),
    )
}

/// What an amendment step means for its parties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmendmentStep {
    Awaiting,
    Confirmed,
    Declined,
}

/// An amendment of a confirmed contract: awaiting the other party, confirmed (the totals
/// changed), or declined. The amounts stay on the contract, for its parties to read there.
pub fn amendment(step: AmendmentStep, contract: i64, amendment: i64) -> Message {
    let (zh, en) = match step {
        AmendmentStep::Awaiting => ("等待您方确认", "awaits your confirmation"),
        AmendmentStep::Confirmed => (
            "已经双方确认，合同金额已更新",
            "was confirmed by both parties; the contract's totals changed",
        ),
        AmendmentStep::Declined => (
            "已被拒绝，合同不变",
            "was declined; the contract is unchanged",
        ),
    };
    Message::new(
        format!("/api/v1/contracts/{contract}"),
        (
            format!("合同 #{contract} 的变更 #{amendment} {zh}"),
            "变更内容见合同的变更记录。".into(),
        ),
        (
            format!("Amendment #{amendment} of contract #{contract} {en}"),
            "The change is in the contract's amendments.".into(),
        ),
    )
}

/// Bidding on an offering: the seller hears of a new bid or intent, the org whose best bid
/// was overtaken hears that too; never the amounts (they are on the offering).
pub fn offering_bid(offering: i64, title: &str, outbid: bool) -> Message {
    let ((zh_t, zh_b), (en_t, en_b)) = if outbid {
        (
            (
                format!("您在「{title}」挂牌交易中的出价已被超过"),
                "可在截止前再次出价。",
            ),
            (
                format!("Your bid on \"{title}\" was overtaken"),
                "You may bid again before it closes.",
            ),
        )
    } else {
        (
            (
                format!("您的挂牌「{title}」收到新的出价或意向"),
                "出价情况见挂牌详情。",
            ),
            (
                format!("Your offering \"{title}\" received a new bid or intent"),
                "The bids are on the offering.",
            ),
        )
    };
    Message::new(
        format!("/api/v1/offerings/{offering}"),
        (zh_t, zh_b.into()),
        (en_t, en_b.into()),
    )
}

/// An offering's window ended: sold (a contract now awaits confirmation), unsold, or a
/// run-off among several intents at the listed price.
pub fn offering_closed(offering: i64, title: &str, outcome: &str) -> Message {
    let (zh, en) = match outcome {
        "sold" => (
            "已成交，合同等待双方确认",
            "was sold; its contract awaits both parties' confirmation",
        ),
        "runoff" => (
            "收到多个意向，进入竞价阶段",
            "received several intents; a run-off has begun",
        ),
        _ => ("已结束，未能成交", "ended without a sale"),
    };
    Message::new(
        format!("/api/v1/offerings/{offering}"),
        (
            format!("挂牌交易「{title}」{zh}"),
            "详情见挂牌交易。".into(),
        ),
        (
            format!("The offering \"{title}\" {en}"),
            "The details are on the offering.".into(),
        ),
    )
}

/// An objection to a publicised price: raised (the seller and the buyer hear), answered by
/// the seller (the objecting org hears) or closed by the exchange (all three hear). The
/// texts of the objection stay on the publicity.
pub fn publicity_objection(publicity: i64, title: &str, status: &str) -> Message {
    let (zh, en) = match status {
        "open" => ("收到异议", "received an objection"),
        "answered" => (
            "的异议已获卖方答复",
            "has an objection answered by the seller",
        ),
        _ => (
            "的异议已由交易所处理完毕",
            "has an objection closed by the exchange",
        ),
    };
    Message::new(
        format!("/api/v1/publicity/{publicity}"),
        (
            format!("成果「{title}」的协议定价公示{zh}"),
            "异议及答复见公示。".into(),
        ),
        (
            format!("The price publicity of \"{title}\" {en}"),
            "The objection and answers are on the publicity.".into(),
        ),
    )
}
