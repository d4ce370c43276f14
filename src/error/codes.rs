//! The code table: every error code with its HTTP status, `type` and default message in
//! Chinese and English, side by side so a code cannot be added in one language only (a
//! unit test also checks each message is non-empty and in its language).

use actix_web::http::StatusCode;
use serde::Serialize;

use super::i18n::Language;

/// The coarse class of an error, so clients can branch without knowing every code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    InvalidRequest,
    Auth,
    Internal,
    System,
}

macro_rules! error_codes {
    ($( $variant:ident => ($code:literal, $status:ident, $kind:ident, $zh:literal, $en:literal), )*) => {
        /// Stable, documented error codes. Never rename one: clients match on them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode { $( $variant, )* }

        impl ErrorCode {
            /// The whole table, served at `GET /api/v1/errors`.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )* ];

            pub fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$variant => $code, )* }
            }
            pub fn status(self) -> StatusCode {
                match self { $( ErrorCode::$variant => StatusCode::$status, )* }
            }
            pub fn error_type(self) -> ErrorType {
                match self { $( ErrorCode::$variant => ErrorType::$kind, )* }
            }
            /// The code's default message in `lang`.
            pub fn default_message(self, lang: Language) -> &'static str {
                match (self, lang) {
                    $( (ErrorCode::$variant, Language::Zh) => $zh,
                       (ErrorCode::$variant, Language::En) => $en, )*
                }
            }
        }
    };
}

error_codes! {
    // Malformed requests.
    InvalidJson => ("invalid_json", BAD_REQUEST, InvalidRequest, "请求体不是本接口可接受的 JSON。", "The request body is not valid JSON for this endpoint."),
    InvalidQuery => ("invalid_query", BAD_REQUEST, InvalidRequest, "查询参数不符合本接口的要求。", "The query string is not valid for this endpoint."),
    InvalidPath => ("invalid_path", BAD_REQUEST, InvalidRequest, "路径参数无效。", "A path parameter is not valid."),
    InvalidPagination => ("invalid_pagination", BAD_REQUEST, InvalidRequest, "page 至少为 1，per_page 应在 1 到 100 之间。", "`page` must be at least 1 and `per_page` between 1 and 100."),
    InvalidEmail => ("invalid_email", BAD_REQUEST, InvalidRequest, "邮箱地址无效。", "The email address is not valid."),
    InvalidPassword => ("invalid_password", BAD_REQUEST, InvalidRequest, "密码长度应为 10 到 128 个字符。", "The password must be 10 to 128 characters long."),
    WeakPassword => ("weak_password", UNPROCESSABLE_ENTITY, InvalidRequest, "密码过于简单、容易被猜到，请换一个。", "The password is too easy to guess; choose another one."),
    InvalidName => ("invalid_name", BAD_REQUEST, InvalidRequest, "姓名长度应为 1 到 100 个字符。", "The name must be 1 to 100 characters long."),
    InvalidOrgName => ("invalid_org_name", BAD_REQUEST, InvalidRequest, "机构名称长度应为 2 到 120 个字符。", "The organisation name must be 2 to 120 characters long."),
    InvalidRole => ("invalid_role", BAD_REQUEST, InvalidRequest, "未知的角色。", "Unknown role."),
    InvalidOrgKind => ("invalid_org_kind", BAD_REQUEST, InvalidRequest, "未知的机构类型。", "Unknown organisation kind."),
    InvalidRegion => ("invalid_region", BAD_REQUEST, InvalidRequest, "未知的地区代码，可用代码见 GET /api/v1/taxonomy。", "Unknown region code; see GET /api/v1/taxonomy."),
    InvalidRequestBody => ("invalid_request_body", BAD_REQUEST, InvalidRequest, "请求体内容不符合本接口的要求。", "The request body does not fit this endpoint."),
    UnsupportedMediaType => ("unsupported_media_type", UNSUPPORTED_MEDIA_TYPE, InvalidRequest, "请以 application/json 格式发送请求体。", "Send the body as application/json."),
    NulCharacter => ("nul_character", BAD_REQUEST, InvalidRequest, "文本中不能含有 NUL（U+0000）字符。", "Text may not contain NUL (U+0000) characters."),
    PayloadTooLarge => ("payload_too_large", PAYLOAD_TOO_LARGE, InvalidRequest, "请求体过大。", "The request body is too large."),
    // Listings.
    InvalidTitle => ("invalid_title", BAD_REQUEST, InvalidRequest, "title（标题）长度应为 1 到 120 个字符。", "`title` must be 1 to 120 characters long."),
    InvalidSummary => ("invalid_summary", BAD_REQUEST, InvalidRequest, "summary（摘要）长度应为 1 到 2,000 个字符。", "`summary` must be 1 to 2,000 characters long."),
    InvalidDetails => ("invalid_details", BAD_REQUEST, InvalidRequest, "details（详细介绍）最多 20,000 个字符。", "`details` must be at most 20,000 characters long."),
    InvalidDescription => ("invalid_description", BAD_REQUEST, InvalidRequest, "description（问题描述）长度应为 1 到 5,000 个字符。", "`description` must be 1 to 5,000 characters long."),
    InvalidIndicators => ("invalid_indicators", BAD_REQUEST, InvalidRequest, "indicators（技术指标）最多 5,000 个字符。", "`indicators` must be at most 5,000 characters long."),
    InvalidContact => ("invalid_contact", BAD_REQUEST, InvalidRequest, "contact（联系方式）最多 500 个字符。", "`contact` must be at most 500 characters long."),
    InvalidKeywords => ("invalid_keywords", BAD_REQUEST, InvalidRequest, "keywords（关键词）最多 30 个，每个 1 到 30 个字符。", "`keywords`: at most 30, each 1 to 30 characters."),
    InvalidChain => ("invalid_chain", BAD_REQUEST, InvalidRequest, "未知的产业链代码，可用代码见 GET /api/v1/taxonomy。", "Unknown industry chain code; see GET /api/v1/taxonomy."),
    InvalidField => ("invalid_field", BAD_REQUEST, InvalidRequest, "未知的技术领域代码，可用代码见 GET /api/v1/taxonomy。", "Unknown technology field code; see GET /api/v1/taxonomy."),
    InvalidTrl => ("invalid_trl", BAD_REQUEST, InvalidRequest, "技术成熟度（TRL）应为 1 到 9。", "TRL must be from 1 to 9."),
    InvalidStage => ("invalid_stage", BAD_REQUEST, InvalidRequest, "stage（成熟阶段）应为 lab、bench、pilot 或 industrial。", "`stage` must be lab, bench, pilot or industrial."),
    InvalidIpItems => ("invalid_ip_items", BAD_REQUEST, InvalidRequest, "ip_items（知识产权）每项需要已知的类型、编号和已知的状态。", "`ip_items` need a known kind, a number and a known status."),
    InvalidTransferModes => ("invalid_transfer_modes", BAD_REQUEST, InvalidRequest, "transfer_modes（转化方式）需要 1 到 5 个已知的方式代码。", "`transfer_modes` needs 1 to 5 known mode codes."),
    InvalidCooperationModes => ("invalid_cooperation_modes", BAD_REQUEST, InvalidRequest, "cooperation_modes（合作方式）需要 1 到 5 个已知的方式代码。", "`cooperation_modes` needs 1 to 5 known mode codes."),
    InvalidPriceRange => ("invalid_price_range", BAD_REQUEST, InvalidRequest, "价格区间：单位为分的整数，任一端可为 null（不设限，都为 null 即面议）；两端都给时 0 ≤ 下限 ≤ 上限。", "Price range: integer fen; either end may be null (open; both null = negotiable); with both ends, 0 ≤ min ≤ max."),
    InvalidBudgetRange => ("invalid_budget_range", BAD_REQUEST, InvalidRequest, "预算区间：单位为分的整数，任一端可为 null（不设限，都为 null 即面议）；两端都给时 0 ≤ 下限 ≤ 上限。", "Budget range: integer fen; either end may be null (open; both null = negotiable); with both ends, 0 ≤ min ≤ max."),
    InvalidInventors => ("invalid_inventors", BAD_REQUEST, InvalidRequest, "inventors（发明人）最多 50 人，每个姓名 1 到 50 个字符。", "`inventors`: at most 50 names of 1 to 50 characters."),
    InvalidValidUntil => ("invalid_valid_until", BAD_REQUEST, InvalidRequest, "valid_until（有效期）应为将来的日期。", "`valid_until` must be a date in the future."),
    InvalidChallenge => ("invalid_challenge", BAD_REQUEST, InvalidRequest, "challenge（揭榜挂帅）需要 bounty_fen > 0、不晚于 valid_until 的将来日期 apply_by、评审标准 criteria，以及 max_winners ≥ 1。", "`challenge` needs bounty_fen > 0, a future apply_by not after valid_until, criteria, and max_winners ≥ 1."),
    InvalidStatus => ("invalid_status", BAD_REQUEST, InvalidRequest, "未知的状态，可用状态见 GET /api/v1/taxonomy（listing_statuses）。", "Unknown status; see GET /api/v1/taxonomy (listing_statuses)."),
    InvalidDecision => ("invalid_decision", BAD_REQUEST, InvalidRequest, "decision（审核结论）应为 approve、return 或 reject。", "`decision` must be approve, return or reject."),
    InvalidComment => ("invalid_comment", BAD_REQUEST, InvalidRequest, "comment（意见）最多 2,000 个字符，且不能含控制字符。", "`comment` must be at most 2,000 characters without control characters."),
    CommentRequired => ("comment_required", BAD_REQUEST, InvalidRequest, "退回或驳回时需要填写给所有者的 comment（意见）。", "Returning or rejecting needs a `comment` for the owner."),
    InvalidYear => ("invalid_year", BAD_REQUEST, InvalidRequest, "培育库年度应为 2000 到 2100。", "The pool year must be from 2000 to 2100."),
    InvalidTransition => ("invalid_transition", CONFLICT, InvalidRequest, "当前状态下不能执行这一步。", "This step is not possible from the item's current status."),
    NotEditable => ("not_editable", CONFLICT, InvalidRequest, "只有草稿和被退回的条目可以编辑。", "Only drafts and returned items can be edited."),
    OwnerOrgNotVerified => ("owner_org_not_verified", UNPROCESSABLE_ENTITY, InvalidRequest, "所属机构尚未通过认证，需先由管理员认证（POST /api/v1/orgs/{id}/verify）。", "The owning organisation is not verified yet; an admin must verify it first (POST /api/v1/orgs/{id}/verify)."),
    NotPublished => ("not_published", UNPROCESSABLE_ENTITY, InvalidRequest, "只有已发布的成果或需求可以用于此处。", "Only published listings can be used here."),
    // Deals.
    InquiryPairMismatch => ("inquiry_pair_mismatch", UNPROCESSABLE_ENTITY, InvalidRequest, "从询问开启的对接，一方须是询问所涉的成果或需求，另一方须是提出询问的机构的条目。", "A deal opened from an inquiry pairs the inquiry's listing with a listing of the organisation that asked."),
    DealExists => ("deal_exists", CONFLICT, InvalidRequest, "该需求与成果之间已有一个进行中的对接。", "An open deal for this demand and achievement exists already."),
    VersionConflict => ("version_conflict", CONFLICT, InvalidRequest, "对接在您读取后已被修改，请重新加载后再提交修改。", "The deal changed since you read it; reload it and apply your change again."),
    InvalidStageChange => ("invalid_stage_change", CONFLICT, InvalidRequest, "对接只能向前推进：recommended → contacted → negotiating → signed，或从任一进行中阶段转为 lost。", "Deals only move forward: recommended → contacted → negotiating → signed, or to lost from any open stage."),
    InvalidLostReason => ("invalid_lost_reason", BAD_REQUEST, InvalidRequest, "对接失败需要 lost_reason（失败原因）：too_early、price、ip_unclear、no_response、benefit_unclear 或 other。", "A lost deal needs a `lost_reason`: too_early, price, ip_unclear, no_response, benefit_unclear or other."),
    NoteRequired => ("note_required", BAD_REQUEST, InvalidRequest, "对接失败需要一条 note（备注）说明经过。", "A lost deal needs a `note` saying what happened."),
    // Contracts.
    InvalidContractKind => ("invalid_contract_kind", BAD_REQUEST, InvalidRequest, "未知的合同类型 kind 或与之不符的子类型 sub_kind，可用代码见 GET /api/v1/taxonomy。", "Unknown contract `kind` or `sub_kind` for it; see GET /api/v1/taxonomy."),
    InvalidAmounts => ("invalid_amounts", UNPROCESSABLE_ENTITY, InvalidRequest, "金额为以分计的整数，且 0 ≤ tech_amount_fen ≤ amount_fen ≤ 10,000,000,000,000（1,000亿元）。", "Amounts are integer fen with 0 ≤ tech_amount_fen ≤ amount_fen ≤ 10,000,000,000,000 (1,000亿元)."),
    SameParties => ("same_parties", UNPROCESSABLE_ENTITY, InvalidRequest, "卖方和买方必须是不同的机构。", "Seller and buyer must be different organisations."),
    InvalidSignedOn => ("invalid_signed_on", UNPROCESSABLE_ENTITY, InvalidRequest, "signed_on（签订日期）不能晚于今天。", "`signed_on` cannot be in the future."),
    IdempotencyKeyReused => ("idempotency_key_reused", UNPROCESSABLE_ENTITY, InvalidRequest, "此 Idempotency-Key 已用于另一个不同的请求体。", "This Idempotency-Key was used with a different request body."),
    InvalidAmendment => ("invalid_amendment", UNPROCESSABLE_ENTITY, InvalidRequest, "变更后的金额须满足 0 ≤ 技术交易额 ≤ 成交额 ≤ 10,000,000,000,000 分。", "After the amendment the totals must stay ≥ 0 with tech ≤ total ≤ 10,000,000,000,000 fen."),
    NotConfirmed => ("not_confirmed", UNPROCESSABLE_ENTITY, InvalidRequest, "合同须先经双方确认（由另一方调用 POST /api/v1/contracts/{id}/confirm）。", "Both parties must confirm the contract first (POST /api/v1/contracts/{id}/confirm by the other party)."),
    ConsentSettled => ("consent_settled", CONFLICT, InvalidRequest, "该合同或变更已被确认或拒绝，或您这一方已经确认过。", "This contract or amendment is confirmed or declined already, or your side has confirmed it."),
    ReasonRequired => ("reason_required", BAD_REQUEST, InvalidRequest, "拒绝时需要给对方一个 1 到 1,000 个字符的 reason（理由）。", "Declining needs a `reason` of 1 to 1,000 characters for the other party."),
    OutsideJurisdiction => ("outside_jurisdiction", UNPROCESSABLE_ENTITY, InvalidRequest, "卖方不在本登记机构的管辖范围内；该合同计入买方所在地区的吸纳额，应在卖方所在地登记。", "The seller is outside this registry's jurisdiction; the contract counts as absorbed (吸纳) by the buyer's region and is registered where the seller is."),
    InvalidVerifiedAmount => ("invalid_verified_amount", UNPROCESSABLE_ENTITY, InvalidRequest, "登记时必须给出 verified_tech_amount_fen（核定技术交易额），取值为 0 到合同的 tech_amount_fen。", "`verified_tech_amount_fen` is required to register and must be 0 to the contract's tech_amount_fen."),
    NotLinkable => ("not_linkable", UNPROCESSABLE_ENTITY, InvalidRequest, "关联的成果和需求必须属于合同双方且已发布，关联的对接必须仍在进行中。", "A linked achievement and demand must be the parties' own and published, and a linked deal open."),
    NotAMatch => ("not_a_match", UNPROCESSABLE_ENTITY, InvalidRequest, "该成果不在此需求的匹配结果中。", "This achievement is not among the demand's matches."),
    // Open challenges (揭榜挂帅).
    NotAChallenge => ("not_a_challenge", UNPROCESSABLE_ENTITY, InvalidRequest, "该需求不是揭榜挂帅项目。", "This demand is not an open challenge."),
    ApplicationsClosed => ("applications_closed", UNPROCESSABLE_ENTITY, InvalidRequest, "只在揭榜项目已发布期间、截止日期 apply_by 当天及以前接受申请。", "Applications are taken only while the challenge is published, up to and including its `apply_by` date."),
    ApplicationExists => ("application_exists", CONFLICT, InvalidRequest, "贵机构已经申请过此揭榜项目。", "Your organisation has applied to this challenge already."),
    InvalidProposal => ("invalid_proposal", BAD_REQUEST, InvalidRequest, "proposal（揭榜方案）长度应为 1 到 20,000 个字符。", "`proposal` must be 1 to 20,000 characters long."),
    InvalidTeam => ("invalid_team", BAD_REQUEST, InvalidRequest, "team（团队）最多 50 人，每人姓名 1 到 50 个字符，职称和分工最多 50 个字符。", "`team`: at most 50 members, each with a name of 1 to 50 characters and a title and role of at most 50."),
    InvalidBudget => ("invalid_budget", BAD_REQUEST, InvalidRequest, "budget_fen（预算）应为以分计的非负整数。", "`budget_fen` must be a non-negative integer number of fen."),
    WinnerLimitReached => ("winner_limit_reached", UNPROCESSABLE_ENTITY, InvalidRequest, "该揭榜项目选定的揭榜方已达 max_winners 上限。", "The challenge has as many selected winners as its `max_winners` allows."),
    InvalidMilestone => ("invalid_milestone", BAD_REQUEST, InvalidRequest, "里程碑需要 1 到 120 个字符的 title、不早于今天的 due_on 日期，以及 1 到 10,000 的 share_bp。", "A milestone needs a `title` of 1 to 120 characters, a `due_on` date not in the past and a `share_bp` from 1 to 10,000."),
    NotAWinner => ("not_a_winner", UNPROCESSABLE_ENTITY, InvalidRequest, "里程碑只能属于该揭榜项目已选定的申请。", "Milestones belong to a selected application of this challenge."),
    ApplicationRequired => ("application_required", UNPROCESSABLE_ENTITY, InvalidRequest, "该揭榜项目有多个揭榜方，请用 application_id 指明是哪一个。", "The challenge has several winners: say which one with `application_id`."),
    ShareLimitExceeded => ("share_limit_exceeded", UNPROCESSABLE_ENTITY, InvalidRequest, "同一揭榜方各里程碑的比例合计不能超过悬赏的 10,000 个基点。", "One winner's milestone shares cannot add up to more than 10,000 basis points of the bounty."),
    TooManySavedSearches => ("too_many_saved_searches", CONFLICT, InvalidRequest, "已保存的搜索已达上限（每人 20 条），请先删除不再需要的。", "You have as many saved searches as allowed (20); delete one first."),
    InvalidSavedSearch => ("invalid_saved_search", BAD_REQUEST, InvalidRequest, "保存的搜索需要 kind（achievements 或 demands）、1 到 60 个字符的 name，以及 params：参数名到字符串（或字符串数组）的对象。", "A saved search needs `kind` (achievements or demands), a `name` of 1 to 60 characters and `params`: an object of parameter names to strings (or arrays of strings)."),
    TooManyBookmarks => ("too_many_bookmarks", CONFLICT, InvalidRequest, "收藏已达上限（每人 500 条），请先取消不再需要的。", "You have as many bookmarks as allowed (500); remove one first."),
    InvalidMessage => ("invalid_message", BAD_REQUEST, InvalidRequest, "body（消息）长度应为 1 到 2,000 个字符，不含控制字符。", "`body` must be 1 to 2,000 characters long, without control characters."),
    OwnListing => ("own_listing", UNPROCESSABLE_ENTITY, InvalidRequest, "不能对本机构的条目发起咨询。", "You cannot send an inquiry about your own organisation's listing."),
    InvalidReport => ("invalid_report", BAD_REQUEST, InvalidRequest, "report（进展报告）长度应为 1 到 20,000 个字符。", "`report` must be 1 to 20,000 characters long."),
    // Offerings (挂牌, 拍卖) and publicity of agreed prices (协议定价公示).
    InvalidOffering => ("invalid_offering", BAD_REQUEST, InvalidRequest, "挂牌或拍卖的参数无效：挂牌（listed）需要 price_fen，拍卖（auction）需要 reserve_price_fen 和 increment_fen；金额为以分计的正整数；closes_at 须晚于 opens_at 至少规定的时长。", "The offering is not valid: a listed sale needs `price_fen`, an auction `reserve_price_fen` and `increment_fen`; amounts are positive integers of fen; `closes_at` must be at least the minimum window after `opens_at`."),
    TransferModeNotOffered => ("transfer_mode_not_offered", UNPROCESSABLE_ENTITY, InvalidRequest, "transfer_mode（转化方式）必须是该成果列出的转化方式之一。", "`transfer_mode` must be one of the achievement's own transfer modes."),
    OfferingExists => ("offering_exists", CONFLICT, InvalidRequest, "该成果已有一个进行中的挂牌或拍卖。", "The achievement has an open offering already."),
    BiddingClosed => ("bidding_closed", CONFLICT, InvalidRequest, "该挂牌或拍卖当前不接受报价（尚未开始或已经截止）。", "The offering takes no bids now (not open yet, or closed)."),
    BidNotListedPrice => ("bid_not_listed_price", UNPROCESSABLE_ENTITY, InvalidRequest, "挂牌期间的意向报价必须等于挂牌价 price_fen。", "An intent during a listed sale must be at the listed price `price_fen`."),
    IntentExists => ("intent_exists", CONFLICT, InvalidRequest, "贵机构已经登记过对该挂牌的受让意向。", "Your organisation has registered its intent for this listing already."),
    NotInRunoff => ("not_in_runoff", UNPROCESSABLE_ENTITY, InvalidRequest, "挂牌转为竞价后，只有在挂牌期内登记了意向的机构可以出价。", "Once a listed sale turns into an auction, only the organisations that registered intent may bid."),
    BidTooLow => ("bid_too_low", UNPROCESSABLE_ENTITY, InvalidRequest, "出价必须不低于当前的最低有效出价（起拍价，或当前最高价加加价幅度）。", "The bid must be at least the minimum next bid (the reserve price, or the best bid plus the increment)."),
    InvalidPublicity => ("invalid_publicity", BAD_REQUEST, InvalidRequest, "公示需要 buyer_org_id、以分计的 price_fen（0 到 10,000,000,000,000）、transfer_mode，公示期 days 为 15 到 90 天。", "A publicity needs `buyer_org_id`, `price_fen` in fen (0 to 10,000,000,000,000), `transfer_mode`, and `days` from 15 to 90."),
    PublicityEnded => ("publicity_ended", CONFLICT, InvalidRequest, "公示期已经结束，不再接受异议。", "The publicity period has ended; objections are no longer taken."),
    ObjectionClosed => ("objection_closed", CONFLICT, InvalidRequest, "该异议已经由交易所处理完毕。", "The objection has been closed by the exchange already."),
    InvalidObjection => ("invalid_objection", BAD_REQUEST, InvalidRequest, "异议、答复和处理意见的长度应为 1 到 2,000 个字符。", "Objections, answers and resolutions must be 1 to 2,000 characters long."),
    PublicityRunning => ("publicity_running", CONFLICT, InvalidRequest, "该合同的协议定价仍在公示期内，公示期满且无未处理的异议后才能确认。", "The contract's agreed price is still in its publicity period; it can be confirmed once the period has ended without open objections."),
    ObjectionOpen => ("objection_open", CONFLICT, InvalidRequest, "该合同的协议定价公示有未处理的异议，交易所处理后才能确认。", "The publicity of the contract's agreed price has an open objection; it can be confirmed once the exchange has closed it."),
    // Routing.
    RouteNotFound => ("route_not_found", NOT_FOUND, InvalidRequest, "没有这个接口，请参阅 /openapi.yaml。", "No such endpoint; see /openapi.yaml."),
    MethodNotAllowed => ("method_not_allowed", METHOD_NOT_ALLOWED, InvalidRequest, "此接口不接受该 HTTP 方法。", "This endpoint does not accept that HTTP method."),
    // Authentication and authorization.
    MissingAuthorization => ("missing_authorization", UNAUTHORIZED, Auth, "请先登录：发送 Authorization: Bearer <访问令牌>。", "Sign in: send `Authorization: Bearer <access token>`."),
    InvalidToken => ("invalid_token", UNAUTHORIZED, Auth, "访问令牌无效。", "The access token is not valid."),
    TokenExpired => ("token_expired", UNAUTHORIZED, Auth, "访问令牌已过期，请刷新。", "The access token has expired; refresh it."),
    InvalidCredentials => ("invalid_credentials", UNAUTHORIZED, Auth, "邮箱或密码错误。", "Wrong email or password."),
    InvalidRefreshToken => ("invalid_refresh_token", UNAUTHORIZED, Auth, "刷新令牌无效、已过期或已被撤销，请重新登录。", "The refresh token is not valid, expired or revoked; sign in again."),
    RefreshTokenReused => ("refresh_token_reused", UNAUTHORIZED, Auth, "此刷新令牌已被使用过，会话已撤销，请重新登录。", "This refresh token was already used; the session is revoked, sign in again."),
    AccountDisabled => ("account_disabled", FORBIDDEN, Auth, "此账号已被停用。", "This account is disabled."),
    Forbidden => ("forbidden", FORBIDDEN, Auth, "您无权执行此操作。", "You are not allowed to do this."),
    OrgNotVerified => ("org_not_verified", FORBIDDEN, Auth, "贵机构尚未通过认证，此账号目前只能编辑本机构的草稿。请联系交易所认证贵机构（管理员：POST /api/v1/orgs/{id}/verify）。", "Your organisation is not verified yet, so this account can only edit its own drafts. Ask the exchange to verify it (an admin: POST /api/v1/orgs/{id}/verify)."),
    TooManyLoginAttempts => ("too_many_login_attempts", TOO_MANY_REQUESTS, Auth, "登录失败次数过多，请稍后再试。", "Too many failed sign-ins; wait before trying again."),
    RateLimited => ("rate_limited", TOO_MANY_REQUESTS, InvalidRequest, "此客户端请求过于频繁，请等待 Retry-After 秒后再试。", "Too many requests from this client; wait `Retry-After` seconds before trying again."),
    CorsOriginNotAllowed => ("cors_origin_not_allowed", FORBIDDEN, InvalidRequest, "此来源（Origin）不允许从浏览器调用本 API。", "This origin may not call the API from a browser."),
    // Domain rules.
    NotFound => ("not_found", NOT_FOUND, InvalidRequest, "未找到。", "Not found."),
    AlreadyExists => ("already_exists", CONFLICT, InvalidRequest, "具有相同唯一值的记录已存在。", "A record with these unique values already exists."),
    EmailTaken => ("email_taken", CONFLICT, InvalidRequest, "该邮箱已注册账号。", "An account with this email already exists."),
    OrgNameTaken => ("org_name_taken", CONFLICT, InvalidRequest, "同名机构已注册，请向该机构的成员索取邀请。", "An organisation of this name is registered; ask one of its members for an invitation."),
    RoleNotSelfRegistrable => ("role_not_self_registrable", UNPROCESSABLE_ENTITY, InvalidRequest, "只有高校（university）、企业（enterprise）和技术经纪人（broker）账号可以自行注册。", "Only university, enterprise and broker accounts can register themselves."),
    RoleOrgKindMismatch => ("role_org_kind_mismatch", UNPROCESSABLE_ENTITY, InvalidRequest, "该角色与这类机构不相符。", "This role does not fit this kind of organisation."),
    InvalidInvitation => ("invalid_invitation", UNPROCESSABLE_ENTITY, InvalidRequest, "邀请不存在、已过期或已被使用。", "The invitation is unknown, expired or already used."),
    InvitationEmailMismatch => ("invitation_email_mismatch", UNPROCESSABLE_ENTITY, InvalidRequest, "该邀请是发给另一个邮箱地址的。", "The invitation was made for another email address."),
    OrgOrInvitationRequired => ("org_or_invitation_required", BAD_REQUEST, InvalidRequest, "请在 org（新机构）和 invitation_token（邀请）中二选一，不能都给。", "Give either `org` (a new organisation) or `invitation_token`, not both."),
    ReferenceNotFound => ("reference_not_found", UNPROCESSABLE_ENTITY, InvalidRequest, "引用的记录不存在。", "A referenced record does not exist."),
    // People: a user's own account, the admins' user management.
    WrongCurrentPassword => ("wrong_current_password", FORBIDDEN, Auth, "当前密码不正确。", "The current password is wrong."),
    OwnAccountChange => ("own_account_change", UNPROCESSABLE_ENTITY, InvalidRequest, "管理员不能停用自己的账号或更改自己的角色，请由另一位管理员操作。", "Admins cannot disable their own account or change their own role; another admin can."),
    // Infrastructure.
    InvalidSort => ("invalid_sort", BAD_REQUEST, InvalidRequest, "未知的 sort（排序方式）。", "Unknown `sort`."),
    SearchUnavailable => ("search_unavailable", SERVICE_UNAVAILABLE, System, "搜索暂不可用，请稍后重试。修改已保存，恢复后会编入索引。", "Search is unavailable right now; retry shortly. Changes are kept and indexed when it is back."),
    DatabaseUnavailable => ("database_unavailable", SERVICE_UNAVAILABLE, System, "数据库暂不可用，请稍后重试。", "The database is unavailable; retry shortly."),
    NotReady => ("not_ready", SERVICE_UNAVAILABLE, System, "服务尚未就绪。", "The service is not ready."),
    RequestTimeout => ("request_timeout", SERVICE_UNAVAILABLE, System, "请求处理超时已被中止，请稍后重试。写操作可能已经生效：重复提交前请先查询，或使用 Idempotency-Key。", "The request took too long and was stopped; retry shortly. A write may still have been applied: read before repeating it, or send an Idempotency-Key."),
    Internal => ("internal", INTERNAL_SERVER_ERROR, Internal, "服务器内部错误，已记录日志。", "Internal error; it has been logged."),
    // Files (attachments).
    FileTooLarge => ("file_too_large", PAYLOAD_TOO_LARGE, InvalidRequest, "文件超过了单个文件的大小上限。", "The file is larger than a file may be."),
    QuotaExceeded => ("quota_exceeded", PAYLOAD_TOO_LARGE, InvalidRequest, "贵机构的文件存储配额已用完，请先删除不再需要的附件。", "Your organisation's file storage quota is used up; detach files it no longer needs first."),
    FileTypeNotAllowed => ("file_type_not_allowed", UNSUPPORTED_MEDIA_TYPE, InvalidRequest, "只接受 PDF、PNG、JPEG、WebP、DOCX、XLSX 和纯文本文件（按文件内容判断，而非文件名）。", "Only PDF, PNG, JPEG, WebP, DOCX, XLSX and plain-text files are accepted (judged by the content, not the name)."),
    InvalidMultipart => ("invalid_multipart", BAD_REQUEST, InvalidRequest, "请以 multipart/form-data 发送恰好一个名为 file 的文件字段，且请求体须完整。", "Send multipart/form-data with exactly one file field named `file`, and the whole body."),
    InvalidAttachment => ("invalid_attachment", BAD_REQUEST, InvalidRequest, "附件需要已知的 parent（所属对象类型）、parent_id、与之相符的 slot（位置）以及 file_id。", "An attachment needs a known `parent` type, a `parent_id`, a `slot` that fits the parent, and a `file_id`."),
    RangeNotSatisfiable => ("range_not_satisfiable", RANGE_NOT_SATISFIABLE, InvalidRequest, "请求的字节范围超出了文件的长度。", "The requested byte range lies outside the file."),
    ContractTextRequired => ("contract_text_required", UNPROCESSABLE_ENTITY, InvalidRequest, "申请认定登记前，须先上传合同文本并附加到合同（slot 为 contract_text）。", "Attach the contract text (slot `contract_text`) before applying for registration."),
    FileStoreUnavailable => ("file_store_unavailable", SERVICE_UNAVAILABLE, System, "文件存储暂时不可用，请稍后再试。", "The file store is unavailable right now; try again later."),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has_cjk(s: &str) -> bool {
        s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

    /// Every code speaks both languages: Chinese with Chinese characters, English mostly
    /// ASCII (a Chinese term in brackets such as 吸纳 is allowed).
    #[test]
    fn every_code_has_a_chinese_and_an_english_message() {
        for code in ErrorCode::ALL {
            let zh = code.default_message(Language::Zh);
            let en = code.default_message(Language::En);
            assert!(
                !zh.trim().is_empty(),
                "{} has no Chinese message",
                code.as_str()
            );
            assert!(
                !en.trim().is_empty(),
                "{} has no English message",
                code.as_str()
            );
            assert!(
                has_cjk(zh),
                "{}: zh message is not Chinese: {zh}",
                code.as_str()
            );
            let ascii = en.chars().filter(char::is_ascii).count();
            assert!(
                ascii * 10 >= en.chars().count() * 9
                    && !has_cjk(&en.chars().take(20).collect::<String>()),
                "{}: en message is not English: {en}",
                code.as_str()
            );
            assert_ne!(zh, en, "{}", code.as_str());
        }
    }

    #[test]
    fn codes_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "{} twice", code.as_str());
        }
    }
}
