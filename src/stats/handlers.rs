//! `/api/v1/stats`: extract, authorize, call one operation, answer.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::auth::extract::CurrentUser;
use crate::auth::policy::{self, Action};
use crate::body::Body;
use crate::clock::today;
use crate::error::ApiError;
use crate::error::i18n::pick;
use crate::state::AppData;
use crate::stats::cache::Answer;
use crate::stats::compare::{self, Change};
use crate::stats::export::Table;
use crate::stats::query::{
    Format, TurnoverQuery, parse_brokers_query, parse_chains_query, parse_conversion_query,
    parse_quarterly_query, parse_query,
};
use crate::stats::targets::{self, NewTarget, TargetInput};
use crate::stats::turnover::{Row, Totals};
use crate::stats::{
    brokers, chains, chains_export, chart, conversion, export, quarterly, sheet, turnover as sums,
};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The header that makes an answer a download named `file`.
fn attachment(file: &str) -> (&'static str, String) {
    (
        "Content-Disposition",
        format!("attachment; filename=\"{file}\""),
    )
}

/// A turnover answer written in its format, on the blocking pool.
enum Rendered {
    Json(serde_json::Value),
    Csv(String),
    Xlsx(Vec<u8>),
    Svg(String),
}

fn render(format: Format, table: &Table, q: &TurnoverQuery) -> Result<Rendered, ApiError> {
    Ok(match format {
        Format::Json => Rendered::Json(export::to_json(table)),
        Format::Csv => Rendered::Csv(export::to_csv(table)),
        Format::Xlsx => Rendered::Xlsx(export::to_xlsx(table)?),
        Format::Svg => Rendered::Svg(chart::turnover_svg(table, q)?),
    })
}

/// A report as it was rendered: CSV and XLSX as attachments named after `file`.
fn answer(rendered: Rendered, file: &str) -> HttpResponse {
    match rendered {
        Rendered::Xlsx(bytes) => HttpResponse::Ok()
            .content_type(XLSX)
            .insert_header(attachment(&format!("{file}.xlsx")))
            .body(bytes),
        Rendered::Csv(text) => HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header(attachment(&format!("{file}.csv")))
            .body(text),
        Rendered::Svg(svg) => HttpResponse::Ok()
            .content_type("image/svg+xml; charset=utf-8")
            .body(svg),
        Rendered::Json(body) => HttpResponse::Ok().json(body),
    }
}

/// Rows, totals, and each row's comparisons.
type Compared = (Vec<Row>, Totals, Vec<Vec<Change>>);

/// What an export says about itself: the request, the time (Beijing time), what counts.
fn export_notes(q: &TurnoverQuery, asked: &str) -> Vec<(String, String)> {
    notes_of(
        format!("GET /api/v1/stats/turnover?{asked}"),
        chart::source(q),
    )
}

/// The notes sheet of an export: the request line, the time (Beijing time), what counts.
fn notes_of(request: String, counts: String) -> Vec<(String, String)> {
    // Beijing time is UTC+8 all year (no daylight saving).
    let at = (crate::clock::now() + chrono::Duration::hours(8)).format("%Y-%m-%d %H:%M:%S");
    let pair = |zh: &str, en: &str, value: String| (pick(zh, en).to_owned(), value);
    vec![
        pair("查询", "Query", request),
        pair(
            "导出时间",
            "Exported at",
            format!("{at} {}", pick("（北京时间）", "(Beijing time)")),
        ),
        pair("数据口径", "What counts", counts),
        pair(
            "单位",
            "Units",
            pick(
                "金额以分计（精确），万元保留两位小数",
                "amounts in fen (exact) and in 10k CNY (two decimals)",
            )
            .to_owned(),
        ),
    ]
}

/// The rows and totals of `q`, and each row's comparisons when it asks for them (from the
/// same sums over a range widened by a year).
fn turnover_with_changes(
    conn: &mut crate::db::AnyConnection,
    backend: crate::db::Backend,
    q: &TurnoverQuery,
) -> Result<Compared, ApiError> {
    let (rows, totals) = sums::turnover(conn, backend, q)?;
    if q.compare.is_empty() {
        return Ok((rows, totals, vec![]));
    }
    let (wide, _) = sums::turnover(conn, backend, &compare::widened(q))?;
    let changes = compare::compute(&q.group_by, &q.compare, &rows, &wide);
    Ok((rows, totals, changes))
}

/// A turnover answer in the form the cache keeps; XLSX stays as it is (never cached).
fn to_answer(rendered: Rendered) -> Result<Result<Answer, Vec<u8>>, ApiError> {
    let answer = |content_type, attachment, body: Vec<u8>| {
        Ok(Ok(Answer {
            content_type,
            attachment,
            body: body.into(),
        }))
    };
    match rendered {
        Rendered::Json(v) => {
            let body = serde_json::to_vec(&v).map_err(ApiError::internal)?;
            answer("application/json", None, body)
        }
        Rendered::Csv(text) => answer(
            "text/csv; charset=utf-8",
            Some("turnover.csv"),
            text.into_bytes(),
        ),
        Rendered::Svg(svg) => answer("image/svg+xml; charset=utf-8", None, svg.into_bytes()),
        Rendered::Xlsx(bytes) => Ok(Err(bytes)),
    }
}

/// Runs `f` in one read-only snapshot, so every query of an answer (and the statistics
/// version it is cached under) sees the same committed state.
fn in_snapshot<T>(
    conn: &mut crate::db::AnyConnection,
    f: impl FnOnce(&mut crate::db::AnyConnection) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    use diesel::Connection;
    use diesel::connection::SimpleConnection;
    conn.transaction(|conn| {
        if let crate::db::AnyConnection::Postgresql(pg) = conn {
            // READ COMMITTED would take a new snapshot per statement.
            pg.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        }
        f(conn)
    })
}

/// The rendered turnover answer of `q`, and the statistics version it was computed at.
fn compute_turnover(
    conn: &mut crate::db::AnyConnection,
    db: &crate::db::Db,
    q: &TurnoverQuery,
    format: Format,
    asked: &str,
) -> Result<(i64, Rendered), ApiError> {
    in_snapshot(conn, |conn| {
        let version = db.version().refresh(conn)?;
        let (rows, totals, changes) = turnover_with_changes(conn, db.backend(), q)?;
        let notes = export_notes(q, asked);
        let table = Table {
            dims: &q.group_by,
            rows: &rows,
            totals: &totals,
            compare: &q.compare,
            changes: &changes,
            notes: &notes,
        };
        Ok((version, render(format, &table, q)?))
    })
}

/// `GET /api/v1/stats/turnover` (statisticians, admins). Answered from `stats::cache`
/// while nothing it shows has changed; otherwise computed in one snapshot and cached.
pub async fn turnover(
    state: AppData,
    user: CurrentUser,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::ReadStats)?;
    let pairs = query.into_inner();
    let asked: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let (q, format) = parse_query(pairs)?;
    let cache = &state.stats_cache;
    let key = cache.key(format, &q);
    let before = state.db.version().current();
    if let Some(hit) = key.as_deref().and_then(|k| cache.get(k, before)) {
        return Ok(hit.response());
    }
    let db = state.db.clone();
    let (version, rendered) = state
        .db
        .read(move |conn| compute_turnover(conn, &db, &q, format, &asked.join("&")))
        .await?;
    match to_answer(rendered)? {
        Ok(answer) => {
            if let Some(key) = key {
                let now = state.db.version().current();
                cache.put(key, (version, before.1), now, answer.clone());
            }
            Ok(answer.response())
        }
        Err(xlsx) => Ok(answer(Rendered::Xlsx(xlsx), "turnover")),
    }
}

/// `GET /api/v1/stats/brokers` (statisticians, admins): each broker's and agency's deals,
/// conversion, days to sign and brokered turnover in a period.
pub async fn brokers(
    state: AppData,
    user: CurrentUser,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::ReadStats)?;
    let (period, format) = parse_brokers_query(query.into_inner())?;
    let rendered = state
        .db
        .read(move |conn| {
            let r = brokers::report(conn, period)?;
            Ok(match format {
                Format::Json => Rendered::Json(brokers::to_json(&r)),
                Format::Csv => Rendered::Csv(sheet::to_csv(&brokers::sheets(&r)[0])),
                Format::Xlsx => Rendered::Xlsx(sheet::to_xlsx(&brokers::sheets(&r))?),
                Format::Svg => Rendered::Svg(brokers::to_svg(&r)),
            })
        })
        .await?;
    Ok(answer(rendered, "brokers"))
}

/// `GET /api/v1/stats/conversion` (statisticians and admins: every university and
/// institute, or `org_id`; a university user: its own org).
pub async fn conversion(
    state: AppData,
    user: CurrentUser,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let staff = policy::authorize(&user, Action::ReadStats);
    let own = (staff.is_err()).then_some(user.org_id);
    let q = parse_conversion_query(query.into_inner());
    let org = q.as_ref().ok().and_then(|q| q.org_id).or(own);
    match org {
        Some(org_id) => policy::authorize(&user, Action::ReadConversion { org_id })?,
        None => staff?,
    }
    let q = q?;
    let rendered = state
        .db
        .read(move |conn| {
            let lines = conversion::report(conn, q.year, org)?;
            Ok(match q.format {
                Format::Json => Rendered::Json(conversion::to_json(q.year, &lines)),
                Format::Csv => Rendered::Csv(sheet::to_csv(&conversion::sheet(&lines))),
                Format::Xlsx => Rendered::Xlsx(sheet::to_xlsx(&[conversion::sheet(&lines)])?),
                Format::Svg => Rendered::Svg(conversion::to_svg(q.year, &lines)),
            })
        })
        .await?;
    Ok(answer(rendered, "conversion"))
}

/// `GET /api/v1/stats/chains/{chain}/quarterly` (statisticians, admins): one chain's
/// quarter against the previous one and the same one a year before.
pub async fn quarterly(
    state: AppData,
    user: CurrentUser,
    path: web::Path<String>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::ReadStats)?;
    let chain = path.into_inner();
    if !crate::taxonomy::CHAINS.contains(&chain) {
        return Err(ApiError::not_found("Chain"));
    }
    let (quarter, format) = parse_quarterly_query(query.into_inner(), today())?;
    let rendered = state
        .db
        .read(move |conn| {
            let r = quarterly::report(conn, &chain, quarter)?;
            Ok(match format {
                Format::Json => Rendered::Json(quarterly::to_json(&r)),
                Format::Csv => Rendered::Csv(sheet::to_csv(&quarterly::sheet(&r))),
                Format::Xlsx => Rendered::Xlsx(sheet::to_xlsx(&[quarterly::sheet(&r)])?),
                Format::Svg => Rendered::Svg(quarterly::to_svg(&r)),
            })
        })
        .await?;
    Ok(answer(rendered, "chain-quarterly"))
}

/// `GET /api/v1/stats/targets` (statisticians, admins): each year's target and progress.
pub async fn targets(
    state: AppData,
    user: CurrentUser,
    _no_query: crate::error::NoQuery,
) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::ReadStats)?;
    let today = today();
    let items = state
        .db
        .read(move |conn| Ok(targets::progress(conn, today)?))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// `PUT /api/v1/stats/targets/{year}` (admin).
pub async fn put_target(
    state: AppData,
    user: CurrentUser,
    path: web::Path<i32>,
    _no_query: crate::error::NoQuery,
    body: Body<TargetInput>,
) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::SetTargets)?;
    let target = NewTarget::parse(path.into_inner(), &body.parse()?)?;
    let today = today();
    let item = state
        .db
        .write(move |conn| targets::set(conn, user.id, target, today))
        .await?;
    Ok(HttpResponse::Ok().json(item))
}

/// The notes of the chain overview's export: the request, the time, what counts.
fn chains_notes(year: Option<i32>) -> Vec<(String, String)> {
    let request = match year {
        Some(y) => format!("GET /api/v1/stats/chains?year={y}&format=xlsx"),
        None => "GET /api/v1/stats/chains?format=xlsx".to_owned(),
    };
    let counts = pick(
        "数据来源：秦创原技术交易平台 · 成交额为已认定登记的技术合同（核定金额）· 成果与需求为当前已发布或年内发布",
        "Source: Qinchuangyuan technology exchange · turnover of registered contracts (verified amounts) · listings published now or within the year",
    );
    notes_of(request, counts.to_owned())
}

/// `GET /api/v1/stats/chains` (statisticians, admins): the state of each industry chain,
/// today or within `year`, as JSON, CSV or XLSX.
pub async fn chains(
    state: AppData,
    user: CurrentUser,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    policy::authorize(&user, Action::ReadStats)?;
    let q = parse_chains_query(query.into_inner())?;
    let today = today();
    let overview = state
        .db
        .read(move |conn| chains::overview(conn, today, q.year))
        .await?;
    let name = match q.year {
        Some(y) => format!("chains-{y}"),
        None => "chains".to_owned(),
    };
    Ok(match q.format {
        Format::Xlsx => HttpResponse::Ok()
            .content_type(XLSX)
            .insert_header(attachment(&format!("{name}.xlsx")))
            .body(chains_export::to_xlsx(&overview, &chains_notes(q.year))?),
        Format::Csv => HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header(attachment(&format!("{name}.csv")))
            .body(chains_export::to_csv(&overview)),
        // `svg` is refused by `parse_chains_query`.
        Format::Json | Format::Svg => HttpResponse::Ok().json(chains::to_json(&overview)),
    })
}
