//! Statistics by period: `year=` on turnover (equal to its from/to and to the brute-force
//! sums) and on the chain overview (equal to turnover by chain for that year), empty
//! periods as zero rows in JSON, CSV and XLSX, and the chain overview as CSV and XLSX.

use std::io::Read;

use serde_json::{Value, json};

use crate::helpers::{Account, TestApp, spawn_app};
use crate::listings::{achievement_body, demand_body, member, published};
use crate::stats::{brute_force, from_api, random_exchange};

/// The raw bytes of an answer (the helpers read text).
async fn bytes(app: &TestApp, path: &str, token: &str) -> Vec<u8> {
    let mut res = app
        .client
        .get(format!("{}{path}", app.address))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200, "{path}");
    res.body().limit(16 << 20).await.expect("body").to_vec()
}

/// One part of an XLSX file, as text.
fn xlsx_part(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("zip");
    let mut text = String::new();
    zip.by_name(name)
        .expect(name)
        .read_to_string(&mut text)
        .expect("utf-8");
    text
}

/// The data lines of a CSV answer (header first), split into cells.
fn csv_lines(text: &str) -> Vec<Vec<String>> {
    assert!(text.starts_with('\u{feff}'), "BOM");
    text.trim_start_matches('\u{feff}')
        .trim_end()
        .split("\r\n")
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

#[actix_rt::test]
async fn year_is_the_calendar_year_and_equals_the_brute_force_sum() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let contracts = random_exchange(&app, &admin, 15).await;
    for year in [2024, 2025, 2026] {
        let (from, to) = (format!("{year}-01-01"), format!("{year}-12-31"));
        for basis in ["signed", "registered"] {
            for include in [false, true] {
                for dims in [
                    vec![],
                    vec!["chain"],
                    vec!["quarter", "seller_region"],
                    vec!["month"],
                ] {
                    let q = format!(
                        "date_basis={basis}&include_unregistered={include}&group_by={}",
                        dims.join(",")
                    );
                    let by_year = app
                        .get(
                            &format!("/api/v1/stats/turnover?{q}&year={year}"),
                            Some(&admin),
                        )
                        .await;
                    assert_eq!(by_year.status, 200, "{q}: {}", by_year.text);
                    let by_range = app
                        .get(
                            &format!("/api/v1/stats/turnover?{q}&from={from}&to={to}"),
                            Some(&admin),
                        )
                        .await;
                    assert_eq!(by_year.body, by_range.body, "{q} year={year}");
                    let want = brute_force(&contracts, &dims, basis, include, &from, &to);
                    let sum = want.values().fold(0, |a, v| a + v.1);
                    assert_eq!(by_year.body["total"]["amount_fen"], sum, "{q} year={year}");
                    if !dims.is_empty() {
                        assert_eq!(from_api(&by_year.body, &dims), want, "{q} year={year}");
                    }
                }
            }
        }
    }
    for bad in [
        "year=2026&from=2026-01-01",
        "to=2026-06-30&year=2026",
        "year=26",
        "year=abcd",
        "year=2026&year=2025",
    ] {
        let r = app
            .get(&format!("/api/v1/stats/turnover?{bad}"), Some(&admin))
            .await;
        r.assert_error(400, "invalid_query");
        assert_eq!(r.body["field"], "year", "{bad}: {}", r.text);
    }
}

/// Two registered contracts of 2026 (January, machine tools; April, AI) between a
/// university and an enterprise; answers the admin's token.
async fn two_contracts(app: &TestApp) -> String {
    let admin = app.admin_token().await;
    let (uni, uni_org) = member(app, Account::university(), true, &admin).await;
    let (ent, ent_org) = member(app, Account::enterprise(), true, &admin).await;
    for (on, chain, amount) in [
        ("2026-01-10", "machine_tools", 300_000_000i64),
        ("2026-04-05", "artificial_intelligence", 123_456_789),
    ] {
        let body = json!({"kind": "development", "sub_kind": "commissioned",
            "seller_org_id": uni_org, "buyer_org_id": ent_org, "signed_on": on,
            "amount_fen": amount, "tech_amount_fen": amount, "chain": chain, "field": "advanced_manufacturing"});
        let c = app.confirmed_contract(&admin, &body, &uni, &ent).await;
        let id = c["id"].as_i64().unwrap();
        let r = app
            .register_contract(id, &uni, &admin, None, Some("2026-06-01"))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    admin
}

#[actix_rt::test]
async fn empty_periods_are_zero_rows_in_json() {
    let app = spawn_app().await;
    let admin = two_contracts(&app).await;
    let total = 300_000_000i64 + 123_456_789;
    // The whole requested year, month by month.
    let r = app
        .get(
            "/api/v1/stats/turnover?group_by=month&year=2026",
            Some(&admin),
        )
        .await;
    let rows = r.body["rows"].as_array().unwrap();
    let months: Vec<&str> = rows.iter().map(|r| r["month"].as_str().unwrap()).collect();
    let want: Vec<String> = (1..=12).map(|m| format!("2026-{m:02}")).collect();
    assert_eq!(months, want, "{}", r.text);
    assert_eq!(
        rows[1],
        json!({"month": "2026-02", "month_label": "2026年2月", "contracts": 0, "amount_fen": 0, "tech_amount_fen": 0})
    );
    assert_eq!(rows[0]["amount_fen"], 300_000_000i64);
    assert_eq!(rows[3]["amount_fen"], 123_456_789i64);
    let sum: i64 = rows.iter().map(|r| r["amount_fen"].as_i64().unwrap()).sum();
    assert_eq!(
        (sum, r.body["total"]["amount_fen"].as_i64()),
        (total, Some(total))
    );
    assert_eq!(r.body["total"]["contracts"], 2);
    // Without a range: from the first period present to the last.
    let r = app
        .get("/api/v1/stats/turnover?group_by=month", Some(&admin))
        .await;
    let months: Vec<&str> = r.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["month"].as_str().unwrap())
        .collect();
    assert_eq!(months, ["2026-01", "2026-02", "2026-03", "2026-04"]);
    // Time by another dimension: each chain present gets every quarter of the range
    // (a range that is not whole months: read from the contracts, same rows).
    for range in [
        "from=2025-10-01&to=2026-06-30",
        "from=2025-10-02&to=2026-06-29",
    ] {
        let r = app
            .get(
                &format!("/api/v1/stats/turnover?group_by=chain,quarter&{range}"),
                Some(&admin),
            )
            .await;
        let keys: Vec<(String, String, i64)> = r.body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["chain"].as_str().unwrap().to_owned(),
                    r["quarter"].as_str().unwrap().to_owned(),
                    r["contracts"].as_i64().unwrap(),
                )
            })
            .collect();
        let q = |c: &str, q: &str, n: i64| (c.to_owned(), q.to_owned(), n);
        assert_eq!(
            keys,
            [
                q("artificial_intelligence", "2025-Q4", 0),
                q("artificial_intelligence", "2026-Q1", 0),
                q("artificial_intelligence", "2026-Q2", 1),
                q("machine_tools", "2025-Q4", 0),
                q("machine_tools", "2026-Q1", 1),
                q("machine_tools", "2026-Q2", 0),
            ],
            "{range}: {}",
            r.text
        );
        assert_eq!(r.body["rows"][0]["chain_label"], "人工智能");
        assert_eq!(r.body["total"]["amount_fen"], total);
    }
}

#[actix_rt::test]
async fn empty_periods_are_zero_rows_in_csv_and_xlsx() {
    let app = spawn_app().await;
    let admin = two_contracts(&app).await;
    let total = 300_000_000i64 + 123_456_789;
    // CSV: the same twelve months, zeros written as numbers, the total unchanged.
    let csv = app
        .get(
            "/api/v1/stats/turnover?group_by=month&year=2026&format=csv",
            Some(&admin),
        )
        .await;
    let lines = csv_lines(&csv.text);
    assert_eq!(lines.len(), 14, "{}", csv.text);
    assert_eq!(
        lines[2],
        ["2026-02", "2026年2月", "0", "0", "0", "0.00", "0.00"]
    );
    assert_eq!(
        lines[4][..5],
        ["2026-04", "2026年4月", "1", "123456789", "123456789"]
    );
    assert_eq!(lines[4][5], "123.46");
    assert_eq!(lines[13][..4], ["合计", "", "2", &total.to_string()]);
    // XLSX: twelve month rows between the header and the total, zeros included.
    let xlsx = bytes(
        &app,
        "/api/v1/stats/turnover?group_by=month&year=2026&format=xlsx",
        &admin,
    )
    .await;
    let sheet = xlsx_part(&xlsx, "xl/worksheets/sheet1.xml");
    assert_eq!(sheet.matches("<row ").count(), 14, "{sheet}");
    assert!(sheet.contains(&format!("<v>{total}</v>")), "{sheet}");
    let strings = xlsx_part(&xlsx, "xl/sharedStrings.xml");
    assert!(strings.contains("2026年12月"), "{strings}");
}

/// The chain of `code` in an overview.
fn chain<'a>(body: &'a Value, code: &str) -> &'a Value {
    body["chains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["chain"] == code)
        .unwrap()
}

/// A deal signed through a contract of 2025 (pool entry of 2025) and a contract of 2026,
/// both machine tools and registered; answers the app, the admin and the university.
async fn chains_world() -> (TestApp, String, String) {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (uni, uni_org) = member(&app, Account::university(), true, &admin).await;
    let (ent, ent_org) = member(&app, Account::enterprise(), true, &admin).await;
    let (broker, _) = member(&app, Account::broker(), true, &admin).await;
    let a = published(&app, "achievements", &uni, &admin, &achievement_body()).await;
    let d = published(&app, "demands", &ent, &admin, &demand_body()).await;
    app.request(
        awc::http::Method::PUT,
        &format!("/api/v1/pool/2025/entries/{a}"),
        Some(&admin),
        Some(&json!({"key_project": true})),
    )
    .await;
    let deal = app
        .post(
            "/api/v1/deals",
            Some(&broker),
            &json!({"demand_id": d, "achievement_id": a}),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    // One contract through the deal signed in 2025, one recorded directly in 2026.
    for (on, deal_id, amount) in [
        ("2025-03-01", Some(deal), 800_000_000i64),
        ("2026-02-01", None, 12_345_678),
    ] {
        let mut body = json!({"kind": "transfer", "sub_kind": "patent", "seller_org_id": uni_org,
            "buyer_org_id": ent_org, "signed_on": on, "amount_fen": amount, "tech_amount_fen": amount, "chain": "machine_tools", "field": "advanced_manufacturing"});
        if let Some(id) = deal_id {
            body["deal_id"] = json!(id);
            body.as_object_mut().unwrap().remove("chain");
            body.as_object_mut().unwrap().remove("field");
        }
        let recorder = if deal_id.is_some() { &broker } else { &admin };
        let c = app.confirmed_contract(recorder, &body, &uni, &ent).await;
        let r = app
            .register_contract(c["id"].as_i64().unwrap(), &uni, &admin, None, None)
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    (app, admin, uni)
}

/// The registered contracts and turnover of each chain in `overview` (of `year`) are those
/// of `GET /api/v1/stats/turnover?group_by=chain&year=...`.
async fn agrees_with_turnover(app: &TestApp, admin: &str, year: i32, overview: &Value) {
    let path = format!("/api/v1/stats/turnover?group_by=chain&year={year}");
    let t = app.get(&path, Some(admin)).await;
    let rows = t.body["rows"].as_array().unwrap();
    for c in overview["chains"].as_array().unwrap() {
        let row = rows.iter().find(|r| r["chain"] == c["chain"]);
        let want = row.map_or((Some(0), Some(0)), |r| {
            (r["contracts"].as_i64(), r["amount_fen"].as_i64())
        });
        let got = (
            c["registered_contracts"].as_i64(),
            c["turnover_fen"].as_i64(),
        );
        assert_eq!(got, want, "{year} {}", c["chain"]);
    }
}

#[actix_rt::test]
async fn the_chain_overview_by_year_agrees_with_turnover() {
    let (app, admin, _) = chains_world().await;
    let this_year = chrono::Datelike::year(&chrono::Utc::now().date_naive());
    let get = |q: String| {
        let (app, admin) = (&app, &admin);
        async move {
            let r = app
                .get(&format!("/api/v1/stats/chains{q}"), Some(admin))
                .await;
            assert_eq!(r.status, 200, "{q}: {}", r.text);
            r.body
        }
    };
    let all = get(String::new()).await;
    assert_eq!(all["year"], Value::Null);
    assert_eq!(chain(&all, "machine_tools")["turnover_fen"], 812_345_678i64);
    assert_eq!(
        chain(&all, "machine_tools")["published_achievements"],
        0,
        "transferred"
    );
    // Each year's turnover by chain is exactly turnover?year=...&group_by=chain.
    for year in [2024, 2025, 2026] {
        let body = get(format!("?year={year}")).await;
        assert_eq!(body["year"], year);
        agrees_with_turnover(&app, &admin, year, &body).await;
    }
    let y2025 = get("?year=2025".into()).await;
    assert_eq!(
        chain(&y2025, "machine_tools")["turnover_fen"],
        800_000_000i64
    );
    assert_eq!(
        y2025["pool"],
        json!([{"year": 2025, "entries": 1, "key_projects": 1, "converted": 1}])
    );
    assert_eq!(get("?year=2024".into()).await["pool"], json!([]));
    // Listings and deals count in the year they were published or opened, whatever now.
    let now = get(format!("?year={this_year}")).await;
    let mt = chain(&now, "machine_tools");
    assert_eq!(
        (
            mt["published_achievements"].as_i64(),
            mt["open_demands"].as_i64(),
            mt["deals"]["signed"].as_i64()
        ),
        (Some(1), Some(1), Some(1)),
        "{now}"
    );
    let before = get(format!("?year={}", this_year - 1)).await;
    let mt = chain(&before, "machine_tools");
    assert_eq!(
        (
            mt["published_achievements"].as_i64(),
            mt["deals"]["signed"].as_i64()
        ),
        (Some(0), Some(0))
    );
}

#[actix_rt::test]
async fn the_chain_overview_exports_csv_and_xlsx() {
    let (app, admin, uni) = chains_world().await;
    // CSV: a line per chain, the total, fen and 万元.
    let csv = app
        .get("/api/v1/stats/chains?year=2026&format=csv", Some(&admin))
        .await;
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(
        csv.header("content-disposition")
            .unwrap()
            .contains("chains-2026.csv")
    );
    let lines = csv_lines(&csv.text);
    let header = &lines[0];
    assert_eq!(header[..3], ["产业链代码", "产业链", "年内发布成果"]);
    assert_eq!(
        header[header.len() - 3..],
        ["登记合同数", "成交额（分）", "成交额（万元）"]
    );
    let n = header.len();
    let mt = lines.iter().find(|l| l[0] == "machine_tools").unwrap();
    assert_eq!(mt[1], "高端机床");
    assert_eq!(mt[n - 3..], ["1", "12345678", "12.35"]);
    let total = lines.last().unwrap();
    assert_eq!(total[0], "合计");
    assert_eq!(total[n - 3..], ["1", "12345678", "12.35"]);
    let all = app.get("/api/v1/stats/chains", Some(&admin)).await.body;
    assert_eq!(lines.len(), 2 + all["chains"].as_array().unwrap().len());
    let today = app
        .get("/api/v1/stats/chains?format=csv", Some(&admin))
        .await;
    assert_eq!(csv_lines(&today.text)[0][2], "已发布成果");
    assert_eq!(
        csv_lines(&today.text).last().unwrap()[n - 2..],
        ["812345678", "812.35"]
    );
    // XLSX: frozen header, the chains sheet with the numbers, the pool sheet.
    let xlsx = bytes(&app, "/api/v1/stats/chains?format=xlsx", &admin).await;
    let sheet = xlsx_part(&xlsx, "xl/worksheets/sheet1.xml");
    assert!(sheet.contains(r#"state="frozen""#), "{sheet}");
    assert!(sheet.contains("<v>812345678</v>"), "{sheet}");
    assert!(xlsx_part(&xlsx, "xl/sharedStrings.xml").contains("高端机床"));
    assert!(xlsx_part(&xlsx, "xl/worksheets/sheet2.xml").contains("<v>2025</v>"));
    // Refusals name the parameter.
    for (bad, field) in [
        ("from=2026-01-01", "from"),
        ("year=1", "year"),
        ("format=pdf", "format"),
        ("year=2026&year=2026", "year"),
    ] {
        let r = app
            .get(&format!("/api/v1/stats/chains?{bad}"), Some(&admin))
            .await;
        r.assert_error(400, "invalid_query");
        assert_eq!(r.body["field"], field, "{bad}");
    }
    app.get("/api/v1/stats/chains?format=csv", Some(&uni))
        .await
        .assert_error(403, "forbidden");
}

/// `(now - before) / before` in basis points, half away from zero, by another formula
/// than the server's: `(2n ± d) / 2d` truncated.
fn expected_bp(now: i64, before: i64) -> Option<i64> {
    if before == 0 {
        return None;
    }
    let (n, d) = (
        (i128::from(now) - i128::from(before)) * 10_000,
        i128::from(before),
    );
    let sign = if (n < 0) != (d < 0) { -1 } else { 1 };
    Some(((2 * n + sign * d) / (2 * d)) as i64)
}

/// The period `lag` periods of `dim` before `key` (`2026-Q1` − 1 = `2025-Q4`).
fn previous(dim: &str, key: &str, lag: i32) -> String {
    let y: i32 = key[..4].parse().unwrap();
    let (per_year, n) = match dim {
        "quarter" => (4, key[6..].parse::<i32>().unwrap() - 1),
        "month" => (12, key[5..].parse::<i32>().unwrap() - 1),
        _ => (1, 0),
    };
    let i = y * per_year + n - lag;
    let (y, n) = (i.div_euclid(per_year), i.rem_euclid(per_year) + 1);
    match dim {
        "quarter" => format!("{y}-Q{n}"),
        "month" => format!("{y}-{n:02}"),
        _ => y.to_string(),
    }
}

#[actix_rt::test]
async fn year_on_year_and_period_on_period_equal_the_brute_force_sums() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let contracts = random_exchange(&app, &admin, 20_261_130).await;
    let mut checked = 0;
    for (dims, per_year) in [
        (vec!["quarter"], 4),
        (vec!["month"], 12),
        (vec!["year"], 1),
        (vec!["quarter", "seller_region"], 4),
    ] {
        for basis in ["signed", "registered"] {
            let q = format!(
                "group_by={}&date_basis={basis}&year=2025&compare=yoy,pop",
                dims.join(",")
            );
            let r = app
                .get(&format!("/api/v1/stats/turnover?{q}"), Some(&admin))
                .await;
            assert_eq!(r.status, 200, "{q}: {}", r.text);
            let all = brute_force(&contracts, &dims, basis, false, "0000-01-01", "9999-12-31");
            for row in r.body["rows"].as_array().unwrap() {
                checked += 1;
                let keys: Vec<String> = dims
                    .iter()
                    .map(|d| row[*d].as_str().unwrap().to_owned())
                    .collect();
                for (name, lag) in [("yoy", per_year), ("pop", 1)] {
                    let mut before = keys.clone();
                    before[0] = previous(dims[0], &keys[0], lag);
                    let (n, amount, tech) = all.get(&before).copied().unwrap_or_default();
                    let c = &row[name];
                    let what = format!("{q} {keys:?} {name}");
                    assert_eq!(c["previous_period"], before[0].as_str(), "{what}");
                    assert_eq!(c["contracts"], n, "{what}");
                    assert_eq!(c["amount_fen"], amount, "{what}");
                    assert_eq!(c["tech_amount_fen"], tech, "{what}");
                    let now = row["amount_fen"].as_i64().unwrap();
                    assert_eq!(
                        c["amount_change_bp"],
                        json!(expected_bp(now, amount)),
                        "{what}"
                    );
                    let now = row["tech_amount_fen"].as_i64().unwrap();
                    assert_eq!(
                        c["tech_amount_change_bp"],
                        json!(expected_bp(now, tech)),
                        "{what}"
                    );
                }
            }
        }
    }
    assert!(checked > 40, "{checked} rows compared");
    // The CSV carries the comparisons as columns; without a time grouping they are refused.
    let csv = app
        .get(
            "/api/v1/stats/turnover?group_by=quarter&year=2025&compare=yoy&format=csv",
            Some(&admin),
        )
        .await;
    let header = &csv_lines(&csv.text)[0];
    assert!(
        header.contains(&"同比成交额增长（%）".to_owned()),
        "{header:?}"
    );
    for bad in ["group_by=chain&compare=yoy", "group_by=quarter&compare=mom"] {
        let r = app
            .get(&format!("/api/v1/stats/turnover?{bad}"), Some(&admin))
            .await;
        r.assert_error(400, "invalid_query");
        assert_eq!(r.body["field"], "compare", "{bad}");
    }
}

#[actix_rt::test]
async fn turnover_draws_as_the_same_svg_every_time() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    random_exchange(&app, &admin, 7).await;
    for q in [
        "group_by=quarter&year=2025",
        "group_by=chain",
        "group_by=month,seller_region",
        "",
    ] {
        let path = format!("/api/v1/stats/turnover?{q}&format=svg");
        let r = app.get(&path, Some(&admin)).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("image/svg+xml; charset=utf-8")
        );
        assert!(
            r.text.starts_with("<svg ") && r.text.ends_with("</svg>\n"),
            "{q}"
        );
        assert!(
            r.text.contains("技术合同成交额") && r.text.contains("数据来源"),
            "{q}"
        );
        assert_eq!(
            app.get(&path, Some(&admin)).await.text,
            r.text,
            "same data, same bytes"
        );
    }
    let r = app
        .get(
            "/api/v1/stats/turnover?group_by=chain,field&format=svg",
            Some(&admin),
        )
        .await;
    r.assert_error(400, "invalid_query");
    assert_eq!(r.body["field"], "format");
    let r = app
        .get("/api/v1/stats/chains?format=svg", Some(&admin))
        .await;
    r.assert_error(400, "invalid_query");
}

#[actix_rt::test]
async fn the_turnover_workbook_has_a_chart_a_frozen_header_and_notes() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    random_exchange(&app, &admin, 11).await;
    let path = "/api/v1/stats/turnover?group_by=quarter,seller_region&year=2025&format=xlsx";
    let xlsx = bytes(&app, path, &admin).await;
    let sheet = xlsx_part(&xlsx, "xl/worksheets/sheet1.xml");
    assert!(
        sheet.contains(r#"ySplit="1""#) && sheet.contains(r#"state="frozen""#),
        "{sheet}"
    );
    assert!(sheet.contains("<cols>"), "column widths");
    let chart = xlsx_part(&xlsx, "xl/charts/chart1.xml");
    // Time × region: the regions stacked per quarter, as the SVG draws them.
    assert!(chart.contains(r#"<c:grouping val="stacked"/>"#), "{chart}");
    assert!(
        chart.contains("图表数据!$A$2:$A$5"),
        "the four quarters: {chart}"
    );
    assert!(chart.contains("<c:v>2025年第1季度</c:v>"), "{chart}");
    let workbook = xlsx_part(&xlsx, "xl/workbook.xml");
    assert!(workbook.contains(r#"name="图表""#) && workbook.contains(r#"name="说明""#));
    let strings = xlsx_part(&xlsx, "xl/sharedStrings.xml");
    for text in ["导出时间", "（北京时间）", "数据来源：秦创原技术交易平台"]
    {
        assert!(strings.contains(text), "{text}");
    }
    assert!(strings.contains(
        "GET /api/v1/stats/turnover?group_by=quarter,seller_region&amp;year=2025&amp;format=xlsx"
    ));
}
